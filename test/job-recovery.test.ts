import { existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BatchBuilderService } from '../src/emission/personalisation/batch-builder.service.js';
import { BatchFileService } from '../src/emission/personalisation/batch-file.service.js';
import { FundEventType } from '../src/events/event-types.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { freePort } from '../src/platform/database/embedded-postgres.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { LEASE_LOCK_CLASS } from '../src/platform/jobs/job-leases.repository.js';
import { JobsService } from '../src/platform/jobs/jobs.service.js';
import { appendEvents, fundEvent, ORG_A } from './support/event-fixtures.js';
import { requestReadyToOrder, tempDataDir, waitFor } from './support/order-fixtures.js';
import { holdingReceiver, killPrograms, startProgram, until, type Program } from './support/program.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import {
  createVendor,
  makeCard,
  ret2Line,
  returnFile as ret2File,
  sftpConnect,
  sftpPort,
  type TestVendor,
} from './support/vendor-fixtures.js';

/**
 * Jobs running in a worker that dies (SIGKILL: no clean-up, as an OOM kill or a power cut) go back to their queue
 * as soon as a recovery check runs, not after their expiry (15 minutes and more), and never while their worker
 * lives. The workers are the real program on this file's database; the test app itself runs no worker and stands
 * for "another instance" whose check is called directly.
 */
