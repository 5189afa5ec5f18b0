import { Injectable } from '@nestjs/common';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';
import { run } from '../platform/database/sql.js';
import { CardBaseImportStatus } from './card-base-import.entity.js';
import { type CardBaseReject, STAGE_COLUMNS } from './card-base-parser.js';

/**
 * First key of the chunk locks (`pg_advisory_xact_lock(CARD_IMPORT_LOCK_CLASS, hash of import and chunk)`); other
 * two-key locks use other classes (job leases: 'JOBS'). Two chunks whose hashes meet only wait for each other.
 */
const CARD_IMPORT_LOCK_CLASS = 0x43424149; // 'CBAI'

/** The chunk's staging table: temporary, dropped at the chunk's commit. */
export const CARD_IMPORT_STAGE = 'card_import_stage';

export interface ImportRow {
  id: string;
  status: CardBaseImportStatus;
  chunkRows: number;
  lastLine: number;
  importedRows: number;
  unchangedRows: number;
  rejectedRows: number;
  sendings: number;
  interruption: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface ChunkRow {
  chainHash: string;
  firstLine: number;
  lastLine: number;
  importedRows: number;
  unchangedRows: number;
  rejectedRows: number;
}

export interface ChunkRecord extends ChunkRow {
  chunkNo: number;
}

const IMPORT_COLUMNS = `id, status, chunk_rows AS "chunkRows", last_line AS "lastLine", imported_rows AS "importedRows",
  unchanged_rows AS "unchangedRows", rejected_rows AS "rejectedRows", sendings, interruption,
  created_at AS "createdAt", updated_at AS "updatedAt", finished_at AS "finishedAt"`;

/** The only place that reads and writes card_base_import, its chunks and rejects, and the chunk's staging table. */
@Injectable()
export class CardBaseImportRepository {
  /**
   * The import a sending belongs to (the latest one whose first chunk hashed the same at the same chunk size), or a
   * new one. Two first sendings of one file at once wait for each other here (a transaction lock on the hash), so
   * the second finds the first's import instead of making a second one.
   */
  async findOrCreate(
    em: EntityManager,
    partnerId: string | null,
    hash: string,
    chunkRows: number,
  ): Promise<{ id: string; found: boolean }> {
    await run(em, `SELECT pg_advisory_xact_lock($1, hashtext('sending:' || $2 || ':' || $3))`, [
      CARD_IMPORT_LOCK_CLASS,
      hash,
      chunkRows,
    ]);
    const { rows } = await run<{ id: string }>(
      em,
      `SELECT id FROM card_base_import WHERE first_chunk_hash = $1 AND chunk_rows = $2 ORDER BY created_at DESC LIMIT 1`,
      [hash, chunkRows],
    );
    if (rows[0]) return { id: rows[0].id, found: true };
    const created = await run<{ id: string }>(
      em,
      `INSERT INTO card_base_import (partner_id, status, first_chunk_hash, chunk_rows) VALUES ($1, $2, $3, $4) RETURNING id`,
      [partnerId, CardBaseImportStatus.Receiving, hash, chunkRows],
    );
    return { id: created.rows[0].id, found: false };
  }

