import { Injectable } from '@nestjs/common';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';
import { run } from '../platform/database/sql.js';
import { CardBaseImportStatus } from './card-base-import.entity.js';
import { type CardBaseReject, LINE_COLUMNS } from './card-base-parser.js';

/**
 * First key of the chunk locks (`pg_advisory_xact_lock(CARD_IMPORT_LOCK_CLASS, hash of import and chunk)`); other
 * two-key locks use other classes (job leases: 'JOBS'). Two chunks whose hashes meet only wait for each other.
 */
const CARD_IMPORT_LOCK_CLASS = 0x43424149; // 'CBAI'

/** A materialising chunk's staging table: temporary, dropped at the chunk's commit. */
export const CARD_IMPORT_STAGE = 'card_import_stage';

export interface ImportRow {
  id: string;
  status: CardBaseImportStatus;
  chunkRows: number;
  lastLine: number;
  landedRows: number;
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
  landedRows: number;
  importedRows: number;
  unchangedRows: number;
  rejectedRows: number;
  materialised: boolean;
}

/** What a sending's chunk landed. */
export interface LandedChunk {
  chunkNo: number;
  chainHash: string;
  firstLine: number;
  lastLine: number;
  landedRows: number;
  minSerial: number;
  maxSerial: number;
  rejectedRows: number;
}

/** A landed chunk still to move into the card base. */
export interface ChunkToMaterialise {
  chunkNo: number;
  lastLine: number;
  landedRows: number;
  minSerial: number;
  maxSerial: number;
}

const IMPORT_COLUMNS = `id, status, chunk_rows AS "chunkRows", last_line AS "lastLine", landed_rows AS "landedRows",
  imported_rows AS "importedRows",
  unchanged_rows AS "unchangedRows", rejected_rows AS "rejectedRows", sendings, interruption,
  created_at AS "createdAt", updated_at AS "updatedAt", finished_at AS "finishedAt"`;

