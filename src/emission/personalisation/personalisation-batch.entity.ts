import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Partner } from '../../partners/partner.entity.js';

export enum BatchStatus {
  /** Cards and serials assigned in the database; the file is not written yet. */
  Allocated = 'allocated',
  /** The file and its signature are in the vendor's outbox. */
  Written = 'written',
  /** Every card of the batch came back in a return file. */
  Returned = 'returned',
}

/** One personalisation file: a group of ordered cards for one vendor. */
@Entity('personalisation_batch')
@Check(
  'personalisation_batch_perso_version',
  `perso_version IN (1, 2) AND (perso_version = 1 OR plaintext_sha256 IS NOT NULL)`,
)
@Check('personalisation_batch_written_format', `status = 'allocated' OR perso_version IS NOT NULL`)
export class PersonalisationBatch {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index({ unique: true })
  @Column({ type: 'bigint' })
  batchNumber: string;

  @Index()
  @Column({ type: 'uuid' })
  vendorPartnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'vendor_partner_id' })
  vendor?: Partner;

  @Column({ type: 'enum', enum: BatchStatus, enumName: 'batch_status', default: BatchStatus.Allocated })
  status: BatchStatus;

  @Column({ type: 'integer' })
  cardCount: number;

  @Column({ type: 'varchar', length: 120, nullable: true })
  fileName: string | null;

  /** SHA-256 of the file as published (for perso/2, the encrypted bytes). */
  @Column({ type: 'char', length: 64, nullable: true })
  sha256: string | null;

  /**
   * The format the file was written in, set when it is written: 1 (clear text, batches written before perso/2),
   * 2 (encrypted to the vendor). Return lines without card keys (ret/1) are accepted only for perso/1 cards.
   */
  @Column({ type: 'smallint', nullable: true })
  persoVersion: number | null;

  /** perso/2: SHA-256 of the clear file inside the encryption (the signature states it). */
  @Column({ type: 'char', length: 64, nullable: true })
  plaintextSha256: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  writtenAt: Date | null;

  /** When the retention deleted the file and its signature from the outbox (only ever once the batch is returned). */
  @Column({ type: 'timestamptz', nullable: true })
  filePurgedAt: Date | null;
}

/**
 * The next card serial, in a row: allocation is an UPDATE in the batch's own transaction, so a rollback or
 * a crash gives the serials back (no gap) and two batches can never take the same ones (row lock).
 */
@Entity('serial_allocator')
@Check('serial_allocator_single_row', `id = 1`)
export class SerialAllocator {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'bigint' })
  nextSerial: string;
}
