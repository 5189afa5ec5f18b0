import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { CardBaseImportRepository } from '../src/takeover/card-base-import.repository.js';
import { CardBaseImportsService } from '../src/takeover/card-base-imports.service.js';
import { CARD_BASE_HEADER } from '../src/takeover/card-base-parser.js';
import { insertBeneficiary, insertCard, makeNir } from './support/factories.js';
import { tempDir } from './support/temp-dirs.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import { CardState } from '../src/cards/card-state.enum.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/src/cli/main.js');

interface Line {
  serial: number;
  chip?: string;
  nir: string;
  org?: string;
  generation?: 1 | 2;
  state?: 'active' | 'opposed' | 'destroyed';
  reason?: string;
  issued?: string;
  updated?: string;
  dataVersion?: number;
  dependants?: number;
}
const ORG = '017510001';
const line = (l: Line) =>
  [
    l.serial,
    l.chip ?? `A${l.serial.toString(16).toUpperCase()}`,
    l.nir,
    l.org ?? ORG,
    l.generation ?? 1,
    l.state ?? 'active',
    l.reason ?? '',
    l.issued ?? '2009-03-01',
    l.updated ?? '2021-06-30',
    l.dataVersion ?? 7,
    l.dependants ?? 0,
  ].join(',');
const file = (lines: string[]) => [CARD_BASE_HEADER, ...lines].join('\n') + '\n';

