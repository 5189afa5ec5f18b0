import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';
import { pgError } from '../platform/database/pg-error.js';
import { BulkImportStatus } from './bulk-import.entity.js';
import type { ImportView, ImportRejectView } from './dto/bulk-import.dto.js';
import type { ImportFormat, ImportReject, ImportRow } from './import-parser.js';
import { run } from './sql.js';

export interface ImportJobRow {
  id: string;
  status: BulkImportStatus;
  format: ImportFormat;
  payload: Buffer | null;
  organismeCode: string;
  partnerId: string;
  requestId: string | null;
}

/** What the staged rows became: one entry per beneficiary written, for the audit trail. */
export interface StagedChange {
  beneficiaryId: string;
  action: 'create' | 'update' | 'reaffiliate';
  changed: string[] | null;
}

/** A staged row the register refuses: NIR affiliated elsewhere, or start inside a past affiliation. */
export interface RefusedRow {
  line: number;
  reason: 'elsewhere' | 'overlap';
}

export interface ApplyResult {
  created: number;
  updated: number;
  refused: RefusedRow[];
  changes: StagedChange[];
}

const STAGE = 'register_import_stage';
const STAGE_COLUMNS = 'line, new_id, nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines, affiliated_from';
const COPY_CHUNK = 2000;

/** The identity fields a staged row changes on its existing beneficiary (names of fields, never values). */
const CHANGED_FIELDS = `array_remove(ARRAY[
  CASE WHEN b.first_name IS DISTINCT FROM s.first_name THEN 'firstName' END,
  CASE WHEN b.birth_name IS DISTINCT FROM s.birth_name THEN 'birthName' END,
  CASE WHEN b.usage_name IS DISTINCT FROM s.usage_name THEN 'usageName' END,
  CASE WHEN b.birth_date IS DISTINCT FROM s.birth_date THEN 'birthDate' END,
  CASE WHEN b.birth_rank IS DISTINCT FROM s.birth_rank THEN 'birthRank' END,
  CASE WHEN b.address_lines IS DISTINCT FROM s.address_lines THEN 'addressLines' END
], NULL)`;

