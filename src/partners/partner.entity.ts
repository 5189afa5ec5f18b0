import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Organisme } from '../regimes/regime.entity.js';
import { PartnerKind } from './partner-kind.enum.js';

@Entity('partner')
@Check('partner_fund_has_organisme', `(kind = 'fund') = (organisme_code IS NOT NULL)`)
export class Partner {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'enum', enum: PartnerKind, enumName: 'partner_kind' })
  kind: PartnerKind;

  @Column({ type: 'varchar', length: 120 })
  name: string;

  @Index()
  @Column({ type: 'char', length: 9, nullable: true })
  organismeCode: string | null;

  @ManyToOne(() => Organisme, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organisme_code' })
  organisme?: Organisme;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/** An API key: only a SHA-256 of its secret part is stored; the prefix finds the row. */
@Entity('api_key')
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'uuid' })
  partnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'partner_id' })
  partner?: Partner;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  @Column({ type: 'bytea' })
  secretHash: Buffer;

  @Column({ type: 'varchar', length: 120, nullable: true })
  label: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
