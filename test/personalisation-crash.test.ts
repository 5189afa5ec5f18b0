import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { freePort } from '../src/platform/database/embedded-postgres.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { JobsService } from '../src/platform/jobs/jobs.service.js';
import { requestReadyToOrder, tempDataDir, waitFor } from './support/order-fixtures.js';
import { killPrograms, startProgram } from './support/program.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import { createVendor, decryptForVendor, persoSerials } from './support/vendor-fixtures.js';

/**
 * The worker is killed for real (SIGKILL, no clean-up) right after the batch transaction committed its serials
 * and before any file is written; the batch-building job it was running goes back to its queue at the next
 * recovery check (not after its 15-minute expiry), and a new process finishes the work by itself. No serial twice,
 * none lost, each file once.
 */
describe('a worker killed between serial allocation and file writing', () => {
  let t: TestApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDataDir();
    // Stands for another instance; its own periodic check is slow, so the test sees the check it calls.
    t = await startTestApp({ dataDir, workersEnabled: false, personalisationBatchSize: 3, jobsRecoverySeconds: 30 });
  });
  afterAll(async () => {
    killPrograms();
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function worker(failpoint?: string) {
    const port = await freePort();
    const program = await startProgram(
      {
        DATABASE_URL: t.url,
        DATA_DIR: dataDir,
        PORT: String(port),
        SFTP_PORT: '0',
        LOG_LEVEL: 'silent',
        JOBS_POLL_SECONDS: '0.5',
        JOBS_RECOVERY_SECONDS: '30',
        CRONS_ENABLED: 'false',
        SEED_REFERENCE_DATA: 'false',
        PERSONALISATION_BATCH_SIZE: '3',
        ...(failpoint ? { VITALE_FAILPOINT: failpoint } : {}),
      },
      60_000,
    );
    return { ...program, base: `http://127.0.0.1:${port}` };
  }

  it('leaves no duplicate and no lost serial, and the file is written once after a restart', async () => {
    expect(existsSync('dist/src/main.js'), 'npm test builds dist/ first').toBe(true);
    const fund = bearer((await t.partner(PartnerKind.Fund, '017510001')).key);
    const vendor = await createVendor(t, { login: 'imprimerie_kill', regimeCodes: ['01'] });
    const cardIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await requestReadyToOrder(t);
      cardIds.push(
        (await t.http().post(`/v1/card-requests/${r.requestId}/order`).set(fund).send().expect(200)).body.cardId,
      );
    }
    const [{ next: before }] = await t.dataSource.query(`SELECT next_serial::text AS next FROM serial_allocator`);

    const doomed = await worker('emission.after-batch-allocation');
    const run = await fetch(`${doomed.base}/v1/personalisation/batches/run`, {
      method: 'POST',
      headers: bearer(t.operatorKey),
    });
    expect(run.status).toBe(202);
    const { jobId } = (await run.json()) as { jobId: string };
    expect((await doomed.exited).signal).toBe('SIGKILL');

    // Killed after the first batch's commit: its serials are taken, no file exists yet.
    const allocated: Array<{ id: string; serial: string; batch_id: string }> = await t.dataSource.query(
      `SELECT id, serial::text AS serial, batch_id FROM card WHERE id = ANY($1::uuid[]) AND serial IS NOT NULL ORDER BY serial`,
      [cardIds],
    );
    expect(allocated).toHaveLength(3);
    const outbox = path.join(dataDir, 'sftp', vendor.login, 'outbox');
    const persoFiles = () =>
      existsSync(outbox)
        ? readdirSync(outbox)
            .filter((f) => /^PERSO_\d+\.txt\.age$/.test(f))
            .sort()
        : [];
    expect(persoFiles()).toEqual([]);

    // The build job died with its worker: the next check of any instance puts it back in the queue at once.
    const [{ state }] = await t.dataSource.query(`SELECT state FROM pgboss.job WHERE id = $1`, [jobId]);
    expect(state).toBe('active');
    expect(await t.app.get(JobsService).recoverInterruptedJobs()).toEqual([
      { id: jobId, name: JobName.EmissionBuildBatches, state: 'retry' },
    ]);

    // A new worker finishes by itself: the queued file job writes the first batch, the re-queued build takes the
    // two cards left and queues the second file.
    const survivor = await worker();
    await waitFor(async () => persoFiles().length === 2, 'both files');
    await waitFor(
      async () =>
        (await t.dataSource.query(`SELECT state FROM pgboss.job WHERE id = $1`, [jobId]))[0].state === 'completed',
      'the build job to complete',
    );

    const all: Array<{ serial: string }> = await t.dataSource.query(
      `SELECT serial::text AS serial FROM card WHERE id = ANY($1::uuid[]) ORDER BY serial`,
      [cardIds],
    );
    const serials = all.map((r) => r.serial);
    // Consecutive from the counter as it stood before the crash: nothing skipped, nothing issued twice.
    expect(serials).toEqual([0, 1, 2, 3, 4].map((i) => (BigInt(before) + BigInt(i)).toString()));
    const serialsIn = async (f: string) =>
      persoSerials(await decryptForVendor(vendor, readFileSync(path.join(outbox, f)))).map((s) => BigInt(s).toString());
    const [first, second] = persoFiles();
    // The first file holds exactly the serials the killed worker had allocated.
    expect(await serialsIn(first)).toEqual(allocated.map((a) => a.serial));
    const inFiles = [...(await serialsIn(first)), ...(await serialsIn(second))];
    expect([...inFiles].sort()).toEqual(serials);
    expect(new Set(inFiles).size).toBe(5);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM personalisation_batch`);
    expect(n).toBe(2);
    expect(await survivor.stop()).toBe(0);
  }, 180_000);
});
