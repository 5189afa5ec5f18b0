import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export enum CardBaseImportStatus {
  /** Lines are being received, or the sending stopped (client gone, process killed, truncated file): resumable. */
  Receiving = 'receiving',
  /** Every line read and decided; sending the same file again changes nothing. */
  Done = 'done',
}

/**
 * One card-base file (card-base/1, docs/formats/card-base-import.md), however many times it is sent: a sending is
 * recognised as the same file by the hash of its first chunk, and each committed chunk is skipped on the next one.
 */
@Entity('card_base_import')
@Index('card_base_import_by_first_chunk', ['firstChunkHash', 'chunkRows'])
export class CardBaseImport {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_card_base_import' })
  id: string;

  @Column({ type: 'uuid', nullable: true })
  partnerId: string | null;

  @Column({ type: 'enum', enum: CardBaseImportStatus, enumName: 'card_base_import_status' })
  status: CardBaseImportStatus;

  /** SHA-256 (hex) of the first chunk's lines: how a second sending of the file finds this import. */
  @Column({ type: 'char', length: 64 })
  firstChunkHash: string;

  /** Lines per chunk when the import started; chunks are compared at this size. */
  @Column({ type: 'integer' })
  chunkRows: number;

  /** The last line committed (the resumable cursor); 1 (the header) before the first chunk. */
  @Column({ type: 'integer', default: 1 })
  lastLine: number;

  @Column({ type: 'integer', default: 0 })
  importedRows: number;

  @Column({ type: 'integer', default: 0 })
  unchangedRows: number;

  @Column({ type: 'integer', default: 0 })
  rejectedRows: number;

  @Column({ type: 'integer', default: 0 })
  sendings: number;

  /** Why the last sending stopped before the end (a stable code), null when it did not. */
  @Column({ type: 'varchar', length: 40, nullable: true })
  interruption: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

/** A committed chunk: its chained hash (of every line up to its end) and what it did. */
@Entity('card_base_import_chunk')
@Check('card_base_import_chunk_lines', `first_line <= last_line`)
export class CardBaseImportChunk {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_card_base_import_chunk' })
  importId: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'PK_card_base_import_chunk' })
  chunkNo: number;

  @Column({ type: 'char', length: 64 })
  chainHash: string;

  @Column({ type: 'integer' })
  firstLine: number;

  @Column({ type: 'integer' })
  lastLine: number;

  @Column({ type: 'integer' })
  importedRows: number;

  @Column({ type: 'integer' })
  unchangedRows: number;

  @Column({ type: 'integer' })
  rejectedRows: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  committedAt: Date;
}

/** A rejected line: its number and a stable code, never its content. */
@Entity('card_base_import_reject')
export class CardBaseImportReject {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_card_base_import_reject' })
  importId: string;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'PK_card_base_import_reject' })
  line: number;

  @Column({ type: 'varchar', length: 40 })
  code: string;

  @Column({ type: 'varchar', length: 40, nullable: true })
  field: string | null;
}