  /** A new sending of the import starts: counted, and its previous interruption forgotten. */
  async startSending(em: EntityManager, id: string): Promise<void> {
    await run(
      em,
      `UPDATE card_base_import SET sendings = sendings + 1, interruption = NULL, updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  /**
   * Takes one chunk of the import for this transaction (two sendings of the same file take each chunk in turn; two
   * chunks of one sending are applied side by side), and gives the chunk's statements room to sort and hash its
   * lines in memory.
   */
  async lockChunk(em: EntityManager, id: string, chunkNo: number): Promise<void> {
    await run(em, `SELECT pg_advisory_xact_lock($1, hashtext($2 || ':' || $3))`, [CARD_IMPORT_LOCK_CLASS, id, chunkNo]);
    await run(em, `SET LOCAL work_mem = '64MB'`);
  }

  async chunk(em: EntityManager, id: string, chunkNo: number): Promise<ChunkRow | null> {
    const { rows } = await run<ChunkRow>(
      em,
      `SELECT chain_hash AS "chainHash", first_line AS "firstLine", last_line AS "lastLine", imported_rows AS "importedRows",
              unchanged_rows AS "unchangedRows", rejected_rows AS "rejectedRows"
         FROM card_base_import_chunk WHERE import_id = $1 AND chunk_no = $2`,
      [id, chunkNo],
    );
    return rows[0] ?? null;
  }

  /**
   * A chunk recorded by an earlier sending whose lines differ from this one's (another file with the same first
   * chunk): its record and rejects go, its counts leave the totals; its cards stay (cards are never deleted).
   */
  async forgetChunk(em: EntityManager, id: string, chunkNo: number, old: ChunkRow): Promise<void> {
    await run(em, `DELETE FROM card_base_import_chunk WHERE import_id = $1 AND chunk_no = $2`, [id, chunkNo]);
    await run(em, `DELETE FROM card_base_import_reject WHERE import_id = $1 AND line BETWEEN $2 AND $3`, [
      id,
      old.firstLine,
      old.lastLine,
    ]);
    await run(
      em,
      `UPDATE card_base_import SET imported_rows = imported_rows - $2, unchanged_rows = unchanged_rows - $3,
              rejected_rows = rejected_rows - $4 WHERE id = $1`,
      [id, old.importedRows, old.unchangedRows, old.rejectedRows],
    );
  }

  /** Loads a chunk's good lines (COPY text, STAGE_COLUMNS) into a temp table dropped at commit. */
  async stage(em: EntityManager, copyText: Buffer): Promise<void> {
    await run(
      em,
      `CREATE TEMP TABLE ${CARD_IMPORT_STAGE} (
         line integer NOT NULL, card_id uuid NOT NULL, serial bigint NOT NULL, chip_id varchar(32) NOT NULL,
         nir char(15) NOT NULL, organisme_code char(9) NOT NULL, generation smallint NOT NULL, state card_state NOT NULL,
         opposition_reason opposition_reason, issued_on date NOT NULL, last_updated_on date,
         data_version integer NOT NULL, dependants smallint NOT NULL) ON COMMIT DROP`,
    );
    if (copyText.length === 0) return;
    const client = await (em.queryRunner as PostgresQueryRunner).connect();
    const copy = client.query(copyFrom(`COPY ${CARD_IMPORT_STAGE} (${STAGE_COLUMNS}) FROM STDIN`));
    await pipeline(Readable.from([copyText]), copy);
    await run(em, `ANALYZE ${CARD_IMPORT_STAGE}`);
  }

  /** Staged lines naming an organisme the reference data does not know: out of the stage, rejected. */
  async dropUnknownOrganismes(em: EntityManager): Promise<CardBaseReject[]> {
    const { rows } = await run<{ line: number }>(
      em,
      `DELETE FROM ${CARD_IMPORT_STAGE} s WHERE NOT EXISTS (SELECT 1 FROM organisme o WHERE o.code = s.organisme_code)
       RETURNING s.line`,
    );
    return rows.map((r) => ({ line: r.line, code: 'ORGANISME_UNKNOWN', field: 'organisme' }));
  }

  /**
   * The staged lines the chunk did not insert (their serial was taken), decided: a serial an earlier line of this
   * import brought is a duplicate line (rejected); the same card already imported (same serial and chip, by this
   * import's earlier sending or another import) is unchanged; any other card holding the serial refuses the line.
   */
  async notInserted(em: EntityManager, importId: string): Promise<{ unchanged: number; rejects: CardBaseReject[] }> {
    const { rows } = await run<{ line: number; code: string }>(
      em,
      `SELECT s.line, CASE
                WHEN i.import_id = $1 AND i.import_line < s.line THEN 'DUPLICATE_SERIAL'
                WHEN i.card_id IS NOT NULL AND c.chip_id = s.chip_id THEN 'UNCHANGED'
                ELSE 'SERIAL_TAKEN' END AS code
         FROM ${CARD_IMPORT_STAGE} s
         JOIN card c ON c.serial = s.serial AND c.id <> s.card_id
         LEFT JOIN imported_card i ON i.card_id = c.id`,
      [importId],
    );
    const rejects = rows
      .filter((r) => r.code !== 'UNCHANGED')
      .map((r) => ({ line: r.line, code: r.code, field: 'serial' }));
    return { unchanged: rows.length - rejects.length, rejects };
  }

  /** The chunk's record, its rejects, and the import's totals and cursor, in the chunk's transaction. */
  async recordChunk(em: EntityManager, id: string, chunk: ChunkRecord, rejects: CardBaseReject[]): Promise<void> {
    if (rejects.length > 0) {
      await run(
        em,
        `INSERT INTO card_base_import_reject (import_id, line, code, field)
         SELECT $1, * FROM unnest($2::int[], $3::varchar[], $4::varchar[])`,
        [id, rejects.map((r) => r.line), rejects.map((r) => r.code), rejects.map((r) => r.field)],
      );
    }
    await run(
      em,
      `INSERT INTO card_base_import_chunk (import_id, chunk_no, chain_hash, first_line, last_line, imported_rows, unchanged_rows, rejected_rows)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        id,
        chunk.chunkNo,
        chunk.chainHash,
        chunk.firstLine,
        chunk.lastLine,
        chunk.importedRows,
        chunk.unchangedRows,
        chunk.rejectedRows,
      ],
    );
    await run(
      em,
      `UPDATE card_base_import SET imported_rows = imported_rows + $2, unchanged_rows = unchanged_rows + $3,
              rejected_rows = rejected_rows + $4, last_line = greatest(last_line, $5), updated_at = now()
        WHERE id = $1`,
      [id, chunk.importedRows, chunk.unchangedRows, chunk.rejectedRows, chunk.lastLine],
    );
  }

  /** Every line read: the import is done (the cursor at the file's last line). */
  async finish(em: EntityManager, id: string, lastLine: number): Promise<void> {
    await run(
      em,
      `UPDATE card_base_import SET status = $2, last_line = $3, interruption = NULL, finished_at = coalesce(finished_at, now()),
              updated_at = now() WHERE id = $1`,
      [id, CardBaseImportStatus.Done, lastLine],
    );
  }

  /** A sending stopped before the end: why (a stable code); the import stays resumable. */
  async interrupt(em: EntityManager, id: string, code: string): Promise<void> {
    await run(em, `UPDATE card_base_import SET interruption = $2, updated_at = now() WHERE id = $1 AND status = $3`, [
      id,
      code,
      CardBaseImportStatus.Receiving,
    ]);
  }

  async find(em: EntityManager, id: string): Promise<ImportRow | null> {
    const { rows } = await run<ImportRow>(em, `SELECT ${IMPORT_COLUMNS} FROM card_base_import WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async rejects(em: EntityManager, id: string, after: number, limit: number): Promise<CardBaseReject[]> {
    const { rows } = await run<CardBaseReject>(
      em,
      `SELECT line, code, field FROM card_base_import_reject WHERE import_id = $1 AND line > $2 ORDER BY line LIMIT $3`,
      [id, after, limit],
    );
    return rows;
  }
}
