import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JOB_NAMES, JOB_SPECS, JobName } from '../src/platform/jobs/job-catalogue.js';
import { ExchangeRetentionJobs } from '../src/update/exchange-retention.jobs.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { cardIn, type TestCard } from './support/card-fixtures.js';
import { check, confirm, PARIS, putRecord, RECORDS, written } from './support/kiosk-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const RETENTION_DAYS = 30;

describe('kiosk exchange retention (UpdatePurgeExchanges)', () => {
  let t: TestApp;
  let fund: { id: string; key: string };
  let kiosk: { id: string; key: string };
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    t = await startTestApp({ kioskExchangeRetentionDays: RETENTION_DAYS, workersEnabled: true }, { logStream: sink });
    fund = await t.partner(PartnerKind.Fund, PARIS);
    kiosk = await t.partner(PartnerKind.Kiosk);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** One exchange row straight into the table; `finishedDaysAgo` null leaves finished_at empty (an open exchange). */
  async function exchange(
    card: TestCard,
    status: string,
    finishedDaysAgo: number | null,
    createdDaysAgo = (finishedDaysAgo ?? 0) + 1,
  ): Promise<string> {
    const [{ id }] = await t.dataSource.query(
      `INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records, status, created_at, finished_at)
       VALUES ($1, $2, 0, 1, ARRAY['coverage@1'], $3, now() - make_interval(days => $4::int),
               CASE WHEN $5::int IS NULL THEN NULL ELSE now() - make_interval(days => $5::int) END)
       RETURNING id`,
      [card.id, kiosk.id, status, createdDaysAgo, finishedDaysAgo],
    );
    return id;
  }

  const exists = async (id: string) =>
    (await t.dataSource.query(`SELECT 1 FROM kiosk_exchange WHERE id = $1`, [id])).length === 1;
  const exchangesOf = async (card: TestCard) =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM kiosk_exchange WHERE card_id = $1`, [card.id]))[0]
      .n as number;
  const purge = () => t.app.get(ExchangeRetentionJobs).purgeExchanges();

  it('reads KIOSK_EXCHANGE_RETENTION_DAYS: 400 days by default, a positive whole number of days', () => {
    expect(loadConfig({}).kioskExchangeRetentionDays).toBe(400);
    expect(loadConfig({ KIOSK_EXCHANGE_RETENTION_DAYS: '500' }).kioskExchangeRetentionDays).toBe(500);
    for (const bad of ['0', '-3', 'abc', '1.5', '99999999999']) {
      let error: unknown;
      try {
        loadConfig({ KIOSK_EXCHANGE_RETENTION_DAYS: bad });
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('KIOSK_EXCHANGE_RETENTION_DAYS');
      expect((error as Error).message).toContain(JSON.stringify(bad));
    }
  });

  it('is a catalogued job', () => {
    expect(JOB_NAMES).toContain(JobName.UpdatePurgeExchanges);
    expect(JOB_SPECS[JobName.UpdatePurgeExchanges]).toMatchObject({ batchSize: 1 });
  });

  it('deletes the exchanges finished before the cut-off, keeps recent ones and open ones however old', async () => {
    const card = await cardIn(t.dataSource, CardState.Active);
    await t.dataSource.query(
      `UPDATE card_update_state SET data_updated_at = now() - interval '200 days' WHERE card_id = $1`,
      [card.id],
    );
    const [{ data_updated_at: updatedBefore }] = await t.dataSource.query(
      `SELECT data_updated_at FROM card_update_state WHERE card_id = $1`,
      [card.id],
    );
    const old = [
      await exchange(card, 'confirmed', RETENTION_DAYS + 1),
      await exchange(card, 'failed', RETENTION_DAYS + 5),
      await exchange(card, 'superseded', 300),
    ];
    const recent = [
      await exchange(card, 'confirmed', RETENTION_DAYS - 1),
      await exchange(card, 'failed', 0),
      await exchange(card, 'superseded', RETENTION_DAYS - 1, 500), // created long ago, finished recently: kept
    ];
    const open = await exchange(card, 'issued', null, 500); // an open exchange, however old, stays
    const otherCard = await cardIn(t.dataSource, CardState.Active);
    // An `issued` row is kept on its status alone, even with a finished_at far past the cut-off.
    const openWithDate = await exchange(otherCard, 'issued', 500);

    expect(await purge()).toBe(3);
    for (const id of old) expect(await exists(id), id).toBe(false);
    for (const id of [...recent, open, openWithDate]) expect(await exists(id), id).toBe(true);
    // The card's last update date is not on the exchanges: untouched.
    const [{ data_updated_at: updatedAfter }] = await t.dataSource.query(
      `SELECT data_updated_at FROM card_update_state WHERE card_id = $1`,
      [card.id],
    );
    expect(updatedAfter).toEqual(updatedBefore);

    // Idempotent: a second run finds nothing.
    expect(await purge()).toBe(0);
    // The log says how many, never which exchange, card or kiosk.
    const log = lines.join('');
    expect(log).toContain('kiosk exchanges purged');
    expect(log).toMatch(/"deleted":3\b/);
    for (const id of [...old, card.id, kiosk.id]) expect(log).not.toContain(id);
    expect(log).not.toContain(card.serial12);
  });

  it('an exchange made through the protocol goes once aged; the card keeps its last update date and a replayed confirm is 404', async () => {
    const card = await cardIn(t.dataSource, CardState.Active);
    expect((await putRecord(t, fund.key, card.serial12, 'coverage', RECORDS.coverage)).status).toBe(200);
    const issued = await check(t, kiosk.key, card.serial12, 0);
    expect(issued.body.action).toBe('update');
    const body = { exchangeId: issued.body.exchangeId, serial: card.serial12, writtenRecords: written(issued.body) };
    expect((await confirm(t, kiosk.key, body)).body.result).toBe('updated');
    const before = (await t.http().get(`/v1/cards/${card.serial12}/updates`).set(bearer(fund.key))).body;
    expect(before.lastUpdatedAt).toBeTruthy();

    expect(await purge()).toBe(0); // just finished: kept
    expect(await exists(issued.body.exchangeId)).toBe(true);
    await t.dataSource.query(
      `UPDATE kiosk_exchange SET finished_at = now() - make_interval(days => $2) WHERE id = $1`,
      [issued.body.exchangeId, RETENTION_DAYS + 1],
    );
    expect(await purge()).toBe(1);
    expect(await exists(issued.body.exchangeId)).toBe(false);

    const after = (await t.http().get(`/v1/cards/${card.serial12}/updates`).set(bearer(fund.key))).body;
    expect(after).toMatchObject({
      lastUpdatedAt: before.lastUpdatedAt,
      confirmedVersion: before.confirmedVersion,
      targetVersion: before.targetVersion,
    });
    const replay = await confirm(t, kiosk.key, body);
    expect(replay.status).toBe(404);
    expect(replay.body.code).toBe('KIOSK_EXCHANGE_NOT_FOUND');
  });

  it('deletes in bounded chunks until nothing is left', async () => {
    const card = await cardIn(t.dataSource, CardState.Active);
    const total = 10_000 + 57; // more than one chunk
    await t.dataSource.query(
      `INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records, status, created_at, finished_at)
       SELECT $1, $2, 0, 1, ARRAY['coverage@1'], 'failed', now() - interval '90 days', now() - interval '60 days'
         FROM generate_series(1, $3::int)`,
      [card.id, kiosk.id, total],
    );
    const open = await exchange(card, 'issued', null, 90);
    expect(await purge()).toBe(total);
    expect(await exchangesOf(card)).toBe(1);
    expect(await exists(open)).toBe(true);
  });

  it('runs through the job, enqueued once a day by the cron', async () => {
    const card = await cardIn(t.dataSource, CardState.Active);
    const old = await exchange(card, 'confirmed', RETENTION_DAYS + 10);
    const kept = await exchange(card, 'issued', null, RETENTION_DAYS + 10);
    const count = async () =>
      (
        await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [
          JobName.UpdatePurgeExchanges,
        ])
      )[0].n;
    const scheduler = t.app.get(JobScheduler);
    const before = await count();
    await scheduler.tick(JobName.UpdatePurgeExchanges);
    await scheduler.tick(JobName.UpdatePurgeExchanges); // singleton: once a day
    expect(await count()).toBe(before + 1);
    const until = Date.now() + 30_000;
    while (await exists(old)) {
      if (Date.now() > until) throw new Error('the purge job did not run');
      await new Promise((r) => setTimeout(r, 200));
    }
    const until2 = Date.now() + 10_000;
    for (;;) {
      const [{ state }] = await t.dataSource.query(
        `SELECT state FROM pgboss.job WHERE name = $1 ORDER BY created_on DESC LIMIT 1`,
        [JobName.UpdatePurgeExchanges],
      );
      if (state === 'completed') break;
      if (Date.now() > until2) throw new Error(`the purge job ended ${state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await exists(kept)).toBe(true);
  });
});
