import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import { PhotoSource, PhotoStatus } from './photo-status.enum.js';

export interface PhotoRecord {
  id: string;
  requestId: string;
  source: PhotoSource;
  status: PhotoStatus;
  reasons: string[];
  originalKey: string;
  printKey: string | null;
  chipKey: string | null;
  sha256: string;
  byteSize: number;
  width: number | null;
  height: number | null;
  receivedAt: Date;
  checkedAt: Date | null;
}

export interface NewPhoto {
  id: string;
  requestId: string;
  source: PhotoSource;
  originalKey: string;
  sha256: string;
  byteSize: number;
}

export interface PhotoVerdict {
  status: PhotoStatus.Accepted | PhotoStatus.Rejected;
  reasons: string[];
  measures: Record<string, unknown>;
  width: number | null;
  height: number | null;
  printKey: string | null;
  chipKey: string | null;
}

const COLUMNS = `id, request_id, source, status, reasons, original_key, print_key, chip_key, sha256, byte_size, width, height, received_at, checked_at`;

type Row = Record<string, unknown>;

/** The only place that reads and writes the photo table (the bytes are in the PhotoStore). */
@Injectable()
export class PhotoRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(em: EntityManager, p: NewPhoto): Promise<void> {
    await run(
      em,
      `INSERT INTO photo (id, request_id, source, status, original_key, sha256, byte_size) VALUES ($1, $2, $3, 'pending', $4, $5, $6)`,
      [p.id, p.requestId, p.source, p.originalKey, p.sha256, p.byteSize],
    );
  }

  async find(id: string, em: EntityManager = this.dataSource.manager): Promise<PhotoRecord | null> {
    const { rows } = await run<Row>(em, `SELECT ${COLUMNS} FROM photo WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Locks the photo row for the rest of the caller's transaction. */
  async lock(em: EntityManager, id: string): Promise<PhotoRecord | null> {
    const { rows } = await run<Row>(em, `SELECT ${COLUMNS} FROM photo WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Photos whose original scan has outlived its retention: every checked photo of a request whose card shipped
   * more than `retentionDays` ago (the request's card_id links them; a pending photo is never picked).
   */
  async originalsPastRetention(
    retentionDays: number,
    limit: number,
  ): Promise<Array<{ id: string; originalKey: string }>> {
    const { rows } = await run<Row>(
      this.dataSource.manager,
      `SELECT p.id, p.original_key FROM photo p
         JOIN card_request r ON r.id = p.request_id
         JOIN card c ON c.id = r.card_id
        WHERE p.original_deleted_at IS NULL AND p.status <> 'pending'
          AND c.shipped_at IS NOT NULL AND c.shipped_at < now() - make_interval(days => $1)
        ORDER BY p.id LIMIT $2`,
      [retentionDays, limit],
    );
    return rows.map((r) => ({ id: r.id as string, originalKey: r.original_key as string }));
  }

  /** Records that the original files of these photos are gone. */
  async markOriginalsDeleted(em: EntityManager, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const { count } = await run(
      em,
      `UPDATE photo SET original_deleted_at = now() WHERE id = ANY($1::uuid[]) AND original_deleted_at IS NULL`,
      [ids],
    );
    return count;
  }

  /** Records the outcome of the checks, once: a photo already checked is left as it is (false). */
  async recordVerdict(em: EntityManager, id: string, v: PhotoVerdict): Promise<boolean> {
    const { count } = await run(
      em,
      `UPDATE photo SET status = $2, reasons = $3, measures = $4, width = $5, height = $6, print_key = $7, chip_key = $8, checked_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, v.status, v.reasons, JSON.stringify(v.measures), v.width, v.height, v.printKey, v.chipKey],
    );
    return count === 1;
  }
}

function toRecord(r: Row): PhotoRecord {
  return {
    id: r.id as string,
    requestId: r.request_id as string,
    source: r.source as PhotoSource,
    status: r.status as PhotoStatus,
    reasons: (r.reasons as string[]) ?? [],
    originalKey: r.original_key as string,
    printKey: (r.print_key as string | null) ?? null,
    chipKey: (r.chip_key as string | null) ?? null,
    sha256: r.sha256 as string,
    byteSize: r.byte_size as number,
    width: (r.width as number | null) ?? null,
    height: (r.height as number | null) ?? null,
    receivedAt: r.received_at as Date,
    checkedAt: (r.checked_at as Date | null) ?? null,
  };
}
