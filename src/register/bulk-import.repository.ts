import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { pgError } from '../platform/database/pg-error.js';
import { type BulkImportKind, BulkImportStatus } from './bulk-import.entity.js';
import type { ImportView, ImportRejectView } from './dto/bulk-import.dto.js';
import type { ImportFormat, ImportReject } from './import-parser.js';
import { run } from './sql.js';

export interface ImportJobRow {
  id: string;
  kind: BulkImportKind;
  status: BulkImportStatus;
  format: ImportFormat;
  payload: Buffer | null;
  organismeCode: string;
  partnerId: string;
  requestId: string | null;
}

@Injectable()
export class BulkImportRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    em: EntityManager,
    i: {
      organismeCode: string;
      partnerId: string;
      format: ImportFormat;
      payload: Buffer;
      totalRows: number;
      requestId: string | null;
      kind?: BulkImportKind;
    },
  ): Promise<string> {
    const { rows } = await run<{ id: string }>(
      em,
      `INSERT INTO bulk_import (organisme_code, partner_id, format, payload, total_rows, request_id, kind) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [i.organismeCode, i.partnerId, i.format, i.payload, i.totalRows, i.requestId, i.kind ?? 'beneficiaries'],
    );
    return rows[0].id;
  }

  /** An import's report, if it belongs to the organisme (any organisme when null) and is of that kind. */
  async find(
    organismeCode: string | null,
    id: string,
    kind: BulkImportKind = 'beneficiaries',
  ): Promise<ImportView | null> {
    const { rows } = await run<Record<string, unknown>>(
      this.dataSource.manager,
      `SELECT id, status, format, total_rows, created_rows, updated_rows, rejected_rows, failure, created_at, finished_at
         FROM bulk_import WHERE id = $1 AND ($2::char(9) IS NULL OR organisme_code = $2::char(9)) AND kind = $3`,
      [id, organismeCode, kind],
    );
    const r = rows[0];
    if (!r) return null;
    const [total, created, updated, rejected] = [r.total_rows, r.created_rows, r.updated_rows, r.rejected_rows].map(
      Number,
    );
    return {
      id: r.id as string,
      status: r.status as BulkImportStatus,
      format: r.format as string,
      totalRows: total,
      createdRows: created,
      updatedRows: updated,
      rejectedRows: rejected,
      unchangedRows: r.status === BulkImportStatus.Done ? Math.max(0, total - created - updated - rejected) : 0,
      failure: r.failure as string | null,
      createdAt: r.created_at as Date,
      finishedAt: r.finished_at as Date | null,
    };
  }

  /** Rejected lines after `afterLine`, in line order; null when the import is not the organisme's. */
  async listRejects(
    organismeCode: string | null,
    id: string,
    afterLine: number,
    limit: number,
    kind: BulkImportKind = 'beneficiaries',
  ): Promise<ImportRejectView[] | null> {
    const { rows } = await run<ImportRejectView & { found: boolean }>(
      this.dataSource.manager,
      `SELECT i.id IS NOT NULL AS found, r.line, r.code, r.field, r.message
         FROM bulk_import i LEFT JOIN LATERAL (
           SELECT line, code, field, message FROM bulk_import_reject WHERE import_id = i.id AND line > $3 ORDER BY line LIMIT $4
         ) r ON true
        WHERE i.id = $1 AND ($2::char(9) IS NULL OR i.organisme_code = $2::char(9)) AND i.kind = $5`,
      [id, organismeCode, afterLine, limit, kind],
    );
    if (rows.length === 0) return null;
    return rows
      .filter((r) => r.line !== null)
      .map((r) => ({ line: r.line, code: r.code, field: r.field, message: r.message }));
  }

  async loadForJob(id: string): Promise<ImportJobRow | null> {
    const { rows } = await run<Record<string, unknown>>(
      this.dataSource.manager,
      `SELECT id, kind, status, format, payload, organisme_code, partner_id, request_id FROM bulk_import WHERE id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id as string,
      kind: r.kind as BulkImportKind,
      status: r.status as BulkImportStatus,
      format: r.format as ImportFormat,
      payload: r.payload as Buffer | null,
      organismeCode: r.organisme_code as string,
      partnerId: r.partner_id as string,
      requestId: r.request_id as string | null,
    };
  }

  async markProcessing(id: string): Promise<void> {
    await run(
      this.dataSource.manager,
      `UPDATE bulk_import SET status = 'processing', failure = NULL WHERE id = $1 AND status IN ('pending', 'processing')`,
      [id],
    );
  }

  /**
   * What a failed run is recorded as: `DATABASE_ERROR <SQLSTATE>` when a statement failed (the code, never the
   * driver's message, which may quote data), else INTERNAL_ERROR. Services never read the driver's error themselves.
   */
  failureOf(e: unknown): string {
    if (!(e instanceof QueryFailedError) && !pgError(e)) return 'INTERNAL_ERROR';
    return `DATABASE_ERROR ${pgError(e)?.code ?? ''}`.trim();
  }

  /** Notes why a run failed (a code, never data); the status is left for the retry to take over. */
  async recordFailure(id: string, failure: string, final: boolean): Promise<void> {
    await run(
      this.dataSource.manager,
      final
        ? `UPDATE bulk_import SET status = 'failed', failure = $2, payload = NULL, finished_at = now() WHERE id = $1 AND status <> 'done'`
        : `UPDATE bulk_import SET failure = $2 WHERE id = $1 AND status <> 'done'`,
      [id, failure.slice(0, 200)],
    );
  }

  /** Takes the import's row lock for the run and returns its status (a finished import is not run twice). */
  async lockStatus(em: EntityManager, id: string): Promise<BulkImportStatus | null> {
    const { rows } = await run<{ status: BulkImportStatus }>(
      em,
      `SELECT status FROM bulk_import WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0]?.status ?? null;
  }

  /** All rejects of a run in one statement (arrays, so no parameter limit). */
  async insertRejects(em: EntityManager, importId: string, rejects: ImportReject[]): Promise<void> {
    for (let i = 0; i < rejects.length; i += 50_000) {
      const part = rejects.slice(i, i + 50_000);
      await run(
        em,
        `INSERT INTO bulk_import_reject (import_id, line, code, field, message)
         SELECT $1, * FROM unnest($2::int[], $3::varchar[], $4::varchar[], $5::varchar[])`,
        [
          importId,
          part.map((r) => r.line),
          part.map((r) => r.code.slice(0, 48)),
          part.map((r) => r.field?.slice(0, 48) ?? null),
          part.map((r) => r.message.slice(0, 200)),
        ],
      );
    }
  }

  async finish(
    em: EntityManager,
    id: string,
    status: BulkImportStatus,
    c: { total: number; created: number; updated: number; rejected: number; failure?: string },
  ): Promise<void> {
    await run(
      em,
      `UPDATE bulk_import SET status = $2, total_rows = $3, created_rows = $4, updated_rows = $5, rejected_rows = $6,
              failure = $7, payload = NULL, finished_at = clock_timestamp() WHERE id = $1`,
      [id, status, c.total, c.created, c.updated, c.rejected, c.failure ?? null],
    );
  }

  /**
   * Drops import reports finished more than `retentionDays` ago (their rejects go with them), and imports that
   * never finished within that time, whose payload would otherwise keep personal data forever. At most `limit`
   * imports per call (each may take thousands of rejects with it).
   */
  async purge(em: EntityManager, retentionDays: number, limit: number): Promise<number> {
    const { count } = await run(
      em,
      `DELETE FROM bulk_import
        WHERE id IN (SELECT id FROM bulk_import
                      WHERE (finished_at IS NOT NULL AND finished_at < now() - make_interval(days => $1::int))
                         OR (finished_at IS NULL AND created_at < now() - make_interval(days => $1::int))
                      LIMIT $2::int)`,
      [retentionDays, limit],
    );
    return count;
  }
}