describe('jobs of a dead worker', () => {
  let t: TestApp;
  let dataDir: string;
  let jobs: JobsService;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    dataDir = tempDataDir();
    // Its own periodic check is slow, so what a test sees is the check it calls.
    t = await startTestApp({
      dataDir,
      workersEnabled: false,
      sftpPort: 0,
      jobsRecoverySeconds: 30,
      personalisationBatchSize: 10,
    });
    jobs = t.app.get(JobsService);
  });
  afterEach(async () => {
    killPrograms();
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const worker = async (env: Record<string, string> = {}): Promise<Program> =>
    startProgram({
      DATABASE_URL: t.url,
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      SFTP_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      JOBS_POLL_SECONDS: '0.5',
      JOBS_RECOVERY_SECONDS: '30',
      CRONS_ENABLED: 'false',
      SEED_REFERENCE_DATA: 'false',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_TIMEOUT_MS: '60000',
      ...env,
    });
  const job = async (id: string) =>
    (await t.dataSource.query(`SELECT state FROM pgboss.job WHERE id = $1`, [id]))[0]?.state as string | undefined;
  const jobsOf = async (name: JobName) =>
    (await t.dataSource.query(
      `SELECT id::text, state::text, start_after FROM pgboss.job WHERE name = $1 ORDER BY created_on`,
      [name],
    )) as Array<{ id: string; state: string; start_after: Date }>;
  /**
   * A killed worker's database sessions end when the server notices the closed socket, a moment after the process
   * is gone (longer on a loaded machine): until then its lease lock is still held and the instance is, rightly,
   * judged alive. "The very next check" is the first one after the server let the lock go.
   */
  const leaseLocksReleased = () =>
    until(
      async () =>
        (
          await t.dataSource.query(
            `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::oid AND objsubid = 2
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            [LEASE_LOCK_CLASS],
          )
        )[0].n === 0,
      "the killed worker's database sessions to end",
      10_000,
    );
  const claims = async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM job_claim`))[0].n as number;

  it('are left alone while their worker lives, re-queued at the first check once it is killed, and run once', async () => {
    const receiver = await holdingReceiver();
    closers.push(receiver.close);
    const fund = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    expect(
      (
        await t
          .http()
          .post('/v1/webhooks')
          .set(fund)
          .send({ url: receiver.url, eventTypes: [FundEventType.CardShipped] })
      ).status,
    ).toBe(201);
    const first = await worker();
    await appendEvents(t, fundEvent({ type: FundEventType.CardShipped }));
    await until(() => receiver.calls() === 1, 'the worker to call the webhook');
    const [delivery] = await jobsOf(JobName.EventsDeliverWebhook);

    // Alive (its lock held): nothing to re-queue, however often anyone checks.
    expect(await jobs.recoverInterruptedJobs()).toEqual([]);
    expect(await job(delivery.id)).toBe('active');
    expect(await claims()).toBe(1);

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await until(() => receiver.open() === 0, 'the killed worker to drop its call', 10_000);
    await leaseLocksReleased();
    // Dead: the very next check puts the job back, whatever its 5-minute expiry says.
    expect(await jobs.recoverInterruptedJobs()).toEqual([
      { id: delivery.id, name: JobName.EventsDeliverWebhook, state: 'retry' },
    ]);
    expect(await job(delivery.id)).toBe('retry');
    expect(await claims()).toBe(0);
    expect(await t.dataSource.query(`SELECT id FROM job_instance`)).toEqual([]);

    const second = await worker();
    await until(() => receiver.calls() === 2, 'the job to run again');
    await until(async () => (await job(delivery.id)) === 'completed', 'the delivery job to complete');
    expect(receiver.mostAtOnce()).toBe(1);
    expect(await second.stop()).toBe(0);
  }, 180_000);

  it('a worker cut from its lease while it runs a job is taken for dead: the job is re-queued and the worker exits rather than run it alongside', async () => {
    const receiver = await holdingReceiver();
    closers.push(receiver.close);
    const fund = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    expect(
      (
        await t
          .http()
          .post('/v1/webhooks')
          .set(fund)
          .send({ url: receiver.url, eventTypes: [FundEventType.CardSpoiled] })
      ).status,
    ).toBe(201);
    const cut = await worker();
    await appendEvents(t, fundEvent({ type: FundEventType.CardSpoiled }));
    await until(() => receiver.calls() === 1, 'the worker to call the webhook');
    const [delivery] = (await jobsOf(JobName.EventsDeliverWebhook)).filter((j) => j.state === 'active');

    // Its lease connection dies (an administrator, a network cut); the worker itself and its job run on. Another
    // instance's check must fall in the second before the worker takes its lock back: cut again until one does.
    let requeued: Awaited<ReturnType<JobsService['recoverInterruptedJobs']>> = [];
    for (let attempt = 0; attempt < 10 && requeued.length === 0; attempt++) {
      await t.dataSource.query(
        `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = 'vitale-jobs-lease' AND datname = current_database()`,
      );
      requeued = await jobs.recoverInterruptedJobs();
    }
    expect(requeued).toEqual([{ id: delivery.id, name: JobName.EventsDeliverWebhook, state: 'retry' }]);
    // Back on line, the worker finds itself taken for dead with the job still running here: it stops.
    expect((await cut.exited).code).toBe(1);
    expect(cut.output()).toContain('taken for dead while jobs still ran here');

    const next = await worker();
    await until(() => receiver.calls() === 2, 'the job to run again');
    await until(async () => (await job(delivery.id)) === 'completed', 'the delivery job to complete');
    expect(await next.stop()).toBe(0);
  }, 180_000);

  describe('return files', () => {
    let vendor: TestVendor;
    const iso = (msAgo = 0) => new Date(Date.now() - msAgo).toISOString();

    beforeAll(async () => {
      vendor = await createVendor(t, { login: 'imprimerie_reprise', regimeCodes: ['01'] });
    });

    /** Two cards ordered, batched and written to the vendor's outbox; the return file the vendor would send for them. */
    async function cardsSentToVendor(): Promise<{ cardIds: string[]; returnFile: string }> {
      const fund = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
      const cardIds: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await requestReadyToOrder(t);
        cardIds.push(
          (await t.http().post(`/v1/card-requests/${r.requestId}/order`).set(fund).send().expect(200)).body.cardId,
        );
      }
      const built = await t.app.get(BatchBuilderService).build();
      for (const b of built.batches) await t.app.get(BatchFileService).write(b.id);
      const serials: Array<{ serial: string }> = await t.dataSource.query(
        `SELECT lpad(serial::text, 12, '0') AS serial FROM card WHERE id = ANY($1::uuid[]) ORDER BY serial`,
        [cardIds],
      );
      const lines = serials.map((s, i) =>
        ret2Line(makeCard(s.serial, `CHIPRECOVER${i}`), 'SHIPPED', {
          personalisedAt: iso(60_000),
          shippedAt: iso(30_000),
        }),
      );
      return { cardIds, returnFile: ret2File(vendor.login, lines) };
    }
    const keyCount = async (ids: string[]) =>
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM card_key WHERE card_id = ANY($1::uuid[])`, [ids]))[0]
        .n as number;
    const cardStates = async (ids: string[]) =>
      (await t.dataSource.query(`SELECT state FROM card WHERE id = ANY($1::uuid[])`, [ids]))
        .map((r: { state: string }) => r.state)
        .sort();
    const returnFileRow = async (name: string) =>
      (
        await t.dataSource.query(
          `SELECT id::text, status FROM vendor_return_file WHERE vendor_partner_id = $1 AND file_name = $2`,
          [vendor.partnerId, name],
        )
      )[0] as { id: string; status: string } | undefined;
    const ingestions = async (id: string) =>
      (
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM audit_entry WHERE action = 'vendor_return_file.ingest' AND entity_id = $1`,
          [id],
        )
      )[0].n as number;

    it('a worker killed mid-ingestion: nothing half-applied, the job re-queued at the next check, ingested once', async () => {
      const { cardIds, returnFile } = await cardsSentToVendor();
      const doomed = await worker({ VITALE_FAILPOINT: 'emission.mid-return-ingestion' });
      // Received through the test app's SFTP server, which registers the file and queues its ingestion.
      const sftp = await sftpConnect(sftpPort(t), vendor.login, vendor.privateKey);
      await sftp.write('/inbox/RET_MID.txt.part', returnFile);
      await sftp.rename('/inbox/RET_MID.txt.part', '/inbox/RET_MID.txt');
      sftp.end();
      const received = await waitFor(() => returnFileRow('RET_MID.txt'), 'the return file to be registered');
      expect((await doomed.exited).signal).toBe('SIGKILL');
      const [ingest] = await jobsOf(JobName.EmissionIngestReturnFile);
      expect(await job(ingest.id)).toBe('active');
      expect((await returnFileRow('RET_MID.txt'))!.status).toBe('received');
      expect(await cardStates(cardIds)).toEqual(['in_personalisation', 'in_personalisation']);
      // The chip keys were written in the transaction that died with the worker: none landed.
      expect(await keyCount(cardIds)).toBe(0);

      await leaseLocksReleased();
      expect(await jobs.recoverInterruptedJobs()).toEqual([
        { id: ingest.id, name: JobName.EmissionIngestReturnFile, state: 'retry' },
      ]);
      const survivor = await worker();
      await until(async () => (await returnFileRow('RET_MID.txt'))!.status === 'ingested', 'the file to be ingested');
      expect(await cardStates(cardIds)).toEqual(['active', 'active']);
      expect(await keyCount(cardIds)).toBe(2);
      expect(await ingestions(received.id)).toBe(1);
      expect(await survivor.stop()).toBe(0);
    }, 180_000);

    it('a server killed just after the vendor renamed its file: the next start takes it in as soon as it settles', async () => {
      const { cardIds, returnFile } = await cardsSentToVendor();
      const sftpPort = await freePort();
      await worker({
        SFTP_ENABLED: 'true',
        SFTP_PORT: String(sftpPort),
        VITALE_FAILPOINT: 'emission.return-file-renamed',
      });
      const sftp = await sftpConnect(sftpPort, vendor.login, vendor.privateKey);
      await sftp.write('/inbox/RET_RENAMED.txt.part', returnFile);
      // The server dies between the rename and the registration: the client never hears back.
      await expect(sftp.rename('/inbox/RET_RENAMED.txt.part', '/inbox/RET_RENAMED.txt')).rejects.toThrow();
      sftp.end();
      const inbox = path.join(dataDir, 'sftp', vendor.login, 'inbox');
      expect(readdirSync(inbox)).toContain('RET_RENAMED.txt');
      expect(await returnFileRow('RET_RENAMED.txt')).toBeUndefined();
      const writtenAt = statSync(path.join(inbox, 'RET_RENAMED.txt')).mtimeMs;

      // The next start scans the inboxes at once; the file is under a minute old (a client may still be writing
      // under its final name), so the scan schedules another for the moment it settles.
      const scansBefore = (await jobsOf(JobName.EmissionScanInboxes)).length;
      const next = await worker({ CRONS_ENABLED: 'true' });
      const followUp = await waitFor(
        async () =>
          (await jobsOf(JobName.EmissionScanInboxes))
            .slice(scansBefore)
            .find((j) => j.start_after.getTime() > Date.now() + 10_000),
        'a follow-up scan',
      );
      expect(followUp.start_after.getTime()).toBeGreaterThanOrEqual(writtenAt + 60_000);
      expect(followUp.start_after.getTime()).toBeLessThanOrEqual(writtenAt + 63_000);
      expect(await returnFileRow('RET_RENAMED.txt')).toBeUndefined();

      // A minute later (moved forward here rather than waited for): the follow-up takes the file in.
      const aMinuteAgo = new Date(writtenAt - 61_000);
      utimesSync(path.join(inbox, 'RET_RENAMED.txt'), aMinuteAgo, aMinuteAgo);
      await t.dataSource.query(`UPDATE pgboss.job SET start_after = now() WHERE id = $1`, [followUp.id]);
      await until(
        async () => (await returnFileRow('RET_RENAMED.txt'))?.status === 'ingested',
        'the renamed file to be ingested',
      );
      expect(await cardStates(cardIds)).toEqual(['active', 'active']);
      expect(existsSync(path.join(inbox, 'RET_RENAMED.txt'))).toBe(false);
      expect(await next.stop()).toBe(0);
    }, 180_000);
  });
});
