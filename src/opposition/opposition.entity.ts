import { Check, Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { OppositionReason } from '../cards/card-state.enum.js';

/**
 * Append-only log of every card entering or leaving opposition, written by a database trigger on `card`
 * (migration OppositionLists) in the same transaction as the card change, whoever made it. A list stamps the
 * changes it carries with its number.
 */
@Entity('opposition_change')
@Index('opposition_change_unlisted', ['id'], { where: 'list_number IS NULL' })
@Index('opposition_change_by_list', ['listNumber'])
@Index('opposition_change_by_serial', ['serial'])
@Check('opposition_change_op', `op IN ('add', 'remove')`)
export class OppositionChange {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'bigint' })
  serial: string;

  @Column({ type: 'varchar', length: 6 })
  op: 'add' | 'remove';

  @Column({ type: 'enum', enum: OppositionReason, enumName: 'opposition_reason', nullable: true })
  reason: OppositionReason | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  at: Date;

  @Column({ type: 'integer', nullable: true })
  listNumber: number | null;
}

/** One produced list: full (LOE) or incremental (LOI), one number sequence for both; at most one per (kind, period). */
@Entity('opposition_list')
@Unique('opposition_list_once_per_period', ['kind', 'period'])
@Check('opposition_list_kind', `kind IN ('full', 'incremental')`)
export class OppositionList {
  @PrimaryColumn({ type: 'integer' })
  number: number;

  @Column({ type: 'varchar', length: 12 })
  kind: 'full' | 'incremental';

  /** yyyy-mm (monthly full), yyyy-mm-dd (daily incremental), or demand-<time> (operator request). */
  @Column({ type: 'varchar', length: 40 })
  period: string;

  /** Incremental: the full list it applies to (null: none yet, the empty list). */
  @Column({ type: 'integer', nullable: true })
  baseNumber: number | null;

  @Column({ type: 'timestamptz' })
  producedAt: Date;

  @Column({ type: 'integer' })
  entryCount: number;

  @Column({ type: 'integer' })
  additions: number;

  @Column({ type: 'integer' })
  removals: number;

  @Column({ type: 'char', length: 64 })
  textSha256: string;

  @Column({ type: 'bigint' })
  textBytes: string;

  @Column({ type: 'varchar', length: 64 })
  textFile: string;

  @Column({ type: 'text' })
  textSignature: string;

  @Column({ type: 'char', length: 64 })
  compactSha256: string;

  @Column({ type: 'bigint' })
  compactBytes: string;

  @Column({ type: 'varchar', length: 64 })
  compactFile: string;

  @Column({ type: 'text' })
  compactSignature: string;

  @Column({ type: 'varchar', length: 16 })
  keyId: string;
}
