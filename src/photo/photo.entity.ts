import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CardRequest } from '../emission/requests/card-request.entity.js';
import { PhotoSource, PhotoStatus } from './photo-status.enum.js';

/** A photo received for a card request; the image files live in the photo store, never in the database. */
@Entity('photo')
export class Photo {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'uuid' })
  requestId: string;

  @ManyToOne(() => CardRequest, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'request_id' })
  request?: CardRequest;

  @Column({ type: 'enum', enum: PhotoSource, enumName: 'photo_source' })
  source: PhotoSource;

  @Column({ type: 'enum', enum: PhotoStatus, enumName: 'photo_status', default: PhotoStatus.Pending })
  status: PhotoStatus;

  /** Stable reason codes of a refusal (PHOTO_TOO_SMALL, ...). */
  @Column({ type: 'varchar', length: 48, array: true, default: () => `'{}'` })
  reasons: string[];

  /** Keys in the photo store. */
  @Column({ type: 'varchar', length: 200 })
  originalKey: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  printKey: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  chipKey: string | null;

  @Column({ type: 'char', length: 64 })
  sha256: string;

  @Column({ type: 'integer' })
  byteSize: number;

  @Column({ type: 'integer', nullable: true })
  width: number | null;

  @Column({ type: 'integer', nullable: true })
  height: number | null;

  /** The measured values of each check, beside their thresholds. */
  @Column({ type: 'jsonb', nullable: true })
  measures: Record<string, unknown> | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  checkedAt: Date | null;

  /** When the original scan was deleted (retention), if it was. */
  @Column({ type: 'timestamptz', nullable: true })
  originalDeletedAt: Date | null;
}
