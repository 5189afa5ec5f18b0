import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('due mutations are applied by a job the cron only enqueues', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('enqueues one singleton job per hour however often the trigger fires', async () => {
    const count = async () =>
      (
        await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [
          JobName.UpdateApplyDueMutations,
        ])
      )[0].n;
    const scheduler = t.app.get(JobScheduler);
    await scheduler.tick(JobName.UpdateApplyDueMutations);
    await scheduler.tick(JobName.UpdateApplyDueMutations);
    expect(await count()).toBe(1);
  });
});
