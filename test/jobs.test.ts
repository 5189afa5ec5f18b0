import { Injectable, Module } from '@nestjs/common';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { createApp } from '../src/app.factory.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { JobHandler } from '../src/platform/jobs/job-handler.decorator.js';
import { JobsService } from '../src/platform/jobs/jobs.service.js';
import { JobLeasesRepository, LEASE_LOCK_CLASS } from '../src/platform/jobs/job-leases.repository.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { FundEventType } from '../src/events/event-types.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { appendEvents, fundEvent, ORG_A } from './support/event-fixtures.js';
import { until } from './support/program.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

@Injectable()
class SecondBulkImportHandler {
  @JobHandler(JobName.RegisterBulkImport)
  async handle(): Promise<void> {}
}

describe('jobs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  const count = async (name: string) =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [name]))[0].n as number;

  it('enqueues inside the caller transaction: a rollback removes the job, a commit keeps it', async () => {
    const jobs = t.app.get(JobsService);
    const before = await count(JobName.RegisterPurgeImports);
    await expect(
      t.dataSource.transaction(async (em) => {
        await jobs.send(em, JobName.RegisterPurgeImports, { retentionDays: 1 });
        throw new Error('state change failed');
      }),
    ).rejects.toThrow('state change failed');
    expect(await count(JobName.RegisterPurgeImports)).toBe(before);
    await t.dataSource.transaction((em) => jobs.send(em, JobName.RegisterPurgeImports, { retentionDays: 1 }));
    expect(await count(JobName.RegisterPurgeImports)).toBe(before + 1);
  });

  it('enqueues many jobs in one statement, in the transaction too', async () => {
    const jobs = t.app.get(JobsService);
    const before = await count(JobName.PhotoCheck);
    const payloads = Array.from({ length: 500 }, (_, i) => ({
      photoId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    }));
    await expect(
      t.dataSource.transaction(async (em) => {
        await jobs.sendMany(em, JobName.PhotoCheck, payloads);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await count(JobName.PhotoCheck)).toBe(before);
    await t.dataSource.transaction((em) => jobs.sendMany(em, JobName.PhotoCheck, payloads));
    expect(await count(JobName.PhotoCheck)).toBe(before + 500);
  });

  it('a singleton (cron) job is enqueued once per period even by two instances', async () => {
    const other = await createApp(
      Object.assign(Object.create(Object.getPrototypeOf(t.config)), t.config),
      t.url,
      createLogger('silent'),
    );
    await other.init();
    try {
      const before = await count(JobName.RegisterPurgeImports);
      const ids = await Promise.all([
        t.app.get(JobsService).sendSingleton(JobName.RegisterPurgeImports, { retentionDays: 90 }, 86_400, 'test-daily'),
        other.get(JobsService).sendSingleton(JobName.RegisterPurgeImports, { retentionDays: 90 }, 86_400, 'test-daily'),
      ]);
      expect(ids.filter(Boolean)).toHaveLength(1);
      expect(await count(JobName.RegisterPurgeImports)).toBe(before + 1);
    } finally {
      await other.close();
    }
  });

  it('refuses to start when a job has two handlers', async () => {
    @Module({ providers: [SecondBulkImportHandler] })
    class Extra {}
    @Module({ imports: [AppModule.forRoot(t.config, t.url), Extra] })
    class Broken {}
    let ctx: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
    await expect(
      (async () => {
        ctx = await NestFactory.createApplicationContext(Broken, { logger: false, abortOnError: false });
        await ctx.init();
      })(),
    ).rejects.toThrow(/register\.bulk-import: 2 handlers/);
    await ctx?.close().catch(() => {});
  });

  it('records the outcome of a run only while its claim holds: a job taken over meanwhile is not completed by the run that lost it', async () => {
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let calls = 0;
    const receiver = http.createServer((req, res) => {
      calls += 1;
      req.resume();
      void answered.then(() => res.writeHead(204).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const w = await startTestApp({ workersEnabled: true, webhookTimeoutMs: 30_000, jobsRecoverySeconds: 30 });
    const elsewhere = w.dataSource.createQueryRunner();
    try {
      const fund = bearer((await w.partner(PartnerKind.Fund, ORG_A)).key);
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await w
        .http()
        .post('/v1/webhooks')
        .set(fund)
        .send({ url, eventTypes: [FundEventType.CardShipped] })
        .expect(201);
      await appendEvents(w, fundEvent({ type: FundEventType.CardShipped }));
      await until(() => calls === 1, 'the delivery call');
      const [{ id: jobId }] = await w.dataSource.query(
        `SELECT id::text FROM pgboss.job WHERE name = $1 AND state = 'active'`,
        [JobName.EventsDeliverWebhook],
      );

      // Another (live) instance has taken the job over, as after a re-queue and a new fetch.
      await elsewhere.connect();
      const [{ id: other }] = await elsewhere.query(
        `INSERT INTO job_instance (host, pid, server_started_at) VALUES ('elsewhere', 1, pg_postmaster_start_time()) RETURNING id`,
      );
      await elsewhere.query('SELECT pg_advisory_lock($1, $2)', [LEASE_LOCK_CLASS, other]);
      await elsewhere.query(`UPDATE job_claim SET instance_id = $1, token = gen_random_uuid() WHERE job_id = $2`, [
        other,
        jobId,
      ]);

      answer();
      await until(
        async () => (await w.dataSource.query(`SELECT status FROM webhook_delivery`))[0].status === 'delivered',
        'the delivery to be recorded',
      );
      await new Promise((r) => setTimeout(r, 500));
      // The run that lost its claim did not complete the job: it stays the other instance's.
      expect((await w.dataSource.query(`SELECT state FROM pgboss.job WHERE id = $1`, [jobId]))[0].state).toBe('active');
      expect(await w.dataSource.query(`SELECT instance_id FROM job_claim WHERE job_id = $1`, [jobId])).toEqual([
        { instance_id: other },
      ]);
      // And since that instance lives, no check re-queues it.
      expect(await w.app.get(JobsService).recoverInterruptedJobs()).toEqual([]);
    } finally {
      await elsewhere
        .query(`DELETE FROM job_claim WHERE instance_id IN (SELECT id FROM job_instance WHERE host = 'elsewhere')`)
        .catch(() => undefined);
      await elsewhere.query(`DELETE FROM job_instance WHERE host = 'elsewhere'`).catch(() => undefined);
      await elsewhere.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await elsewhere.release();
      answer();
      await w.close();
      receiver.closeAllConnections();
      receiver.close();
    }
  });

  it('after a database restart, judges an instance registered before it only once the grace to reconnect has passed', async () => {
    const repo = new JobLeasesRepository();
    const q = {
      query: (text: string, values?: unknown[]) =>
        t.dataSource.query(text, values).then((rows: unknown[]) => ({ rows })),
    } as never;
    const [{ id: before }] = await t.dataSource.query(
      `INSERT INTO job_instance (host, pid, server_started_at) VALUES ('old', 1, pg_postmaster_start_time() - interval '1 hour') RETURNING id`,
    );
    const [{ id: current }] = await t.dataSource.query(
      `INSERT INTO job_instance (host, pid, server_started_at) VALUES ('new', 2, pg_postmaster_start_time()) RETURNING id`,
    );
    try {
      // The server started less than a day ago: within a day's grace only the instance of this server life is judged.
      const judged = async (self: number | null, grace: number) =>
        (await repo.judgeableInstances(q, self, grace)).filter((id) => id === before || id === current);
      expect(await judged(null, 86_400)).toEqual([current]);
      expect(await judged(null, 0)).toEqual([before, current]);
      expect(await judged(current, 0)).toEqual([before]);
    } finally {
      await t.dataSource.query(`DELETE FROM job_instance WHERE id = ANY($1)`, [[before, current]]);
    }
  });
});