@Injectable()
export class BulkImportRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(em: EntityManager, i: { organismeCode: string; partnerId: string; format: ImportFormat; payload: Buffer; totalRows: number; requestId: string | null }): Promise<string> {
    const { rows } = await run<{ id: string }>(em,
      `INSERT INTO bulk_import (organisme_code, partner_id, format, payload, total_rows, request_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [i.organismeCode, i.partnerId, i.format, i.payload, i.totalRows, i.requestId]);
    return rows[0].id;
  }

  /** An import's report, if it belongs to the organisme (any organisme when null). */
  async find(organismeCode: string | null, id: string): Promise<ImportView | null> {
    const { rows } = await run<Record<string, unknown>>(this.dataSource.manager,
      `SELECT id, status, format, total_rows, created_rows, updated_rows, rejected_rows, failure, created_at, finished_at
         FROM bulk_import WHERE id = $1 AND ($2::char(9) IS NULL OR organisme_code = $2::char(9))`,
      [id, organismeCode]);
    const r = rows[0];
    if (!r) return null;
    const [total, created, updated, rejected] = [r.total_rows, r.created_rows, r.updated_rows, r.rejected_rows].map(Number);
    return {
      id: r.id as string, status: r.status as BulkImportStatus, format: r.format as string,
      totalRows: total, createdRows: created, updatedRows: updated, rejectedRows: rejected,
      unchangedRows: r.status === BulkImportStatus.Done ? Math.max(0, total - created - updated - rejected) : 0,
      failure: r.failure as string | null, createdAt: r.created_at as Date, finishedAt: r.finished_at as Date | null,
    };
  }

  /** Rejected lines after `afterLine`, in line order; null when the import is not the organisme's. */
  async listRejects(organismeCode: string | null, id: string, afterLine: number, limit: number): Promise<ImportRejectView[] | null> {
    const { rows } = await run<ImportRejectView & { found: boolean }>(this.dataSource.manager,
      `SELECT i.id IS NOT NULL AS found, r.line, r.code, r.field, r.message
         FROM bulk_import i LEFT JOIN LATERAL (
           SELECT line, code, field, message FROM bulk_import_reject WHERE import_id = i.id AND line > $3 ORDER BY line LIMIT $4
         ) r ON true
        WHERE i.id = $1 AND ($2::char(9) IS NULL OR i.organisme_code = $2::char(9))`,
      [id, organismeCode, afterLine, limit]);
    if (rows.length === 0) return null;
    return rows.filter((r) => r.line !== null).map((r) => ({ line: r.line, code: r.code, field: r.field, message: r.message }));
  }

  async loadForJob(id: string): Promise<ImportJobRow | null> {
    const { rows } = await run<Record<string, unknown>>(this.dataSource.manager,
      `SELECT id, status, format, payload, organisme_code, partner_id, request_id FROM bulk_import WHERE id = $1`, [id]);
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id as string, status: r.status as BulkImportStatus, format: r.format as ImportFormat, payload: r.payload as Buffer | null,
      organismeCode: r.organisme_code as string, partnerId: r.partner_id as string, requestId: r.request_id as string | null,
    };
  }

  async markProcessing(id: string): Promise<void> {
    await run(this.dataSource.manager, `UPDATE bulk_import SET status = 'processing', failure = NULL WHERE id = $1 AND status IN ('pending', 'processing')`, [id]);
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
    await run(this.dataSource.manager,
      final
        ? `UPDATE bulk_import SET status = 'failed', failure = $2, payload = NULL, finished_at = now() WHERE id = $1 AND status <> 'done'`
        : `UPDATE bulk_import SET failure = $2 WHERE id = $1 AND status <> 'done'`,
      [id, failure.slice(0, 200)]);
  }

  /** Takes the import's row lock for the run and returns its status (a finished import is not run twice). */
  async lockStatus(em: EntityManager, id: string): Promise<BulkImportStatus | null> {
    const { rows } = await run<{ status: BulkImportStatus }>(em, `SELECT status FROM bulk_import WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0]?.status ?? null;
  }

  /** Loads the good rows into a transaction-scoped temp table with COPY (fast, no parameter limits). */
  async stage(em: EntityManager, rows: ImportRow[]): Promise<void> {
    await run(em, `CREATE TEMP TABLE ${STAGE} (
      line integer PRIMARY KEY, new_id uuid NOT NULL, nir char(15) NOT NULL, nir_temporary boolean NOT NULL, first_name varchar(45) NOT NULL,
      birth_name varchar(63) NOT NULL, usage_name varchar(42), birth_date date NOT NULL, birth_rank smallint NOT NULL,
      address_lines varchar(38)[] NOT NULL, affiliated_from date NOT NULL,
      beneficiary_id uuid, action text, changed text[]) ON COMMIT DROP`);
    const client = await (em.queryRunner as PostgresQueryRunner).connect();
    const copy = client.query(copyFrom(`COPY ${STAGE} (${STAGE_COLUMNS}) FROM STDIN`));
    await pipeline(Readable.from(copyChunks(rows)), copy);
    await run(em, `ANALYZE ${STAGE}`);
  }

  /**
   * Decides each staged row against the register, locking the beneficiaries it touches: unknown NIR → create;
   * affiliated (now or later) here → update; affiliated elsewhere → reject; only past affiliations → reaffiliate
   * unless the new start falls inside one of them.
   */
  async classify(em: EntityManager, organismeCode: string, today: string): Promise<void> {
    await run(em, `UPDATE ${STAGE} s SET beneficiary_id = b.id FROM beneficiary b WHERE b.nir = s.nir`);
    await run(em, `SELECT count(*) FROM (SELECT 1 FROM beneficiary b JOIN ${STAGE} s ON s.beneficiary_id = b.id ORDER BY b.id FOR UPDATE OF b) locked`);
    await run(em,
      `UPDATE ${STAGE} s SET action = CASE
         WHEN s.beneficiary_id IS NULL THEN 'create'
         WHEN EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = s.beneficiary_id AND a.organisme_code = $1 AND (a.valid_to IS NULL OR a.valid_to > $2::date)) THEN 'update'
         WHEN EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = s.beneficiary_id AND (a.valid_to IS NULL OR a.valid_to > $2::date)) THEN 'elsewhere'
         WHEN EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = s.beneficiary_id AND a.valid_to > s.affiliated_from) THEN 'overlap'
         ELSE 'reaffiliate' END`,
      [organismeCode, today]);
  }

  /** Writes the staged rows classified by `classify`; returns the counts, the refusals and the changes. */
  async apply(em: EntityManager, organismeCode: string): Promise<ApplyResult> {
    const { rows: refused } = await run<{ line: number; action: RefusedRow['reason'] }>(em,
      `SELECT line, action FROM ${STAGE} WHERE action IN ('elsewhere', 'overlap') ORDER BY line`);

    // Existing beneficiaries: identity and address taken from the file where they differ.
    await run(em,
      `UPDATE ${STAGE} s SET changed = ${CHANGED_FIELDS} FROM beneficiary b WHERE b.id = s.beneficiary_id AND s.action IN ('update', 'reaffiliate')`);
    await run(em,
      `UPDATE beneficiary b SET first_name = s.first_name, birth_name = s.birth_name, usage_name = s.usage_name, birth_date = s.birth_date,
              birth_rank = s.birth_rank, address_lines = s.address_lines, version = b.version + 1, updated_at = now()
         FROM ${STAGE} s WHERE b.id = s.beneficiary_id AND s.action IN ('update', 'reaffiliate') AND cardinality(s.changed) > 0`);

    // New beneficiaries, then the affiliations of the new and the returning ones.
    await run(em,
      `INSERT INTO beneficiary (id, nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines)
       SELECT new_id, nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines
         FROM ${STAGE} WHERE action = 'create' ORDER BY line`);
    const { count: affiliated } = await run(em,
      `INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from)
       SELECT coalesce(beneficiary_id, new_id), $1, affiliated_from FROM ${STAGE} WHERE action IN ('create', 'reaffiliate') ORDER BY line`,
      [organismeCode]);

    const { rows: changes } = await run<{ beneficiary_id: string; action: StagedChange['action']; changed: string[] | null }>(em,
      `SELECT coalesce(beneficiary_id, new_id) AS beneficiary_id, action, changed FROM ${STAGE}
        WHERE action IN ('create', 'reaffiliate') OR (action = 'update' AND cardinality(changed) > 0) ORDER BY line`);
    const out = changes.map((c) => ({ beneficiaryId: c.beneficiary_id, action: c.action, changed: c.changed }));
    return {
      created: affiliated, updated: out.filter((c) => c.action === 'update').length,
      refused: refused.map((r) => ({ line: r.line, reason: r.action })), changes: out,
    };
  }

  /** All rejects of a run in one statement (arrays, so no parameter limit). */
  async insertRejects(em: EntityManager, importId: string, rejects: ImportReject[]): Promise<void> {
    for (let i = 0; i < rejects.length; i += 50_000) {
      const part = rejects.slice(i, i + 50_000);
      await run(em,
        `INSERT INTO bulk_import_reject (import_id, line, code, field, message)
         SELECT $1, * FROM unnest($2::int[], $3::varchar[], $4::varchar[], $5::varchar[])`,
        [importId, part.map((r) => r.line), part.map((r) => r.code.slice(0, 48)), part.map((r) => r.field?.slice(0, 48) ?? null), part.map((r) => r.message.slice(0, 200))]);
    }
  }

  async finish(em: EntityManager, id: string, status: BulkImportStatus, c: { total: number; created: number; updated: number; rejected: number; failure?: string }): Promise<void> {
    await run(em,
      `UPDATE bulk_import SET status = $2, total_rows = $3, created_rows = $4, updated_rows = $5, rejected_rows = $6,
              failure = $7, payload = NULL, finished_at = clock_timestamp() WHERE id = $1`,
      [id, status, c.total, c.created, c.updated, c.rejected, c.failure ?? null]);
  }

  /**
   * Drops import reports finished more than `retentionDays` ago (their rejects go with them), and imports that
   * never finished within that time, whose payload would otherwise keep personal data forever. At most `limit`
   * imports per call (each may take thousands of rejects with it).
   */
  async purge(em: EntityManager, retentionDays: number, limit: number): Promise<number> {
    const { count } = await run(em,
      `DELETE FROM bulk_import
        WHERE id IN (SELECT id FROM bulk_import
                      WHERE (finished_at IS NOT NULL AND finished_at < now() - make_interval(days => $1::int))
                         OR (finished_at IS NULL AND created_at < now() - make_interval(days => $1::int))
                      LIMIT $2::int)`,
      [retentionDays, limit]);
    return count;
  }
}

/** COPY text format: tab-separated, `\N` for null, backslash escapes. */
function* copyChunks(rows: ImportRow[]): Generator<string> {
  let buf: string[] = [];
  for (const r of rows) {
    buf.push([
      String(r.line), randomUUID(), r.nir, r.nirTemporary ? 't' : 'f', esc(r.firstName), esc(r.birthName), r.usageName === null ? '\\N' : esc(r.usageName),
      r.birthDate, String(r.birthRank), esc(pgArray(r.addressLines)), r.affiliatedFrom,
    ].join('\t'));
    if (buf.length === COPY_CHUNK) {
      yield buf.join('\n') + '\n';
      buf = [];
    }
  }
  if (buf.length) yield buf.join('\n') + '\n';
}

function esc(v: string): string {
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

function pgArray(items: string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
