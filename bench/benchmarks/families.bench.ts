import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { systemActor } from '../../src/platform/auth/actor.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { ATTACHMENTS_CSV_HEADER } from '../../src/register/attachment-import-parser.js';
import { BulkImportsService } from '../../src/register/bulk-imports.service.js';
import { nirKey } from '../../src/register/nir.js';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

const FIRST_SERIAL = 100_000_000_001n;
/** People seeded per card, as the kiosk bench: a fifth of the register are children under 16. */
const PEOPLE_PER_CARD = 1.3;
const ms = (from: number) => performance.now() - from;
const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

/**
 * The chip's `dependants` record at scale (issue 13): N active cards with their chip's keys on the synthetic register
 * with its families, then
 *   - the register's function `chip_dependants_refresh` for a sample of holders with children: one call for them all
 *     beside one call per holder (what each attachment write's trigger does), each in a transaction rolled back;
 *   - a bulk attachments import (attachments-import/1, the product's upload and job) of new children to insured
 *     parents of one fund whose cards carry keys, beside the same attachments written by the register's floor: one
 *     INSERT of the children and one of their attachments (the statement triggers then refresh every parent at once).
 * docs/benchmarks.md, section "Benchmark families", says what each figure is.
 */
export const familiesBench: Benchmark = {
  name: 'families',
  description:
    "the dependants record at scale: the register's refresh per holder (together / one by one) and the attachments import vs two INSERTs",
  options: {
    cards: 'active cards with chip keys on the synthetic register with its families (default 1000000)',
    holders: 'holders with children whose record the refresh writes, each way (default 1000)',
    lines: 'lines of the attachments import, as many for its baseline (default 3000)',
  },
  async run(ctx: BenchContext): Promise<Record<string, number>> {
    const cards = positiveIntOption(ctx, 'cards', 1_000_000);
    const sample = positiveIntOption(ctx, 'holders', 1_000);
    const lines = positiveIntOption(ctx, 'lines', 3_000);
    const db = await ctx.freshDatabase();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-families-'));
    chmodSync(dataDir, 0o755);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    let app: NestFastifyApplication | undefined;
    try {
      const seedStarted = performance.now();
      await writeSynthetic(db.url, { count: Math.ceil(cards * PEOPLE_PER_CARD), seed: 7, families: true });
      // Cards and their keys as synthetic rows (the chip-record triggers skipped, as the kiosk bench seeds them):
      // the keys are well-formed points never used for a signature here, so no curve arithmetic is spent on them.
      await c.query(`SET session_replication_role = replica`);
      await c.query(
        `INSERT INTO card (beneficiary_id, organisme_code, state, serial, data_version)
         SELECT h.id, h.organisme_code, 'active', $1::bigint + row_number() OVER (ORDER BY h.id) - 1, 1
           FROM (SELECT b.id, a.organisme_code FROM beneficiary b JOIN affiliation a ON a.beneficiary_id = b.id AND a.valid_to IS NULL
                  WHERE NOT EXISTS (SELECT 1 FROM attachment t WHERE t.dependant_id = b.id) ORDER BY b.id LIMIT $2) h`,
        [FIRST_SERIAL.toString(), cards],
      );
      await c.query(
        `INSERT INTO card_key (card_id, auth_public_key, enc_public_key)
         SELECT id, '\\x04'::bytea || sha256(('a' || serial)::bytea) || sha256(('b' || serial)::bytea),
                    '\\x04'::bytea || sha256(('e' || serial)::bytea) || sha256(('f' || serial)::bytea) FROM card`,
      );
      await c.query(`SET session_replication_role = origin`);
      await c.query('ANALYZE');
      const seedSeconds = ms(seedStarted) / 1000;
      ctx.log(
        `families: ${cards} cards with keys on the register with its families, seeded in ${seedSeconds.toFixed(1)} s`,
      );

      // The refresh, for a sample of holders with children: one call, then one call per holder, from the same state.
      await c.query(
        `CREATE TEMP TABLE bench_holders AS
         SELECT DISTINCT c.beneficiary_id AS id, md5(c.beneficiary_id::text) FROM card c JOIN attachment a ON a.parent_id = c.beneficiary_id
          WHERE a.valid_to IS NULL OR a.valid_to > current_date ORDER BY 2 LIMIT $1`,
        [sample],
      );
      const timed = async (body: string): Promise<number> => {
        await c.query('BEGIN');
        try {
          const started = performance.now();
          await c.query(`DO $$ BEGIN ${body} END $$`);
          return ms(started);
        } finally {
          await c.query('ROLLBACK');
        }
      };
      const together = await timed(`PERFORM chip_dependants_refresh(ARRAY(SELECT id FROM bench_holders));`);
      const oneByOne = await timed(
        `DECLARE h uuid; BEGIN FOR h IN SELECT id FROM bench_holders LOOP PERFORM chip_dependants_refresh(ARRAY[h]); END LOOP; END;`,
      );
      const holders = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM bench_holders')).rows[0].n);
      ctx.log(
        `families: refresh of ${holders} holders: ${together.toFixed(0)} ms in one call, ${oneByOne.toFixed(0)} ms one by one`,
      );

      // The import: new children (1 or 2 each) for insured parents of the fund with the most cards, none with children.
      const fund = (
        await c.query<{ code: string }>(
          `SELECT organisme_code AS code FROM card GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`,
        )
      ).rows[0].code;
      const parents = (
        await c.query<{ id: string; nir: string }>(
          `SELECT b.id, b.nir FROM card c JOIN beneficiary b ON b.id = c.beneficiary_id
            WHERE c.organisme_code = $1 AND b.nir IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attachment a WHERE a.parent_id = b.id)
            ORDER BY md5(b.id::text) LIMIT $2`,
          [fund, Math.ceil((2 * lines) / 1.5) + 2],
        )
      ).rows;
      const children = await newChildren(c, 2 * lines + 2);
      // Two files of the same shape on distinct parents: one through the product's import, one for the baseline.
      const plan = (from: number) => {
        const out: Array<{ parent: { id: string; nir: string }; child: Child; rank: number }> = [];
        let p = from;
        while (out.length < lines) {
          const parent = parents[p++];
          const two = p % 2 === 0 && out.length + 2 <= lines; // every other parent gets two children (siblings)
          for (let k = 0; k < (two ? 2 : 1); k++) out.push({ parent, child: children.pop()!, rank: 1 });
        }
        return { rows: out, next: p };
      };
      const first = plan(0);
      const second = plan(first.next);
      if (second.next > parents.length) throw new Error(`families: only ${parents.length} parents without children`);

      const config = Object.assign(new AppConfig(), {
        logLevel: 'silent',
        dataDir,
        workersEnabled: false,
        cronsEnabled: false,
        sftpEnabled: false,
        seedReferenceData: false,
        rateLimitPerMinute: 100_000_000,
        kioskUpToDateInMemory: false,
      });
      app = await createApp(config, db.url, createLogger('silent'));
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
      const partners = app.get(PartnersService);
      const partner = await partners.createPartner(systemActor(), {
        kind: PartnerKind.Fund,
        name: 'bench fund',
        organismeCode: fund,
      });
      const { key } = await partners.createApiKey(systemActor(), partner.id);
      const csv = [
        ATTACHMENTS_CSV_HEADER.join(';'),
        ...first.rows.map((r) =>
          [
            r.parent.nir,
            r.child.nir,
            r.child.firstName,
            'BENCH',
            '',
            r.child.birthDate,
            '1',
            r.child.birthDate,
            '',
            '',
            '',
          ].join(';'),
        ),
      ].join('\n');
      const importStarted = performance.now();
      const res = await app.inject({
        method: 'POST',
        url: '/v1/attachments/imports',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
        payload: csv,
      });
      if (res.statusCode !== 202)
        throw new Error(`families: the import's upload answered ${res.statusCode}: ${res.body}`);
      const importId = (JSON.parse(res.body) as { id: string }).id;
      await app.get(BulkImportsService).process(importId);
      const importMs = ms(importStarted);
      const done = (
        await c.query<{ status: string; created: number; rejected: number }>(
          `SELECT status, created_rows AS created, rejected_rows AS rejected FROM bulk_import WHERE id = $1`,
          [importId],
        )
      ).rows[0];
      if (done.status !== 'done' || done.created !== lines)
        throw new Error(`families: the import ended ${JSON.stringify(done)}, ${lines} lines sent`);

      // The baseline: the same shape of attachments written by the register's floor, two statements in one transaction.
      const baselineStarted = performance.now();
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO beneficiary (nir, first_name, birth_name, birth_date, birth_rank, address_lines)
         SELECT n, f, 'BENCH', d::date, 1, ARRAY['BENCH'] FROM unnest($1::text[], $2::text[], $3::text[]) AS x(n, f, d)`,
        [
          second.rows.map((r) => r.child.nir),
          second.rows.map((r) => r.child.firstName),
          second.rows.map((r) => r.child.birthDate),
        ],
      );
      await c.query(
        `INSERT INTO attachment (dependant_id, parent_id, valid_from)
         SELECT b.id, x.p, x.d::date FROM unnest($1::text[], $2::uuid[], $3::text[]) AS x(n, p, d) JOIN beneficiary b ON b.nir = x.n`,
        [
          second.rows.map((r) => r.child.nir),
          second.rows.map((r) => r.parent.id),
          second.rows.map((r) => r.child.birthDate),
        ],
      );
      await c.query('COMMIT');
      const baselineMs = ms(baselineStarted);
      // Both ways wrote every parent's card its record.
      const written = async (rows: typeof first.rows) =>
        Number(
          (
            await c.query<{ n: string }>(
              `SELECT count(*) AS n FROM card c JOIN card_data_record r ON r.card_id = c.id AND r.record_type = 'dependants'
                WHERE c.beneficiary_id = ANY($1::uuid[])`,
              [[...new Set(rows.map((r) => r.parent.id))]],
            )
          ).rows[0].n,
        );
      const importParents = new Set(first.rows.map((r) => r.parent.id)).size;
      if ((await written(first.rows)) !== importParents || (await written(second.rows)) !== importParents)
        throw new Error('families: a parent card without its dependants record');
      ctx.log(
        `families: import of ${lines} lines (${importParents} parents) in ${(importMs / 1000).toFixed(1)} s; the same by two INSERTs in ${(baselineMs / 1000).toFixed(1)} s`,
      );
      return {
        cards,
        holders,
        refresh_ms_per_holder: round(together / holders),
        refresh_one_by_one_ms_per_holder: round(oneByOne / holders),
        import_lines_per_s: Math.round(lines / (importMs / 1000)),
        baseline_import_lines_per_s: Math.round(lines / (baselineMs / 1000)),
        ratio: round(baselineMs / importMs),
        import_ms_per_line: round(importMs / lines),
        import_lines: lines,
        import_parents: importParents,
        seed_s: round(seedSeconds, 1),
        load_avg_1m: round(os.loadavg()[0], 1),
      };
    } finally {
      await app?.close();
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  },
};

interface Child {
  nir: string;
  firstName: string;
  birthDate: string;
}

/** `n` children born in 2021 with definitive NIRs that no one in the register holds (born abroad, department 99). */
async function newChildren(c: pg.Client, n: number): Promise<Child[]> {
  const out: Child[] = [];
  for (let i = 0; out.length < n + 1_000; i++) {
    const month = String(1 + (i % 12)).padStart(2, '0');
    const seq = Math.floor(i / 12);
    const body = `${1 + (seq % 2)}21${month}99${String(100 + (Math.floor(seq / 2) % 900)).padStart(3, '0')}${String(1 + (Math.floor(seq / 1800) % 999)).padStart(3, '0')}`;
    out.push({ nir: body + nirKey(body), firstName: 'ENFANT', birthDate: `2021-${month}-15` });
  }
  const taken = new Set(
    (
      await c.query<{ nir: string }>(`SELECT nir FROM beneficiary WHERE nir = ANY($1::char(15)[])`, [
        out.map((x) => x.nir),
      ])
    ).rows.map((r) => r.nir),
  );
  const free = out.filter((x) => !taken.has(x.nir));
  if (free.length < n) throw new Error(`families: only ${free.length} free NIRs for ${n} children`);
  return free.slice(0, n);
}