/** The card-base import through the operator API (supertest and curl) and the CLI, on a real PostgreSQL. */
describe('takeover: the card-base import', () => {
  let t: TestApp;
  let base: string;
  let dir: string;
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await t.dataSource.query(sql, params))[0].n as string);
  const curl = async (args: string[]) => {
    const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args], { maxBuffer: 1 << 20 });
    const i = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(i + 1)), body: JSON.parse(stdout.slice(0, i)) as Record<string, unknown> };
  };
  const send = (bytes: Buffer, type = 'text/csv') =>
    t.http().post('/v1/card-base/imports').set(bearer(t.operatorKey)).set('Content-Type', type).send(bytes);

  beforeAll(async () => {
    t = await startTestApp({ cardImportChunkRows: 3 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    dir = tempDir('card-base');
  });
  afterAll(async () => {
    await t?.close();
  });

  let known: { id: string; nir: string };
  let renamed: { id: string; temporary: string };
  const unknownNir = makeNir('1750699123456');
  let firstFile: Buffer;

  it('imports a gzip file sent with curl: bad lines, duplicate and taken serials, unknown holders kept and flagged', async () => {
    known = await insertBeneficiary(t.dataSource);
    const temporary = makeNir('7850575123451');
    const b = await insertBeneficiary(t.dataSource, { nir: temporary });
    await t.dataSource.query(`UPDATE beneficiary SET nir = $2, nir_temporary = false WHERE id = $1`, [
      b.id,
      makeNir('2850575123451'),
    ]);
    renamed = { id: b.id, temporary };
    const issued = await insertCard(t.dataSource, { beneficiaryId: known.id, state: CardState.Active });
    const badKey = known.nir.slice(0, 13) + String((Number(known.nir.slice(13)) % 97) + 1).padStart(2, '0');
    firstFile = Buffer.from(
      file([
        line({ serial: 800000000001, nir: known.nir, dataVersion: 12 }), // 2 imported
        line({ serial: 800000000002, nir: badKey }), // 3 NIR_INVALID
        line({ serial: 800000000001, chip: 'BEEF', nir: known.nir }), // 4 DUPLICATE_SERIAL
        line({ serial: 800000000004, nir: unknownNir, generation: 2 }), // 5 imported, holder unknown
        line({ serial: 800000000005, nir: temporary }), // 6 imported, holder by the NIR history
        line({ serial: 800000000006, nir: known.nir, state: 'opposed', reason: 'lost' }), // 7 imported, opposed
        `800000000007,${known.nir},x`, // 8 FIELD_COUNT
        line({ serial: 800000000008, nir: known.nir, state: 'destroyed' }), // 9 imported
        line({ serial: 800000000009, nir: known.nir, org: '999999999' }), // 10 ORGANISME_UNKNOWN
        line({ serial: Number(issued.serial), nir: known.nir }), // 11 SERIAL_TAKEN (an issued card)
        line({ serial: 800000000011, nir: known.nir, state: 'active', generation: 2 }), // 12 imported, a 2nd usable card
        line({ serial: 800000000012, nir: known.nir, state: 'opposed' }), // 13 OPPOSITION_REASON_INVALID
      ]),
    );
    const gz = path.join(dir, 'base.csv.gz');
    writeFileSync(gz, gzipSync(firstFile));
    const res = await curl([
      '-X',
      'POST',
      '-H',
      `Authorization: Bearer ${t.operatorKey}`,
      '-H',
      'Content-Type: application/gzip',
      '--data-binary',
      `@${gz}`,
      `${base}/v1/card-base/imports`,
    ]);
    expect(res.status).toBe(200);
    // The sending lands the good lines (the bad ones rejected by line); the job then moves them into the card base.
    expect(res.body).toMatchObject({
      format: 'card-base/1',
      status: 'received',
      lastLine: 13,
      landedRows: 9,
      rejectedRows: 3,
      chunksCommitted: 4,
      chunksSkipped: 0,
    });
    const id = res.body.id as string;
    await t.jobsSettled();
    const after = await t.http().get(`/v1/card-base/imports/${id}`).set(bearer(t.operatorKey));
    expect(after.body).toMatchObject({
      status: 'done',
      lastLine: 13,
      landedRows: 9,
      importedRows: 6,
      unchangedRows: 0,
      rejectedRows: 6,
    });
    expect(await count(`SELECT count(*) AS n FROM card_base_line WHERE import_id = $1`, [id])).toBe(0);

    const rejects = await t.http().get(`/v1/card-base/imports/${id}/rejects`).set(bearer(t.operatorKey));
    expect(rejects.status).toBe(200);
    expect(rejects.body.items).toEqual([
      { line: 3, code: 'NIR_INVALID', field: 'holder_nir' },
      { line: 4, code: 'DUPLICATE_SERIAL', field: 'serial' },
      { line: 8, code: 'FIELD_COUNT', field: null },
      { line: 10, code: 'ORGANISME_UNKNOWN', field: 'organisme' },
      { line: 11, code: 'SERIAL_TAKEN', field: 'serial' },
      { line: 13, code: 'OPPOSITION_REASON_INVALID', field: 'opposition_reason' },
    ]);
    expect(JSON.stringify(rejects.body)).not.toContain(known.nir);

    const cards = await t.dataSource.query(
      `SELECT c.serial::text, c.beneficiary_id, c.state, c.opposition_reason, c.generation, c.data_version, c.origin,
              c.awaiting_reconciliation, i.holder_nir, i.import_line, i.issued_on::text
         FROM card c JOIN imported_card i ON i.card_id = c.id ORDER BY c.serial`,
    );
    expect(cards).toEqual([
      expect.objectContaining({
        serial: '800000000001',
        beneficiary_id: known.id,
        state: 'active',
        data_version: 12,
        awaiting_reconciliation: true,
        holder_nir: null,
        import_line: 2,
        issued_on: '2009-03-01',
      }),
      expect.objectContaining({
        serial: '800000000004',
        beneficiary_id: null,
        generation: 2,
        awaiting_reconciliation: true,
        holder_nir: unknownNir,
      }),
      expect.objectContaining({ serial: '800000000005', beneficiary_id: renamed.id, holder_nir: null }),
      expect.objectContaining({
        serial: '800000000006',
        state: 'opposed',
        opposition_reason: 'lost',
        awaiting_reconciliation: false,
      }),
      expect.objectContaining({ serial: '800000000008', state: 'destroyed', awaiting_reconciliation: false }),
      expect.objectContaining({
        serial: '800000000011',
        beneficiary_id: known.id,
        origin: 'imported',
        awaiting_reconciliation: true,
      }),
    ]);
    // The old base's chip: no records written by this system, its data version kept; the opposed card reaches the lists.
    expect(
      await count(
        `SELECT count(*) AS n FROM card_data_record r JOIN card c ON c.id = r.card_id WHERE c.origin = 'imported'`,
      ),
    ).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM opposition_change WHERE serial = 800000000006 AND op = 'add'`)).toBe(
      1,
    );
    // The allocator never issues an imported serial.
    expect(await count(`SELECT next_serial AS n FROM serial_allocator`)).toBeGreaterThan(800000000011);
    expect(
      await count(
        `SELECT count(*) AS n FROM audit_entry WHERE entity_id = $1 AND action = 'card-base-import.rejects-read'`,
        [id],
      ),
    ).toBe(1);
  });

  it('changes nothing when the same file is sent again (every chunk found committed)', async () => {
    const before = await count(`SELECT count(*) AS n FROM card`);
    const res = await send(firstFile);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'done',
      importedRows: 6,
      rejectedRows: 6,
      sendings: 2,
      chunksSkipped: 4,
      chunksCommitted: 0,
    });
    expect(await count(`SELECT count(*) AS n FROM card`)).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM card_base_import`)).toBe(1);
  });

  it('makes one import of two first sendings of one file at once: the second waits for the first and continues it', async () => {
    const repo = t.app.get(CardBaseImportRepository);
    const hash = 'c'.repeat(64);
    const first = t.dataSource.createQueryRunner();
    await first.connect();
    try {
      await first.startTransaction();
      const a = await repo.findOrCreate(first.manager, null, hash, 3);
      expect(a.found).toBe(false);
      // The second sending starts while the first's import is not committed yet.
      const second = t.dataSource.transaction((em) => repo.findOrCreate(em, null, hash, 3));
      await new Promise((r) => setTimeout(r, 300));
      await first.commitTransaction();
      expect(await second).toEqual({ id: a.id, found: true });
    } finally {
      await first.release();
    }
    expect(await count(`SELECT count(*) AS n FROM card_base_import WHERE first_chunk_hash = $1`, [hash])).toBe(1);
  });

  it('keeps the chunks before a truncated gzip tail, and resumes after them when the whole file comes again', async () => {
    const lines = Array.from({ length: 300 }, (_, i) =>
      line({ serial: 810000000000 + i, nir: known.nir, state: 'destroyed' }),
    );
    const whole = gzipSync(Buffer.from(file(lines)));
    const cut = whole.subarray(0, whole.length - 12);
    const first = await send(cut, 'application/gzip');
    expect(first.status).toBe(422);
    expect(first.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(first.body.code).toBe('CARD_IMPORT_TRUNCATED');
    const { importId, lastLine } = first.body as { importId: string; lastLine: number };
    expect(lastLine).toBeGreaterThan(1);
    expect(lastLine).toBeLessThan(301);
    expect((lastLine - 1) % 3).toBe(0);
    // What was landed before the cut becomes cards meanwhile.
    await t.jobsSettled();
    const kept = await count(`SELECT count(*) AS n FROM card WHERE serial BETWEEN 810000000000 AND 810000000299`);
    expect(kept).toBe(lastLine - 1);
    const status = await t.http().get(`/v1/card-base/imports/${importId}`).set(bearer(t.operatorKey));
    expect(status.body).toMatchObject({ status: 'receiving', interruption: 'CARD_IMPORT_TRUNCATED', lastLine });

    const again = await send(whole, 'application/gzip');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: importId, status: 'received', lastLine: 301, landedRows: 300 });
    expect(again.body.chunksSkipped).toBe((lastLine - 1) / 3);
    await t.jobsSettled();
    const done = await t.http().get(`/v1/card-base/imports/${importId}`).set(bearer(t.operatorKey));
    expect(done.body).toMatchObject({ status: 'done', importedRows: 300, rejectedRows: 0, interruption: null });
    expect(await count(`SELECT count(*) AS n FROM card WHERE serial BETWEEN 810000000000 AND 810000000299`)).toBe(300);
  });

  /**
   * Starts `card-base:import` of a file with `chunkRows` lines a chunk (the chunk size tells the import apart), kills
   * it (SIGKILL) once three of its chunks have committed; answers how to count its committed chunks.
   */
  const importKilledAfterThreeChunks = async (csv: string, chunkRows: number) => {
    const child = spawn(process.execPath, [CLI, 'card-base:import', '--file', csv], {
      env: {
        ...process.env,
        DATABASE_URL: t.url,
        DATA_DIR: tempDir('cli-data'),
        CARD_IMPORT_CHUNK_ROWS: String(chunkRows),
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => child.once('close', r));
    const chunks = async () =>
      count(
        `SELECT count(*) AS n FROM card_base_import_chunk k JOIN card_base_import i ON i.id = k.import_id WHERE i.chunk_rows = $1`,
        [chunkRows],
      );
    const deadline = Date.now() + 60_000;
    while ((await chunks()) < 3) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the CLI import did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    return chunks;
  };

  it('resumes an import whose process was killed, from its last committed chunk', async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) =>
      line({ serial: 820000000000 + i, nir: unknownNir, state: 'destroyed' }),
    );
    const csv = path.join(dir, 'killed.csv');
    writeFileSync(csv, file(lines));
    const deadline = Date.now() + 60_000;
    const chunks = await importKilledAfterThreeChunks(csv, 500);
    const committed = await chunks();
    expect(committed).toBeLessThan(120);
    const [imp] = await t.dataSource.query(
      `SELECT id, status, last_line, landed_rows FROM card_base_import WHERE chunk_rows = 500`,
    );
    expect(imp.status).toBe('receiving');
    // Every committed chunk is whole: its lines landed, none of a chunk that did not commit.
    expect(imp.landed_rows).toBe(imp.last_line - 1);
    expect(await count(`SELECT count(*) AS n FROM card_base_line WHERE import_id = $1`, [imp.id])).toBe(
      imp.last_line - 1,
    );

    // The second run lands the rest, then is killed while it moves the lines into the card base.
    const second = spawn(process.execPath, [CLI, 'card-base:import', '--file', csv], {
      env: {
        ...process.env,
        DATABASE_URL: t.url,
        DATA_DIR: tempDir('cli-data'),
        LOG_LEVEL: 'silent',
        CARD_IMPORT_CHUNK_ROWS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const secondExited = new Promise((r) => second.once('close', r));
    const moved = async () =>
      count(`SELECT count(*) AS n FROM card_base_import_chunk WHERE import_id = $1 AND materialised_at IS NOT NULL`, [
        imp.id,
      ]);
    while ((await moved()) < 3) {
      if (Date.now() > deadline + 60_000 || second.exitCode !== null)
        throw new Error('the materialisation did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    second.kill('SIGKILL');
    await secondExited;
    const [mid] = await t.dataSource.query(
      `SELECT status, landed_rows, imported_rows FROM card_base_import WHERE id = $1`,
      [imp.id],
    );
    expect(mid).toMatchObject({ status: 'received', landed_rows: 60_000 });
    expect(mid.imported_rows).toBeLessThan(60_000);
    expect(await count(`SELECT count(*) AS n FROM card WHERE serial BETWEEN 820000000000 AND 820000059999`)).toBe(
      mid.imported_rows,
    );

    const res = await run(process.execPath, [CLI, 'card-base:materialise', '--import', imp.id], {
      env: { ...process.env, DATABASE_URL: t.url, DATA_DIR: tempDir('cli-data'), LOG_LEVEL: 'silent' },
    });
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!);
    expect(out).toMatchObject({ id: imp.id, status: 'done', importedRows: 60_000, rejectedRows: 0, sendings: 2 });
    expect(await count(`SELECT count(*) AS n FROM card_base_line WHERE import_id = $1`, [imp.id])).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM card WHERE serial BETWEEN 820000000000 AND 820000059999`)).toBe(
      60_000,
    );
    expect(await count(`SELECT count(*) AS n FROM imported_card WHERE import_id = $1`, [imp.id])).toBe(60_000);
  });

  it('finds a sending whose process was killed without a word: recorded as lost once, its landed chunks become cards', async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) =>
      line({ serial: 825000000000 + i, nir: unknownNir, state: 'destroyed' }),
    );
    const csv = path.join(dir, 'lost.csv');
    writeFileSync(csv, file(lines));
    await importKilledAfterThreeChunks(csv, 400);
    const [{ id }] = await t.dataSource.query(`SELECT id FROM card_base_import WHERE chunk_rows = 400`);
    const view = async () => (await t.http().get(`/v1/card-base/imports/${id}`).set(bearer(t.operatorKey))).body;
    expect(await view()).toMatchObject({ status: 'receiving', interruption: null, importedRows: 0 });

    // The hourly sweep: silent for less than CARD_IMPORT_LOST_MINUTES, the sending may still be under way.
    const imports = t.app.get(CardBaseImportsService);
    expect(await imports.findLostSendings()).toBe(0);
    await t.dataSource.query(`UPDATE card_base_import SET updated_at = now() - interval '31 minutes' WHERE id = $1`, [
      id,
    ]);
    expect(await imports.findLostSendings()).toBe(1);
    expect(await imports.findLostSendings()).toBe(0); // once
    await t.jobsSettled();
    const after = await view();
    expect(after).toMatchObject({ status: 'receiving', interruption: 'SENDING_LOST' });
    expect(after.landedRows).toBeGreaterThan(0);
    expect(after.importedRows).toBe(after.landedRows);
    expect(await count(`SELECT count(*) AS n FROM card WHERE serial BETWEEN 825000000000 AND 825000059999`)).toBe(
      after.landedRows,
    );
    const audit = await t.dataSource.query(
      `SELECT details FROM audit_entry WHERE entity_id = $1 AND action = 'card-base-import.interrupted'`,
      [id],
    );
    expect(audit.map((a: { details: unknown }) => a.details)).toEqual([{ interruption: 'SENDING_LOST' }]);
  });

  it('moves each landed chunk once when two materialisers (instances, the job and the CLI) run at the same time', async () => {
    const lines = Array.from({ length: 60 }, (_, i) =>
      line({ serial: 830000000000 + i, nir: i % 2 ? known.nir : unknownNir, state: i % 3 ? 'destroyed' : 'active' }),
    );
    const res = await send(Buffer.from(file(lines)));
    expect(res.body).toMatchObject({ status: 'received', landedRows: 60 });
    const id = res.body.id as string;
    const imports = t.app.get(CardBaseImportsService);
    // Two more materialisers beside the job the sending enqueued.
    const views = await Promise.all([imports.materialise(id), imports.materialise(id)]);
    await t.jobsSettled();
    for (const v of views) expect(v).toMatchObject({ importedRows: 60, rejectedRows: 0, status: 'done' });
    expect(await count(`SELECT count(*) AS n FROM card WHERE serial BETWEEN 830000000000 AND 830000000059`)).toBe(60);
    expect(await count(`SELECT count(*) AS n FROM imported_card WHERE import_id = $1`, [id])).toBe(60);
    expect(await count(`SELECT imported_rows AS n FROM card_base_import WHERE id = $1`, [id])).toBe(60);
    expect(await count(`SELECT sum(imported_rows) AS n FROM card_base_import_chunk WHERE import_id = $1`, [id])).toBe(
      60,
    );
    expect(
      await count(
        `SELECT count(*) AS n FROM audit_entry WHERE entity_id = $1 AND action = 'card-base-import.materialised'`,
        [id],
      ),
    ).toBe(1);
  });

  it('lands a chunk whose every line is bad: nothing to move, the import still done', async () => {
    const res = await send(
      Buffer.from(
        file([
          `840000000001,${known.nir},x`,
          line({ serial: 840000000002, nir: known.nir, state: 'opposed' }),
          line({ serial: 0, nir: known.nir }),
          line({ serial: 840000000004, nir: known.nir, state: 'destroyed' }),
        ]),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'received', landedRows: 1, rejectedRows: 3, chunksCommitted: 2 });
    await t.jobsSettled();
    const done = await t.http().get(`/v1/card-base/imports/${res.body.id}`).set(bearer(t.operatorKey));
    expect(done.body).toMatchObject({ status: 'done', importedRows: 1, rejectedRows: 3 });
  });

  it('reads no body before the caller is an operator, and refuses a file that is not card-base/1', async () => {
    const fund = await t.partner(PartnerKind.Fund, ORG);
    const refused = await t
      .http()
      .post('/v1/card-base/imports')
      .set(bearer(fund.key))
      .set('Content-Type', 'text/csv')
      .send(firstFile);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('PARTNER_KIND_FORBIDDEN');
    const noKey = await t.http().post('/v1/card-base/imports').set('Content-Type', 'text/csv').send(firstFile);
    expect(noKey.status).toBe(401);
    const header = await send(Buffer.from('serial;chip\n1;2\n'));
    expect(header.status).toBe(422);
    expect(header.body.code).toBe('CARD_IMPORT_HEADER_INVALID');
    expect(JSON.stringify(header.body)).not.toContain('serial;chip');
    const empty = await send(Buffer.from(CARD_BASE_HEADER + '\n'));
    expect(empty.body.code).toBe('CARD_IMPORT_EMPTY');
    const missing = await t
      .http()
      .get(`/v1/card-base/imports/6f1e0f7e-5d4c-4b3a-9a1b-1c2d3e4f5a6b`)
      .set(bearer(t.operatorKey));
    expect(missing.body.code).toBe('CARD_IMPORT_NOT_FOUND');
  });
});