/**
 * The only place that reads and writes card_base_import, its chunks, rejects and landed lines (card_base_line), and
 * the materialising chunk's staging table.
 */
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
      `SELECT chain_hash AS "chainHash", first_line AS "firstLine", last_line AS "lastLine", landed_rows AS "landedRows",
              imported_rows AS "importedRows", unchanged_rows AS "unchangedRows", rejected_rows AS "rejectedRows",
              materialised_at IS NOT NULL AS materialised
         FROM card_base_import_chunk WHERE import_id = $1 AND chunk_no = $2`,
      [id, chunkNo],
    );
    return rows[0] ?? null;
  }

  /**
   * A chunk recorded by an earlier sending whose lines differ from this one's (another file with the same first
   * chunk): its record, rejects and lines not yet materialised go, its counts leave the totals; its cards stay (cards
   * are never deleted).
   */
  async forgetChunk(em: EntityManager, id: string, chunkNo: number, old: ChunkRow): Promise<void> {
    await run(em, `DELETE FROM card_base_import_chunk WHERE import_id = $1 AND chunk_no = $2`, [id, chunkNo]);
    if (!old.materialised)
      await run(em, `DELETE FROM card_base_line WHERE import_id = $1 AND chunk_no = $2`, [id, chunkNo]);
    await run(em, `DELETE FROM card_base_import_reject WHERE import_id = $1 AND line BETWEEN $2 AND $3`, [
      id,
      old.firstLine,
      old.lastLine,
    ]);
    await run(
      em,
      `UPDATE card_base_import SET imported_rows = imported_rows - $2, unchanged_rows = unchanged_rows - $3,
              rejected_rows = rejected_rows - $4, landed_rows = landed_rows - $5 WHERE id = $1`,
      [id, old.importedRows, old.unchangedRows, old.rejectedRows, old.landedRows],
    );
  }

  /**
   * Lands a chunk's good lines (COPY text, LINE_COLUMNS) in card_base_line, streamed with COPY: the table has no key,
   * foreign key or trigger, so this costs about what a COPY into a bare table costs. The lines' import and chunk come
   * from the transaction's settings (the table's defaults), not from every line of the COPY text.
   */
  async land(em: EntityManager, id: string, chunkNo: number, copyText: Buffer): Promise<void> {
    await run(
      em,
      `SELECT set_config('vitale.card_import_id', $1, true), set_config('vitale.card_import_chunk', $2, true)`,
      [id, String(chunkNo)],
    );
    if (copyText.length === 0) return;
    const client = await (em.queryRunner as PostgresQueryRunner).connect();
    const copy = client.query(copyFrom(`COPY card_base_line (${LINE_COLUMNS}) FROM STDIN`));
    await pipeline(Readable.from([copyText]), copy);
  }

  /**
   * A materialising chunk: its landed lines move (deleted from card_base_line in the same statement) into a temp
   * table dropped at commit, each with the id its card will have (time-ordered within the statement: the chunk's
   * cards land together at the end of card's primary key, not all over it). Answers the lines staged.
   */
  async stageLanded(em: EntityManager, id: string, chunkNo: number): Promise<number> {
    await run(
      em,
      `CREATE TEMP TABLE ${CARD_IMPORT_STAGE} (
         line integer NOT NULL, card_id uuid NOT NULL, serial bigint NOT NULL, chip_id varchar(32) NOT NULL,
         nir char(15) NOT NULL, organisme_code char(9) NOT NULL, generation smallint NOT NULL, state card_state NOT NULL,
         opposition_reason opposition_reason, issued_on date NOT NULL, last_updated_on date,
         data_version integer NOT NULL, dependants smallint NOT NULL) ON COMMIT DROP`,
    );
    const { count } = await run(
      em,
      `WITH moved AS (DELETE FROM card_base_line WHERE import_id = $1 AND chunk_no = $2 RETURNING *),
            t AS (SELECT lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') AS ms)
       INSERT INTO ${CARD_IMPORT_STAGE} (line, card_id, ${LINE_COLUMNS.replace('line, ', '')})
       SELECT m.line, overlay(gen_random_uuid()::text PLACING substr(t.ms, 1, 8) || '-' || substr(t.ms, 9, 4) || '-7' FROM 1 FOR 15)::uuid,
              ${LINE_COLUMNS.replace('line, ', '')
                .split(', ')
                .map((c) => `m.${c}`)
                .join(', ')}
         FROM moved m CROSS JOIN t`,
      [id, chunkNo],
    );
    await run(em, `ANALYZE ${CARD_IMPORT_STAGE}`);
    return count;
  }

  /** The landed chunks still to move into the card base, in file order. */
  async chunksToMaterialise(em: EntityManager, id: string): Promise<ChunkToMaterialise[]> {
    const { rows } = await run<ChunkToMaterialise>(
      em,
      `SELECT chunk_no AS "chunkNo", last_line AS "lastLine", landed_rows AS "landedRows",
              min_serial::float8 AS "minSerial", max_serial::float8 AS "maxSerial"
         FROM card_base_import_chunk WHERE import_id = $1 AND materialised_at IS NULL ORDER BY chunk_no`,
      [id],
    );
    return rows;
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

  private async insertRejects(em: EntityManager, id: string, rejects: CardBaseReject[]): Promise<void> {
    if (rejects.length === 0) return;
    await run(
      em,
      `INSERT INTO card_base_import_reject (import_id, line, code, field)
       SELECT $1, * FROM unnest($2::int[], $3::varchar[], $4::varchar[])`,
      [id, rejects.map((r) => r.line), rejects.map((r) => r.code), rejects.map((r) => r.field)],
    );
  }

  /**
   * A landed chunk's record, its rejects, and the import's totals and cursor, in the chunk's transaction. A chunk
   * with no good line has nothing to materialise.
   */
  async recordLanded(em: EntityManager, id: string, chunk: LandedChunk, rejects: CardBaseReject[]): Promise<void> {
    await this.insertRejects(em, id, rejects);
    await run(
      em,
      `INSERT INTO card_base_import_chunk (import_id, chunk_no, chain_hash, first_line, last_line, landed_rows, min_serial,
                                           max_serial, imported_rows, unchanged_rows, rejected_rows, materialised_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, CASE WHEN $6 = 0 THEN now() END)`,
      [
        id,
        chunk.chunkNo,
        chunk.chainHash,
        chunk.firstLine,
        chunk.lastLine,
        chunk.landedRows,
        chunk.minSerial,
        chunk.maxSerial,
        chunk.rejectedRows,
      ],
    );
    await run(
      em,
      `UPDATE card_base_import SET landed_rows = landed_rows + $2, rejected_rows = rejected_rows + $3,
              last_line = greatest(last_line, $4), updated_at = now()
        WHERE id = $1`,
      [id, chunk.landedRows, chunk.rejectedRows, chunk.lastLine],
    );
  }

  /** Whether the chunk still has landed lines to move (read under the chunk's lock). */
  async stillToMaterialise(em: EntityManager, id: string, chunkNo: number): Promise<boolean> {
    const { rows } = await run(
      em,
      `SELECT 1 FROM card_base_import_chunk WHERE import_id = $1 AND chunk_no = $2 AND materialised_at IS NULL`,
      [id, chunkNo],
    );
    return rows.length > 0;
  }

  /** A chunk moved into the card base: what it did, its rejects, and the import's totals, in its transaction. */
  async recordMaterialised(
    em: EntityManager,
    id: string,
    chunkNo: number,
    done: { imported: number; unchanged: number },
    rejects: CardBaseReject[],
  ): Promise<void> {
    await this.insertRejects(em, id, rejects);
    await run(
      em,
      `UPDATE card_base_import_chunk SET imported_rows = $3, unchanged_rows = $4, rejected_rows = rejected_rows + $5,
              materialised_at = now()
        WHERE import_id = $1 AND chunk_no = $2`,
      [id, chunkNo, done.imported, done.unchanged, rejects.length],
    );
    await run(
      em,
      `UPDATE card_base_import SET imported_rows = imported_rows + $2, unchanged_rows = unchanged_rows + $3,
              rejected_rows = rejected_rows + $4, updated_at = now()
        WHERE id = $1`,
      [id, done.imported, done.unchanged, rejects.length],
    );
  }

  /**
   * Every line of the file read by a sending: the import is received (landed chunks to move) or done (none left).
   * Answers the status.
   */
  async finishSending(em: EntityManager, id: string, lastLine: number): Promise<CardBaseImportStatus> {
    const { rows } = await run<{ status: CardBaseImportStatus }>(
      em,
      `UPDATE card_base_import i
          SET status = CASE WHEN EXISTS (SELECT 1 FROM card_base_import_chunk c WHERE c.import_id = i.id AND c.materialised_at IS NULL)
                            THEN $2::card_base_import_status ELSE $3::card_base_import_status END,
              last_line = $4, interruption = NULL, updated_at = now(),
              finished_at = CASE WHEN EXISTS (SELECT 1 FROM card_base_import_chunk c WHERE c.import_id = i.id AND c.materialised_at IS NULL)
                                 THEN NULL ELSE coalesce(finished_at, now()) END
        WHERE id = $1 RETURNING status`,
      [id, CardBaseImportStatus.Received, CardBaseImportStatus.Done, lastLine],
    );
    return rows[0].status;
  }

  /**
   * A received import whose every chunk is materialised is done (under the import row's lock, so two materialisers
   * finishing together mark it once). Answers whether this call marked it.
   */
  async finishMaterialising(em: EntityManager, id: string): Promise<boolean> {
    const { count } = await run(
      em,
      `UPDATE card_base_import i SET status = $2, finished_at = coalesce(finished_at, now()), updated_at = now()
        WHERE id = $1 AND status = $3
          AND NOT EXISTS (SELECT 1 FROM card_base_import_chunk c WHERE c.import_id = i.id AND c.materialised_at IS NULL)`,
      [id, CardBaseImportStatus.Done, CardBaseImportStatus.Received],
    );
    return count === 1;
  }

  /**
   * Sendings that stopped without a word (a killed process): imports receiving, with no interruption recorded and no
   * chunk committed for `minutes`, marked SENDING_LOST; answers their ids. A chunk committing meanwhile wins (the row
   * lock, then the condition re-read), and the next chunk of a sending taken for lost forgets the mark.
   */
  async markLostSendings(em: EntityManager, minutes: number): Promise<string[]> {
    const { rows } = await run<{ id: string }>(
      em,
      `UPDATE card_base_import SET interruption = 'SENDING_LOST', updated_at = now()
        WHERE status = $1 AND interruption IS NULL AND updated_at < now() - make_interval(mins => $2)
        RETURNING id`,
      [CardBaseImportStatus.Receiving, minutes],
    );
    return rows.map((r) => r.id);
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
