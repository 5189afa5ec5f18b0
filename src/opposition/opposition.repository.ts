import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import type { ListKind } from './list-codec.js';

/**
 * The reads and writes of the opposition module: opposition_list, opposition_change (rows come from the trigger on
 * card; only list production stamps them), and the statements list production runs on its own connection.
 */
/** Most lists in one page of GET /v1/opposition-lists. */
export const LISTS_PAGE = 1000;

/** Serialises list production across every instance sharing the database (session advisory lock). */
export const LIST_LOCK_KEY = 0x4c4f4549; // "LOEI"

export interface OppositionListRow {
  number: number;
  kind: ListKind;
  period: string;
  baseNumber: number | null;
  producedAt: Date;
  entryCount: number;
  additions: number;
  removals: number;
  textSha256: string;
  textBytes: number;
  textFile: string;
  textSignature: string;
  compactSha256: string;
  compactBytes: number;
  compactFile: string;
  compactSignature: string;
  keyId: string;
}

const LIST_COLUMNS = `number, kind, period, base_number AS "baseNumber", produced_at AS "producedAt", entry_count AS "entryCount",
  additions, removals, text_sha256 AS "textSha256", text_bytes AS "textBytes", text_file AS "textFile",
  text_signature AS "textSignature", compact_sha256 AS "compactSha256", compact_bytes AS "compactBytes",
  compact_file AS "compactFile", compact_signature AS "compactSignature", key_id AS "keyId"`;

/** bigint sizes arrive as strings; a file's size is far below 2^53. */
const toList = (r: OppositionListRow): OppositionListRow => ({
  ...r,
  textBytes: Number(r.textBytes),
  compactBytes: Number(r.compactBytes),
});

const OPPOSED_SERIALS_SQL = `SELECT serial FROM card WHERE state = 'opposed' ORDER BY serial`;
const COUNT_OPPOSED_SQL = `SELECT count(*)::text AS count FROM card WHERE state = 'opposed'`;

/**
 * List production's statements, on a connection of its own (pg.Client): an advisory lock held across a REPEATABLE
 * READ transaction whose snapshot the COPY of the opposed serials and the count beside it share. Reads card
 * (set-based, read-only); writes opposition_list and stamps opposition_change.
 */
export class ListProductionStatements {
  constructor(private readonly client: pg.Client) {}

  async lock(): Promise<void> {
    await this.client.query('SELECT pg_advisory_lock($1)', [LIST_LOCK_KEY]);
  }

  async unlock(): Promise<void> {
    await this.client.query('SELECT pg_advisory_unlock($1)', [LIST_LOCK_KEY]);
  }

  async begin(): Promise<void> {
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }

  async existing(kind: ListKind, period: string): Promise<OppositionListRow | null> {
    const { rows } = await this.client.query<OppositionListRow>(
      `SELECT ${LIST_COLUMNS} FROM opposition_list WHERE kind = $1 AND period = $2`,
      [kind, period],
    );
    return rows.length ? toList(rows[0]) : null;
  }

  /** The next list number, the newest full list's number (an incremental's base), and the transaction's time. */
  async numbering(): Promise<{ next: number; full: number | null; now: Date }> {
    const {
      rows: [n],
    } = await this.client.query<{ next: number; full: number | null; now: Date }>(
      `SELECT coalesce(max(number), 0) + 1 AS next, max(number) FILTER (WHERE kind = 'full') AS full, now() AS now FROM opposition_list`,
    );
    return n;
  }

  /** Every pending change goes with list `number` (a full list includes their effect, an incremental lists them). */
  async stampPendingChanges(number: number): Promise<void> {
    await this.client.query(`UPDATE opposition_change SET list_number = $1 WHERE list_number IS NULL`, [number]);
  }

  /** The changes stamped with list `number`: per serial, its first and last operation, by serial. */
  async changesOf(number: number): Promise<Array<{ serial: string; firstOp: string; lastOp: string }>> {
    const { rows } = await this.client.query<{ serial: string; firstOp: string; lastOp: string }>(
      `SELECT serial, (array_agg(op ORDER BY id))[1] AS "firstOp", (array_agg(op ORDER BY id DESC))[1] AS "lastOp"
         FROM opposition_change WHERE list_number = $1 GROUP BY serial ORDER BY serial`,
      [number],
    );
    return rows;
  }

