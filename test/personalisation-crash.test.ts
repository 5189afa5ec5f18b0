import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { freePort } from '../src/platform/database/embedded-postgres.js';
import { requestReadyToOrder, tempDataDir, waitFor } from './support/order-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import { createVendor } from './support/vendor-fixtures.js';

/**
 * The worker is killed for real (SIGKILL, no clean-up) right after the batch transaction committed its serials
 * and before any file is written; a new process then finishes the work. No serial twice, none lost, one file.
 */
describe('a worker killed between serial allocation and file writing', () => {
  let t: TestApp;
  let dataDir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    dataDir = tempDataDir();
    t = await startTestApp({ dataDir, workersEnabled: false, personalisationBatchSize: 3 });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t?.close();
  });

  async function worker(failpoint?: string): Promise<{ child: ChildProcess; base: string }> {
    const port = await freePort();
    const child = spawn(process.execPath, [path.resolve('dist/src/main.js')], {
      env: {
        ...process.env, DATABASE_URL: t.url, DATA_DIR: dataDir, PORT: String(port), SFTP_PORT: '0', LOG_LEVEL: 'silent',
        JOBS_POLL_SECONDS: '0.5', CRONS_ENABLED: 'false', SEED_REFERENCE_DATA: 'false', PERSONALISATION_BATCH_SIZE: '3',
        ...(failpoint ? { VITALE_FAILPOINT: failpoint } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitFor(async () => out.includes('is running') || child.exitCode !== null, 'the worker to start', 60_000);
    if (child.exitCode !== null) throw new Error(out);
    return { child, base: `http://127.0.0.1:${port}` };
  }

  it('leaves no duplicate and no lost serial, and the file is written once after a restart', async () => {
    expect(existsSync('dist/src/main.js'), 'npm test builds dist/ first').toBe(true);
    const fund = bearer((await t.partner(PartnerKind.Fund, '017510001')).key);
    const vendor = await createVendor(t, { login: 'imprimerie_kill', regimeCodes: ['01'] });
    const cardIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await requestReadyToOrder(t);
      cardIds.push((await t.http().post(`/v1/card-requests/${r.requestId}/order`).set(fund).send().expect(200)).body.cardId);
    }
    const [{ next: before }] = await t.dataSource.query(`SELECT next_serial::text AS next FROM serial_allocator`);

    const doomed = await worker('emission.after-batch-allocation');
    const exited = new Promise<NodeJS.Signals | null>((resolve) => doomed.child.once('exit', (_code, signal) => resolve(signal)));
    const run = await fetch(`${doomed.base}/v1/personalisation/batches/run`, { method: 'POST', headers: bearer(t.operatorKey) });
    expect(run.status).toBe(202);
    expect(await exited).toBe('SIGKILL');

    // Killed after the first batch's commit: its serials are taken, no file exists yet.
    const allocated: Array<{ id: string; serial: string; batch_id: string }> = await t.dataSource.query(
      `SELECT id, serial::text AS serial, batch_id FROM card WHERE id = ANY($1::uuid[]) AND serial IS NOT NULL ORDER BY serial`, [cardIds]);
    expect(allocated).toHaveLength(3);
    const outbox = path.join(dataDir, 'sftp', vendor.login, 'outbox');
    const persoFiles = () => (existsSync(outbox) ? readdirSync(outbox).filter((f) => /^PERSO_\d+\.txt$/.test(f)).sort() : []);
    expect(persoFiles()).toEqual([]);

    // A new worker finishes: the queued file job writes the first batch; a new run takes the two cards left.
    const survivor = await worker();
    await waitFor(async () => persoFiles().length === 1, 'the first file');
    const again = await fetch(`${survivor.base}/v1/personalisation/batches/run`, { method: 'POST', headers: bearer(t.operatorKey) });
    expect(again.status).toBe(202);
    await waitFor(async () => persoFiles().length === 2, 'the second file');

    const all: Array<{ serial: string }> = await t.dataSource.query(
      `SELECT serial::text AS serial FROM card WHERE id = ANY($1::uuid[]) ORDER BY serial`, [cardIds]);
    const serials = all.map((r) => r.serial);
    // Consecutive from the counter as it stood before the crash: nothing skipped, nothing issued twice.
    expect(serials).toEqual([0, 1, 2, 3, 4].map((i) => (BigInt(before) + BigInt(i)).toString()));
    const serialsIn = (f: string) => readFileSync(path.join(outbox, f), 'utf8').split('\n').filter((l) => l.startsWith('R|')).map((l) => BigInt(l.split('|')[1]).toString());
    const [first, second] = persoFiles();
    // The first file holds exactly the serials the killed worker had allocated.
    expect(serialsIn(first)).toEqual(allocated.map((a) => a.serial));
    const inFiles = [...serialsIn(first), ...serialsIn(second)];
    expect([...inFiles].sort()).toEqual(serials);
    expect(new Set(inFiles).size).toBe(5);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM personalisation_batch`);
    expect(n).toBe(2);
    survivor.child.kill('SIGTERM');
  }, 180_000);
});
