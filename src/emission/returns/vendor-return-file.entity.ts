import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Partner } from '../../partners/partner.entity.js';

export enum ReturnFileStatus {
  /** Seen in the inbox, ingestion queued. */
  Received = 'received',
  /** Every good line applied, bad lines in the reject file. */
  Ingested = 'ingested',
  /** The file as a whole was unreadable (header, trailer, count); nothing applied. */
  Refused = 'refused',
}

/** A return file a vendor dropped in its inbox. The same content (SHA-256) is ingested once. */
@Entity('vendor_return_file')
@Index('vendor_return_file_once', ['vendorPartnerId', 'sha256'], { unique: true })
export class VendorReturnFile {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  vendorPartnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'vendor_partner_id' })
  vendor?: Partner;

  @Column({ type: 'varchar', length: 200 })
  fileName: string;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  @Column({ type: 'enum', enum: ReturnFileStatus, enumName: 'return_file_status', default: ReturnFileStatus.Received })
  status: ReturnFileStatus;

  @Column({ type: 'integer', default: 0 })
  lineCount: number;

  @Column({ type: 'integer', default: 0 })
  appliedCount: number;

  @Column({ type: 'integer', default: 0 })
  rejectedCount: number;

  @Column({ type: 'varchar', length: 200, nullable: true })
  failure: string | null;

  /** The reject lines (the first REJECT_LINES_KEPT), kept at ingestion; null for files ingested before they were. */
  @Column({ type: 'jsonb', nullable: true })
  rejectLines: { line: number; code: string; message: string }[] | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  ingestedAt: Date | null;

  /** When the retention deleted the kept copy (`received/<sha256>`); only ever once ingested or refused. */
  @Column({ type: 'timestamptz', nullable: true })
  copyPurgedAt: Date | null;
}
