import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { AppConfig } from '../src/config/app-config.js';
import { JOB_SPECS, JobName, SCHEDULED_JOBS } from '../src/platform/jobs/job-catalogue.js';
import { JobTick } from '../src/platform/jobs/job-handler.decorator.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/** The expression a scheduled job's cron runs on, with the settings of `config`. */
const expressionOf = (name: JobName, config: AppConfig): string => {
  const { cron } = JOB_SPECS[name].schedule!;
  return typeof cron === 'string' ? cron : config[cron.setting];
};

/** Every file under src, with its path. */
const sources = (dir = 'src'): Array<{ file: string; text: string }> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return sources(file);
    return e.name.endsWith('.ts') ? [{ file, text: readFileSync(file, 'utf8') }] : [];
  });

@Injectable()
class TickOfAnUnscheduledJob {
  @JobTick(JobName.PhotoCheck)
  tick() {
    return [];
  }
}

describe('job schedules: every cron is in the job catalogue, registered in one place', () => {
  let on: TestApp;
  let off: TestApp;
  beforeAll(async () => {
    // Workers off: what the crons enqueue stays in the queue to be looked at.
    on = await startTestApp({ cronsEnabled: true, workersEnabled: false });
    off = await startTestApp({ cronsEnabled: false, workersEnabled: false });
  });
  afterAll(async () => {
    await on?.close();
    await off?.close();
  });

  const queued = (t: TestApp, name: JobName) =>
    t.dataSource.query<Array<{ key: string | null; slot: Date | null }>>(
      `SELECT singleton_key AS key, singleton_on AS slot FROM pgboss.job WHERE name = $1 ORDER BY created_on`,
      [name],
    );

  it('the scheduled jobs all have a schedule in the catalogue, and there are the expected ones', () => {
    expect(SCHEDULED_JOBS.length).toBeGreaterThan(0);
    for (const name of SCHEDULED_JOBS) {
      const s = JOB_SPECS[name].schedule!;
      expect(s.singletonSeconds, name).toBeGreaterThan(0);
      expect(s.singletonKey, name).toMatch(/^[a-z]+$/);
    }
  });

  it('with CRONS_ENABLED on, the crons running are exactly the catalogue schedules, on their expressions and zones', () => {
    const running = on.app.get(SchedulerRegistry).getCronJobs();
    // Any @Cron or addCronJob elsewhere would show up here too.
    expect([...running.keys()].sort()).toEqual([...SCHEDULED_JOBS].sort());
    expect([...on.app.get(JobScheduler).registered()].sort()).toEqual([...SCHEDULED_JOBS].sort());
    for (const [name, cron] of running) {
      const s = JOB_SPECS[name as JobName].schedule!;
      expect(cron.cronTime.source, name).toBe(expressionOf(name as JobName, on.config));
      expect(cron.cronTime.timeZone, name).toBe(s.timeZone);
      expect(cron.isActive, name).toBe(true);
    }
    // A schedule read from a setting follows the setting.
    expect(running.get(JobName.EmissionBuildBatches)!.cronTime.source).toBe(on.config.personalisationCron);
  });

  it('with CRONS_ENABLED off, no cron runs and nothing is enqueued at start', async () => {
    expect([...off.app.get(SchedulerRegistry).getCronJobs().keys()]).toEqual([]);
    expect(off.app.get(JobScheduler).registered()).toEqual([]);
    expect(await queued(off, JobName.EmissionScanInboxes)).toEqual([]);
    // The start-up scan is enqueued where crons run.
    expect((await queued(on, JobName.EmissionScanInboxes)).map((j) => j.key)).toContain('start');
  });

  it('a tick of each cron only enqueues its job as a singleton: ticking twice enqueues it once', async () => {
    const at = new Date('2026-11-19T00:30:00Z'); // not the full-list day: one opposition list
    for (const name of SCHEDULED_JOBS) {
      const before = (await queued(off, name)).length;
      await off.app.get(JobScheduler).tick(name, at);
      await off.app.get(JobScheduler).tick(name, at);
      const added = (await queued(off, name)).slice(before);
      expect(added, name).toHaveLength(1);
      expect(added[0].key, name).toBeTruthy();
      expect(added[0].slot, name).not.toBeNull();
    }
    await expect(off.app.get(JobScheduler).tick(JobName.PhotoCheck)).rejects.toThrow(/no schedule/);
  });

  it('no module schedules on its own or checks CRONS_ENABLED: only the scheduler does', () => {
    const offenders = sources()
      .filter(({ file }) => file !== path.join('src', 'platform', 'jobs', 'job-scheduler.service.ts'))
      .flatMap(({ file, text }) =>
        [/@Cron\(/, /@Interval\(/, /CronJob\b/, /addCronJob/, /\bcronsEnabled\b/]
          .filter((re) => re.test(text))
          .map((re) => `${file}: ${re.source}`),
      )
      // The setting itself, and the CLI's context that turns it off.
      .filter(
        (o) =>
          !o.startsWith(path.join('src', 'config', 'app-config.ts')) &&
          o !== `${path.join('src', 'cli', 'main.ts')}: \\bcronsEnabled\\b`,
      );
    expect(offenders).toEqual([]);
  });

  it('refuses to start on a @JobTick for a job without a schedule', async () => {
    @Module({ providers: [TickOfAnUnscheduledJob] })
    class Extra {}
    @Module({ imports: [AppModule.forRoot(off.config, off.url), Extra] })
    class Broken {}
    let ctx: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | undefined;
    await expect(
      (async () => {
        ctx = await NestFactory.createApplicationContext(Broken, { logger: false, abortOnError: false });
        await ctx.init();
      })(),
    ).rejects.toThrow(/TickOfAnUnscheduledJob\.tick: photo\.check has no schedule/);
    await ctx?.close().catch(() => {});
  });
});
