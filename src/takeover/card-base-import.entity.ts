import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export enum CardBaseImportStatus {
  /** Lines are being received, or the sending stopped (client gone, process killed, truncated file): resumable. */
  Receiving = 'receiving',
  /**
   * Every line read: the good ones landed, the bad ones rejected; the landed chunks are being moved into the card
   * base (the `card-base.materialise` job). Sending the same file again changes nothing.
   */
  Received = 'received',
  /** Every line decided: landed lines moved into the card base or rejected; sending the same file again changes nothing. */
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

  /** Good lines landed (card_base_line) by every sending, whether moved into the card base yet or not. */
  @Column({ type: 'integer', default: 0 })
  landedRows: number;

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

/**
 * A committed chunk: its chained hash (of every line up to its end), its landed lines, and, once the materialisation
 * moved them into the card base, what that did.
 */
@Entity('card_base_import_chunk')
@Check('card_base_import_chunk_lines', `first_line <= last_line`)
@Index('card_base_import_chunk_to_materialise', ['importId', 'chunkNo'], { where: 'materialised_at IS NULL' })
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

  /** Good lines the chunk landed in card_base_line. */
  @Column({ type: 'integer', default: 0 })
  landedRows: number;

  /** Lowest and highest serial of the landed lines (0 when none): chunks whose ranges meet are moved one at a time. */
  @Column({ type: 'bigint', default: 0 })
  minSerial: string;

  @Column({ type: 'bigint', default: 0 })
  maxSerial: string;

  /** Cards inserted and lines found unchanged when the chunk was materialised (0 before). */
  @Column({ type: 'integer' })
  importedRows: number;

  @Column({ type: 'integer' })
  unchangedRows: number;

  /** Lines rejected: when landed (a bad line), then when materialised (a duplicate or taken serial, an unknown organisme). */
  @Column({ type: 'integer' })
  rejectedRows: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  committedAt: Date;

  /** When the landed lines were moved into the card base (and deleted from card_base_line); null before. */
  @Column({ type: 'timestamptz', nullable: true })
  materialisedAt: Date | null;
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
