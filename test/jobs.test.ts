import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { createApp } from '../src/app.factory.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { JobHandler } from '../src/platform/jobs/job-handler.decorator.js';
import { JobsService } from '../src/platform/jobs/jobs.service.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

@Injectable()
class SecondBulkImportHandler {
  @JobHandler(JobName.RegisterBulkImport)
  async handle(): Promise<void> {}
}

describe('jobs', () => {
  let t: TestApp;
  beforeAll(async () => { t = await startTestApp({ workersEnabled: false }); });
  afterAll(async () => { await t?.close(); });

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
    const payloads = Array.from({ length: 500 }, (_, i) => ({ photoId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
    await expect(t.dataSource.transaction(async (em) => {
      await jobs.sendMany(em, JobName.PhotoCheck, payloads);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    expect(await count(JobName.PhotoCheck)).toBe(before);
    await t.dataSource.transaction((em) => jobs.sendMany(em, JobName.PhotoCheck, payloads));
    expect(await count(JobName.PhotoCheck)).toBe(before + 500);
  });

  it('a singleton (cron) job is enqueued once per period even by two instances', async () => {
    const other = await createApp(Object.assign(Object.create(Object.getPrototypeOf(t.config)), t.config), t.url, createLogger('silent'));
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
    await expect((async () => {
      ctx = await NestFactory.createApplicationContext(Broken, { logger: false, abortOnError: false });
      await ctx.init();
    })()).rejects.toThrow(/register\.bulk-import: 2 handlers/);
    await ctx?.close().catch(() => {});
  });
});
