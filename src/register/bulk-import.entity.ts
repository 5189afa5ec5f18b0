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

export enum BulkImportStatus {
  Pending = 'pending',
  Processing = 'processing',
  Done = 'done',
  Failed = 'failed',
}

/** What a bulk import loads: insured persons (beneficiaries-import/1) or attachments of dependants (attachments-import/1). */
export type BulkImportKind = 'beneficiaries' | 'attachments';

/** One uploaded file of insured persons or of attachments; processed by a job, its payload dropped once done. */
@Entity('bulk_import')
@Check('bulk_import_kind', `kind IN ('beneficiaries', 'attachments')`)
export class BulkImport {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 16, default: 'beneficiaries' })
  kind: BulkImportKind;

  @Index()
  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  @Column({ type: 'uuid' })
  partnerId: string;

  @Column({ type: 'varchar', length: 8 })
  format: 'csv' | 'ndjson';

  @Column({ type: 'enum', enum: BulkImportStatus, enumName: 'bulk_import_status', default: BulkImportStatus.Pending })
  status: BulkImportStatus;

  @Column({ type: 'bytea', nullable: true })
  payload: Buffer | null;

  @Column({ type: 'integer', default: 0 })
  totalRows: number;

  @Column({ type: 'integer', default: 0 })
  createdRows: number;

  @Column({ type: 'integer', default: 0 })
  updatedRows: number;

  @Column({ type: 'integer', default: 0 })
  rejectedRows: number;

  @Column({ type: 'varchar', length: 200, nullable: true })
  failure: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

/** A rejected line of a bulk import: its line number and a stable reason code (never the personal data). */
@Entity('bulk_import_reject')
export class BulkImportReject {
  @PrimaryColumn({ type: 'uuid' })
  importId: string;

  @ManyToOne(() => BulkImport, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'import_id' })
  bulkImport?: BulkImport;

  @PrimaryColumn({ type: 'integer' })
  line: number;

  @Column({ type: 'varchar', length: 48 })
  code: string;

  @Column({ type: 'varchar', length: 48, nullable: true })
  field: string | null;

  @Column({ type: 'varchar', length: 200 })
  message: string;
}