  async insert(l: OppositionListRow): Promise<OppositionListRow> {
    const {
      rows: [row],
    } = await this.client.query<OppositionListRow>(
      `INSERT INTO opposition_list (number, kind, period, base_number, produced_at, entry_count, additions, removals, text_sha256, text_bytes,
         text_file, text_signature, compact_sha256, compact_bytes, compact_file, compact_signature, key_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING ${LIST_COLUMNS}`,
      [
        l.number,
        l.kind,
        l.period,
        l.baseNumber,
        l.producedAt,
        l.entryCount,
        l.additions,
        l.removals,
        l.textSha256,
        l.textBytes,
        l.textFile,
        l.textSignature,
        l.compactSha256,
        l.compactBytes,
        l.compactFile,
        l.compactSignature,
        l.keyId,
      ],
    );
    return toList(row);
  }

  /** The number of opposed cards in this transaction's snapshot. */
  async countOpposed(): Promise<number> {
    const {
      rows: [r],
    } = await this.client.query<{ count: string }>(COUNT_OPPOSED_SQL);
    return Number(r.count);
  }

  /** Exports this transaction's snapshot for a second connection (countOpposedIn). */
  async exportSnapshot(): Promise<string> {
    const {
      rows: [{ snap }],
    } = await this.client.query<{ snap: string }>('SELECT pg_export_snapshot() AS snap');
    return snap;
  }

  /** Counts the opposed cards on another connection, in the exported snapshot `snap`. */
  static async countOpposedIn(other: pg.Client, snap: string): Promise<number> {
    await other.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await other.query(`SET TRANSACTION SNAPSHOT '${snap.replace(/'/g, "''")}'`);
    const {
      rows: [r],
    } = await other.query<{ count: string }>(COUNT_OPPOSED_SQL);
    await other.query('COMMIT');
    return Number(r.count);
  }

  /** Every opposed serial, by serial, as COPY's text output (one serial and a newline per row). */
  opposedSerials(): Readable {
    return this.client.query(copyTo(`COPY (${OPPOSED_SERIALS_SQL}) TO STDOUT`));
  }
}

@Injectable()
export class OppositionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The newest lists first, those numbered below `before` (the console's pages). */
  async listsBefore(before: number, limit: number): Promise<OppositionListRow[]> {
    const { rows } = await run<OppositionListRow>(
      this.dataSource.manager,
      `SELECT ${LIST_COLUMNS} FROM opposition_list WHERE number < $1 ORDER BY number DESC LIMIT $2`,
      [before, limit],
    );
    return rows.map(toList);
  }

  async listsAfter(after: number, limit = LISTS_PAGE): Promise<OppositionListRow[]> {
    const { rows } = await run<OppositionListRow>(
      this.dataSource.manager,
      `SELECT ${LIST_COLUMNS} FROM opposition_list WHERE number > $1 ORDER BY number LIMIT $2`,
      [after, limit],
    );
    return rows.map(toList);
  }

  async list(number: number): Promise<OppositionListRow | null> {
    const {
      rows: [row],
    } = await run<OppositionListRow>(
      this.dataSource.manager,
      `SELECT ${LIST_COLUMNS} FROM opposition_list WHERE number = $1`,
      [number],
    );
    return row ? toList(row) : null;
  }

  async latest(kind: string): Promise<OppositionListRow | null> {
    const {
      rows: [row],
    } = await run<OppositionListRow>(
      this.dataSource.manager,
      `SELECT ${LIST_COLUMNS} FROM opposition_list WHERE kind = $1 ORDER BY number DESC LIMIT 1`,
      [kind],
    );
    return row ? toList(row) : null;
  }

  async listFiles(): Promise<Array<{ textFile: string; compactFile: string }>> {
    const { rows } = await run<{ textFile: string; compactFile: string }>(
      this.dataSource.manager,
      `SELECT text_file AS "textFile", compact_file AS "compactFile" FROM opposition_list ORDER BY number`,
    );
    return rows;
  }

  /** The active pharmacy-software partner whose id starts with the hex digits of a concentrator login, with its keys. */
  async concentratorByLoginPrefix(hex: string): Promise<Array<{ partnerId: string; publicKeys: string[] }>> {
    const { rows } = await run<{ partnerId: string; publicKeys: string[] }>(
      this.dataSource.manager,
      `SELECT p.id AS "partnerId", COALESCE(array_agg(k.public_key ORDER BY k.created_at) FILTER (WHERE k.id IS NOT NULL), '{}') AS "publicKeys"
         FROM partner p LEFT JOIN sftp_public_key k ON k.partner_id = p.id AND k.revoked_at IS NULL
        WHERE p.active AND p.kind = 'pharmacy_software' AND replace(p.id::text, '-', '') LIKE $1 || '%'
        GROUP BY p.id`,
      [hex],
    );
    return rows;
  }

  async isActiveConcentrator(em: EntityManager, partnerId: string): Promise<boolean> {
    const { rows } = await run(em, `SELECT 1 FROM partner WHERE id = $1 AND active AND kind = 'pharmacy_software'`, [
      partnerId,
    ]);
    return rows.length > 0;
  }
}
