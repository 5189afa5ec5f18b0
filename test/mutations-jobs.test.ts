import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { MutationsCrons } from '../src/update/mutations.jobs.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('due mutations are applied by a job the cron only enqueues', () => {
  let t: TestApp;
  beforeAll(async () => { t = await startTestApp({ cronsEnabled: true, workersEnabled: false }); });
  afterAll(async () => { await t?.close(); });

  it('enqueues one singleton job per hour however often the trigger fires', async () => {
    const count = async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [JobName.UpdateApplyDueMutations]))[0].n;
    const crons = t.app.get(MutationsCrons);
    await crons.hourly();
    await crons.hourly();
    expect(await count()).toBe(1);
  });
});
