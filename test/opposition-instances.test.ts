import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { OppositionJobs, parisDate } from '../src/opposition/opposition.jobs.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { cardIn } from './support/card-fixtures.js';
import { removeTempDataDirs, tempDataDir } from './support/opposition-fixtures.js';
import { startSecondInstance } from './support/opposition-instances.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const waitFor = async (check: () => Promise<boolean>, ms = 30_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('opposition lists on two instances sharing one database', () => {
  let t: TestApp;
  let second: NestFastifyApplication;

  beforeAll(async () => {
    t = await startTestApp({ dataDir: tempDataDir(), oppositionFullListDay: 18 });
    second = await startSecondInstance(t.url, t.config);
    for (let i = 0; i < 20; i++) await cardIn(t.dataSource, i % 2 ? CardState.Opposed : CardState.Active);
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
    removeTempDataDirs();
  });

  it('the same job run on both instances at once produces the monthly list exactly once', async () => {
    const [a, b] = await Promise.all([
      t.app.get(OppositionJobs).produceList({ kind: 'full', period: '2026-10' }),
      second.get(OppositionJobs).produceList({ kind: 'full', period: '2026-10' }),
    ]);
    expect(a).toBeUndefined();
    expect(b).toBeUndefined();
    const rows = await t.dataSource.query(
      `SELECT number, entry_count FROM opposition_list WHERE kind = 'full' AND period = '2026-10'`,
    );
    expect(rows).toEqual([{ number: 1, entry_count: 10 }]);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM opposition_list`)).toEqual([{ n: 1 }]);
  });

  it('both crons firing on the full-list day enqueue and produce one incremental and one full list', async () => {
    const at = new Date('2026-11-18T00:30:00Z');
    expect(parisDate(at)).toBe('2026-11-18');
    const list = JobName.OppositionProduceList;
    await Promise.all([t.app.get(JobScheduler).tick(list, at), second.get(JobScheduler).tick(list, at)]);
    const lists = async () =>
      t.dataSource.query(
        `SELECT kind, period, base_number FROM opposition_list WHERE period LIKE '2026-11%' ORDER BY number`,
      );
    await waitFor(async () => (await lists()).length >= 2);
    // let any duplicate job run too
    await new Promise((r) => setTimeout(r, 2000));
    const got = await lists();
    expect(got).toHaveLength(2);
    expect(got.map((l: { kind: string; period: string }) => `${l.kind} ${l.period}`).sort()).toEqual([
      'full 2026-11',
      'incremental 2026-11-18',
    ]);
    // on another day, only the incremental list
    await t.app.get(JobScheduler).tick(list, new Date('2026-11-19T00:30:00Z'));
    await waitFor(
      async () => (await t.dataSource.query(`SELECT 1 FROM opposition_list WHERE period = '2026-11-19'`)).length === 1,
    );
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM opposition_list WHERE kind = 'full'`)).toEqual([
      { n: 2 },
    ]);
  });
});
