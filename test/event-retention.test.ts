import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { decodeCursor, encodeCursor } from '../src/events/event-cursor.js';
import { EventRetentionJobs } from '../src/events/event-retention.jobs.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JOB_NAMES, JOB_SPECS, JobName } from '../src/platform/jobs/job-catalogue.js';
import { ORG_A, ORG_B } from './support/event-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const EVENT_DAYS = 30;
const DELIVERY_DAYS = 10;
/** An organisme of its own for the chunking test. */
const ORG_C = '013110001';

describe('fund event and webhook delivery retention (EventsPurgeEvents, EventsPurgeDeliveries)', () => {
  let t: TestApp;
  let fundA: { id: string; key: string };
  let fundB: { id: string; key: string };
  const lines: string[] = [];
  /**
   * Raw events get explicit, increasing transaction ids (what real ones have: an older event, a smaller tx id), kept
   * small so they are below every running transaction of the test cluster (the feed and the purge only see those).
   */
  let nextTx = 10;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    t = await startTestApp(
      { eventRetentionDays: EVENT_DAYS, webhookDeliveryRetentionDays: DELIVERY_DAYS, workersEnabled: true },
      { logStream: sink },
    );
    fundA = await t.partner(PartnerKind.Fund, ORG_A);
    fundB = await t.partner(PartnerKind.Fund, ORG_B);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** One event straight into the table, written `daysAgo` days ago, at the next feed position. */
  async function event(organismeCode: string, daysAgo: number): Promise<{ id: string; txId: string }> {
    const txId = String(nextTx++);
    const [{ id }] = await t.dataSource.query(
      `INSERT INTO fund_event (tx_id, organisme_code, type, subject_type, subject_id, data, created_at)
       VALUES ($1, $2, 'card.shipped', 'card', 'subject', '{}', now() - make_interval(days => $3::int)) RETURNING id::text`,
      [txId, organismeCode, daysAgo],
    );
    return { id, txId };
  }
  /** Time passes: every event already there becomes older than any retention. */
  const ageAll = () => t.dataSource.query(`UPDATE fund_event SET created_at = now() - interval '3 years'`);
  const eventExists = async (id: string) =>
    (await t.dataSource.query(`SELECT 1 FROM fund_event WHERE id = $1`, [id])).length === 1;
  const feed = (key: string, query: Record<string, unknown> = {}) =>
    t.http().get('/v1/events').query(query).set(bearer(key));
  const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((e) => e.id);
  const purgeEvents = () => t.app.get(EventRetentionJobs).purgeEvents();
  const purgeDeliveries = () => t.app.get(EventRetentionJobs).purgeDeliveries();

  it('reads EVENT_RETENTION_DAYS (90) and WEBHOOK_DELIVERY_RETENTION_DAYS (30): positive whole numbers of days', () => {
    expect(loadConfig({}).eventRetentionDays).toBe(90);
    expect(loadConfig({}).webhookDeliveryRetentionDays).toBe(30);
    expect(loadConfig({ EVENT_RETENTION_DAYS: '120', WEBHOOK_DELIVERY_RETENTION_DAYS: '7' })).toMatchObject({
      eventRetentionDays: 120,
      webhookDeliveryRetentionDays: 7,
    });
    for (const name of ['EVENT_RETENTION_DAYS', 'WEBHOOK_DELIVERY_RETENTION_DAYS']) {
      for (const bad of ['0', '-3', 'abc', '1.5', '99999999999']) {
        let error: unknown;
        try {
          loadConfig({ [name]: bad });
        } catch (e) {
          error = e;
        }
        expect(error, `${name}=${bad}`).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toContain(name);
      }
    }
  });

  it('are catalogued jobs', () => {
    for (const name of [JobName.EventsPurgeEvents, JobName.EventsPurgeDeliveries]) {
      expect(JOB_NAMES).toContain(name);
      expect(JOB_SPECS[name]).toMatchObject({ batchSize: 1 });
    }
  });

  it('deletes old events in feed order; an expired cursor is told 410 EVENTS_CURSOR_EXPIRED, a current one keeps working gap-free', async () => {
    const old = [];
    for (let i = 0; i < 5; i++) old.push(await event(ORG_A, EVENT_DAYS + 10 - i));
    const oldB = await event(ORG_B, EVENT_DAYS + 5);
    const recent = [await event(ORG_A, EVENT_DAYS - 1), await event(ORG_A, 0)];
    // Old by its date but after a recent event in feed order: kept this run, so no kept event sorts before a purged one.
    const straggler = await event(ORG_A, EVENT_DAYS + 20);

    // A fund that read two events, one that read them all, one that started before anything (explicit empty cursor).
    const start = encodeCursor({ txId: '0', id: '0' });
    const behind = await feed(fundA.key, { limit: 2 }).expect(200);
    expect(ids(behind)).toEqual(old.slice(0, 2).map((e) => e.id));
    const upToDate = await feed(fundA.key, { after: behind.body.next, limit: 3 }).expect(200);
    expect(ids(upToDate)).toEqual(old.slice(2).map((e) => e.id));
    const fundBNext = (await feed(fundB.key, { limit: 10 }).expect(200)).body.next;

    expect(await purgeEvents()).toBe(6); // the five old events of A and the old one of B
    for (const e of [...old, oldB]) expect(await eventExists(e.id), e.id).toBe(false);
    for (const e of [...recent, straggler]) expect(await eventExists(e.id), e.id).toBe(true);
    expect(await purgeEvents()).toBe(0); // idempotent

    // Behind: events it never read were purged → 410, problem+json, with the oldest cursor still served.
    for (const after of [behind.body.next, start]) {
      const gone = await feed(fundA.key, { after }).expect(410);
      expect(gone.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(gone.body).toMatchObject({ status: 410, code: 'EVENTS_CURSOR_EXPIRED' });
      expect(decodeCursor(gone.body.oldestCursor)).toEqual({ txId: old[4].txId, id: old[4].id });
      // Resuming from there serves every kept event, in order.
      const resumed = await feed(fundA.key, { after: gone.body.oldestCursor }).expect(200);
      expect(ids(resumed)).toEqual([...recent, straggler].map((e) => e.id));
    }
    // Long polls are told too, at once.
    expect((await feed(fundA.key, { after: behind.body.next, wait: 5 }).expect(410)).body.code).toBe(
      'EVENTS_CURSOR_EXPIRED',
    );
    // Operators reading the organisme as well.
    expect((await feed(t.operatorKey, { organismeCode: ORG_A, after: start }).expect(410)).body.code).toBe(
      'EVENTS_CURSOR_EXPIRED',
    );

    // Up to date (its cursor is the newest purged event): it missed nothing and carries on, gap-free.
    const carryOn = await feed(fundA.key, { after: upToDate.body.next, limit: 2 }).expect(200);
    expect(ids(carryOn)).toEqual(recent.map((e) => e.id));
    const last = await feed(fundA.key, { after: carryOn.body.next }).expect(200);
    expect(ids(last)).toEqual([straggler.id]);
    expect(ids(await feed(fundA.key, { after: last.body.next }).expect(200))).toEqual([]);
    // No cursor: from the oldest event kept.
    expect(ids(await feed(fundA.key).expect(200))).toEqual([...recent, straggler].map((e) => e.id));
    // The horizon is per organisme: B read its old event before it went, so its cursor is current.
    expect((await feed(fundB.key, { after: fundBNext }).expect(200)).body.items).toEqual([]);

    const log = lines.join('');
    expect(log).toContain('fund events purged');
    expect(log).toMatch(/"deleted":6\b/);
  });

  it('deletes events in bounded chunks until nothing old is left, and moves the horizon to the newest deleted', async () => {
    await ageAll();
    const [{ n: before }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM fund_event`);
    const total = 10_000 + 57; // more than one chunk
    // One bulk transaction wrote them all: one transaction id, increasing event ids.
    const bulkTx = String(nextTx++);
    await t.dataSource.query(
      `INSERT INTO fund_event (tx_id, organisme_code, type, subject_type, subject_id, data, created_at)
       SELECT $1::bigint, $2, 'card.shipped', 'card', 'subject', '{}', now() - interval '60 days' FROM generate_series(1, $3::int)`,
      [bulkTx, ORG_C, total],
    );
    const lastOld = (
      await t.dataSource.query(`SELECT max(id)::text AS id FROM fund_event WHERE tx_id = $1`, [bulkTx])
    )[0].id as string;
    const kept = await event(ORG_C, 1);
    expect(await purgeEvents()).toBe(before + total);
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM fund_event`))[0].n).toBe(1);
    expect(await eventExists(kept.id)).toBe(true);
    const [h] = await t.dataSource.query(
      `SELECT tx_id::text, id::text FROM fund_event_horizon WHERE organisme_code = $1`,
      [ORG_C],
    );
    expect(h).toEqual({ tx_id: bulkTx, id: lastOld });
  });

  describe('webhook deliveries', () => {
    let subscriptionId: string;
    beforeAll(async () => {
      [{ id: subscriptionId }] = await t.dataSource.query(
        `INSERT INTO webhook_subscription (organisme_code, partner_id, url) VALUES ($1, $2, 'https://hooks.example.fr/x') RETURNING id`,
        [ORG_A, fundA.id],
      );
    });

    async function delivery(
      eventId: string,
      status: 'pending' | 'delivered' | 'failed',
      deliveredDaysAgo: number | null = null,
    ): Promise<string> {
      const [{ id }] = await t.dataSource.query(
        `INSERT INTO webhook_delivery (subscription_id, event_id, status, attempts, delivered_at)
         VALUES ($1, $2, $3, 1, CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(days => $4::int) END) RETURNING id::text`,
        [subscriptionId, eventId, status, deliveredDaysAgo],
      );
      return id;
    }
    const deliveryExists = async (id: string) =>
      (await t.dataSource.query(`SELECT 1 FROM webhook_delivery WHERE id = $1`, [id])).length === 1;

    it('deletes finished deliveries past the retention, keeps recent ones and pending ones however old', async () => {
      const eventOf = async (daysAgo: number) => (await event(ORG_A, daysAgo)).id;
      let gone = 987_654_321;
      const old = [
        await delivery(await eventOf(DELIVERY_DAYS + 5), 'delivered', DELIVERY_DAYS + 5),
        await delivery(await eventOf(1), 'delivered', DELIVERY_DAYS + 1), // by its delivery date
        await delivery(await eventOf(DELIVERY_DAYS + 5), 'failed'), // given up: by its event's date
        await delivery(String(gone++), 'failed'), // its event already purged
      ];
      const kept = [
        await delivery(await eventOf(DELIVERY_DAYS + 5), 'delivered', DELIVERY_DAYS - 1),
        await delivery(await eventOf(1), 'failed'),
        await delivery(await eventOf(DELIVERY_DAYS + 50), 'pending'), // pending: never, however old its event
        await delivery(String(gone), 'pending'),
      ];
      expect(await purgeDeliveries()).toBe(4);
      for (const id of old) expect(await deliveryExists(id), id).toBe(false);
      for (const id of kept) expect(await deliveryExists(id), id).toBe(true);
      expect(await purgeDeliveries()).toBe(0);
      const log = lines.join('');
      expect(log).toContain('webhook deliveries purged');
      expect(log).not.toContain(subscriptionId);
    });

    it('deletes deliveries in bounded chunks', async () => {
      const oldEvent = await event(ORG_A, DELIVERY_DAYS + 5);
      const total = 10_000 + 57;
      await t.dataSource.query(
        `INSERT INTO webhook_delivery (subscription_id, event_id, status, attempts, delivered_at)
         SELECT $1, 100000000 + g, 'delivered', 1, now() - interval '40 days' FROM generate_series(1, $2::int) g`,
        [subscriptionId, total],
      );
      const pending = await delivery(oldEvent.id, 'pending');
      expect(await purgeDeliveries()).toBe(total);
      expect(await deliveryExists(pending)).toBe(true);
      expect(
        (
          await t.dataSource.query(
            `SELECT count(*)::int AS n FROM webhook_delivery WHERE event_id BETWEEN 100000001 AND 100100000`,
          )
        )[0].n,
      ).toBe(0);
    });
  });

  it('run through their jobs, enqueued once a day by their crons', async () => {
    await ageAll();
    const oldEvent = await event(ORG_B, EVENT_DAYS + 1);
    const keptEvent = await event(ORG_B, 0);
    const [{ id: sub }] = await t.dataSource.query(
      `INSERT INTO webhook_subscription (organisme_code, partner_id, url) VALUES ($1, $2, 'https://hooks.example.fr/y') RETURNING id`,
      [ORG_B, fundB.id],
    );
    const [{ id: oldDelivery }] = await t.dataSource.query(
      `INSERT INTO webhook_delivery (subscription_id, event_id, status, delivered_at) VALUES ($1, $2, 'delivered', now() - interval '400 days') RETURNING id::text`,
      [sub, keptEvent.id],
    );
    const count = async (name: JobName) =>
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [name]))[0].n as number;
    const scheduler = t.app.get(JobScheduler);
    const names = [JobName.EventsPurgeEvents, JobName.EventsPurgeDeliveries];
    const before = await Promise.all(names.map(count));
    for (let i = 0; i < 2; i++) {
      // singleton: once a day
      await scheduler.tick(JobName.EventsPurgeEvents);
      await scheduler.tick(JobName.EventsPurgeDeliveries);
    }
    expect(await Promise.all(names.map(count))).toEqual(before.map((n) => n + 1));
    const until = Date.now() + 30_000;
    const deliveryGone = async () =>
      (await t.dataSource.query(`SELECT 1 FROM webhook_delivery WHERE id = $1`, [oldDelivery])).length === 0;
    while ((await eventExists(oldEvent.id)) || !(await deliveryGone())) {
      if (Date.now() > until) throw new Error('the purge jobs did not run');
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const name of names) {
      const until2 = Date.now() + 10_000;
      for (;;) {
        const [{ state }] = await t.dataSource.query(
          `SELECT state FROM pgboss.job WHERE name = $1 ORDER BY created_on DESC LIMIT 1`,
          [name],
        );
        if (state === 'completed') break;
        if (Date.now() > until2) throw new Error(`${name} ended ${state}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(await eventExists(keptEvent.id)).toBe(true);
  });
});
