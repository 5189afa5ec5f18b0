import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/events/event-cursor.js';
import { FundEventType } from '../src/events/event-types.js';
import { FundEventsService } from '../src/events/fund-events.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { appendEvents, fundEvent, ORG_A, ORG_B, queuedJobs } from './support/event-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('fund event feed', () => {
  let t: TestApp;
  let fundA: string;
  let fundB: string;

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    fundA = (await t.partner(PartnerKind.Fund, ORG_A)).key;
    fundB = (await t.partner(PartnerKind.Fund, ORG_B)).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  const feed = (key: string, query: Record<string, unknown> = {}) =>
    t.http().get('/v1/events').query(query).set(bearer(key));

  /**
   * Everything readable from a cursor, following `next` until a page comes back empty. With `expected`, an empty page
   * before all of those ids were seen long-polls instead: an event becomes readable only once every older transaction
   * of the database has ended. It waits for the very events a test wrote, never for a count: older events of the same
   * organisme, left by an earlier test, must not end the wait early.
   */
  async function drain(key: string, after?: string, expected: string[] = []): Promise<{ ids: string[]; next: string }> {
    const ids: string[] = [];
    let cursor = after;
    const until = Date.now() + 30_000;
    for (;;) {
      const missing = expected.some((id) => !ids.includes(id));
      const wait = missing && Date.now() < until ? 5 : 0;
      const res = await feed(key, { ...(cursor ? { after: cursor } : {}), limit: 3, wait }).expect(200);
      expect(typeof res.body.next).toBe('string');
      ids.push(...res.body.items.map((e: { id: string }) => e.id));
      if (res.body.items.length === 0 && wait === 0) return { ids, next: res.body.next };
      cursor = res.body.next;
    }
  }

  it("serves a fund its organisme's events, oldest first, in the documented shape, and pages with `next`", async () => {
    const start = (await drain(fundA)).next;
    const written = await appendEvents(
      t,
      fundEvent({
        type: FundEventType.RequestFormSent,
        subjectType: 'card_request',
        data: { requestId: 'r1', formNumber: '10000014' },
      }),
      fundEvent({ type: FundEventType.PhotoAvailable, subjectType: 'card_request' }),
      fundEvent({ type: FundEventType.CardOrdered }),
      fundEvent({ type: FundEventType.CardShipped }),
      fundEvent({ organismeCode: ORG_B }),
    );
    const page1 = await feed(fundA, { after: start, limit: 2, wait: 10 }).expect(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.items[0]).toEqual({
      id: written[0].id,
      type: 'request.form_sent',
      subjectType: 'card_request',
      subjectId: written[0].subjectId,
      data: { requestId: 'r1', formNumber: '10000014' },
      createdAt: expect.any(String),
    });
    const rest = await drain(fundA, page1.body.next, [written[2].id, written[3].id]);
    expect([...page1.body.items.map((e: { id: string }) => e.id), ...rest.ids]).toEqual(
      written.slice(0, 4).map((e) => e.id),
    );
  });

  it('never skips an event whose transaction commits after a later one (lower id committed last), never repeats one, and another fund sees none', async () => {
    const events = t.app.get(FundEventsService);
    const start = (await drain(fundA)).next;

    const a = t.dataSource.createQueryRunner();
    const b = t.dataSource.createQueryRunner();
    await a.connect();
    await b.connect();
    try {
      await a.startTransaction();
      const [ea] = await events.append(a.manager, fundEvent({ data: { tx: 'A' } }));
      await b.startTransaction();
      const [eb] = await events.append(b.manager, fundEvent({ data: { tx: 'B' } }));
      expect(BigInt(ea.id)).toBeLessThan(BigInt(eb.id));
      await b.commitTransaction();

      // B is committed and visible to any query, yet not served: A, older, is still running and may still commit.
      const visible = await t.dataSource.query(`SELECT id::text FROM fund_event WHERE id = $1`, [eb.id]);
      expect(visible).toHaveLength(1);
      const between = await feed(fundA, { after: start }).expect(200);
      expect(between.body.items.map((e: { id: string }) => e.id)).not.toContain(eb.id);
      expect(between.body.items).toHaveLength(0);
      expect(between.body.next).toBe(start);

      await a.commitTransaction();
      const resumed = await drain(fundA, between.body.next, [ea.id, eb.id]);
      expect(resumed.ids).toEqual([ea.id, eb.id]);

      // Resuming from the last cursor repeats nothing; a new event comes alone.
      expect((await drain(fundA, resumed.next)).ids).toEqual([]);
      const [later] = await appendEvents(t, fundEvent());
      expect((await drain(fundA, resumed.next, [later.id])).ids).toEqual([later.id]);

      // The other organisme's fund sees none of them, even when it asks for organisme A by name.
      const other = await drain(fundB);
      for (const id of [ea.id, eb.id, later.id]) expect(other.ids).not.toContain(id);
      const asked = await feed(fundB, { organismeCode: ORG_A }).expect(200);
      expect(asked.body.items).toEqual([]);
    } finally {
      if (a.isTransactionActive) await a.rollbackTransaction();
      if (b.isTransactionActive) await b.rollbackTransaction();
      await a.release();
      await b.release();
    }
  });

  it('orders by transaction, not by id: an event with a higher id from an older transaction comes first', async () => {
    const events = t.app.get(FundEventsService);
    const start = (await drain(fundA)).next;
    const a = t.dataSource.createQueryRunner();
    const b = t.dataSource.createQueryRunner();
    await a.connect();
    await b.connect();
    try {
      await a.startTransaction();
      await b.startTransaction();
      await a.query(`SELECT pg_current_xact_id()`); // A takes its transaction id first...
      await b.query(`SELECT pg_current_xact_id()`);
      const [eb] = await events.append(b.manager, fundEvent()); // ...but B's event takes the lower id
      const [ea] = await events.append(a.manager, fundEvent());
      expect(BigInt(eb.id)).toBeLessThan(BigInt(ea.id));
      await b.commitTransaction();
      expect((await drain(fundA, start)).ids).toEqual([]);
      await a.commitTransaction();
      expect((await drain(fundA, start, [ea.id, eb.id])).ids).toEqual([ea.id, eb.id]);
    } finally {
      if (a.isTransactionActive) await a.rollbackTransaction();
      if (b.isTransactionActive) await b.rollbackTransaction();
      await a.release();
      await b.release();
    }
  });

  it('a transaction of another database on the same server does not hold the feed back; one of this database does', async () => {
    const start = (await drain(fundA)).next;
    // Transaction ids are shared by the whole server: this one, older than the events below, is in another database
    // (as another application's, or another test file's, would be).
    const elsewhere = new pg.Client(inject('pgAdminUrl'));
    await elsewhere.connect();
    const here = t.dataSource.createQueryRunner();
    await here.connect();
    try {
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()');
      const [e] = await appendEvents(t, fundEvent());
      // Served while the other database's transaction is still open (before, the answer waited for it, then came empty).
      const res = await feed(fundA, { after: start, wait: 10 }).expect(200);
      expect(res.body.items.map((x: { id: string }) => x.id)).toEqual([e.id]);

      // A transaction of this database, older than the next event, still holds it back until it ends.
      await here.startTransaction();
      await here.query('SELECT pg_current_xact_id()');
      const [later] = await appendEvents(t, fundEvent());
      expect((await feed(fundA, { after: res.body.next }).expect(200)).body.items).toEqual([]);
      await here.commitTransaction();
      expect((await drain(fundA, res.body.next, [later.id])).ids).toEqual([later.id]);
    } finally {
      if (here.isTransactionActive) await here.rollbackTransaction();
      await here.release();
      await elsewhere.query('ROLLBACK').catch(() => undefined);
      await elsewhere.end();
    }
  });

  it('an event rolled back with its transaction never appears', async () => {
    const start = (await drain(fundA)).next;
    await expect(
      t.dataSource.transaction(async (em) => {
        await t.app.get(FundEventsService).append(em, fundEvent());
        throw new Error('change refused');
      }),
    ).rejects.toThrow('change refused');
    expect((await drain(fundA, start)).ids).toEqual([]);
  });

  it('filters by type; the cursor moves past what it returns', async () => {
    const start = (await drain(fundA)).next;
    const written = await appendEvents(
      t,
      fundEvent({ type: FundEventType.CardShipped }),
      fundEvent({ type: FundEventType.PhotoRejected, subjectType: 'card_request' }),
      fundEvent({ type: FundEventType.CardOpposed }),
      fundEvent({ type: FundEventType.CardShipped }),
    );
    await drain(
      fundA,
      start,
      written.map((e) => e.id),
    );
    const res = await feed(fundA, { after: start, types: 'card.shipped,request.photo_rejected' }).expect(200);
    expect(res.body.items.map((e: { id: string }) => e.id)).toEqual([written[0].id, written[1].id, written[3].id]);
    const repeated = await t
      .http()
      .get(`/v1/events?after=${start}&types=card.opposed&types=card.shipped`)
      .set(bearer(fundA))
      .expect(200);
    expect(repeated.body.items.map((e: { id: string }) => e.id)).toEqual([written[0].id, written[2].id, written[3].id]);
    const bad = await feed(fundA, { types: 'card.shipped,card.teleported' }).expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('refuses a malformed cursor with 400 EVENT_CURSOR_INVALID (problem+json)', async () => {
    const good = encodeCursor({ txId: '12', id: '34' });
    expect(decodeCursor(good)).toEqual({ txId: '12', id: '34' });
    for (const after of [
      'nope!',
      Buffer.from('12.x').toString('base64url'),
      Buffer.from('12').toString('base64url'),
      Buffer.from('012.34').toString('base64url'),
      Buffer.from('99999999999999999999.1').toString('base64url'),
      'A'.repeat(80),
    ]) {
      const res = await feed(fundA, { after }).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code, after).toBe(after.length > 64 ? 'VALIDATION_FAILED' : 'EVENT_CURSOR_INVALID');
    }
    expect((await feed(fundA, { limit: 0 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await feed(fundA, { limit: 1001 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await feed(fundA, { wait: 31 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
  });

  it('operators read one organisme at a time and must name it', async () => {
    const res = await feed(t.operatorKey).expect(400);
    expect(res.body.code).toBe('EVENT_ORGANISME_REQUIRED');
    const [e] = await appendEvents(t, fundEvent({ organismeCode: ORG_B }));
    const b = await drain(fundB, undefined, [e.id]);
    expect(b.ids).toContain(e.id);
    const op = await feed(t.operatorKey, { organismeCode: ORG_B, limit: 1000 }).expect(200);
    expect(op.body.items.map((x: { id: string }) => x.id)).toContain(e.id);
    const kiosk = (await t.partner(PartnerKind.Kiosk)).key;
    expect((await feed(kiosk).expect(403)).body.code).toBe('PARTNER_KIND_FORBIDDEN');
  });

  it('long-polls: an answer comes as soon as an event commits, or after `wait` with the same cursor', async () => {
    const start = (await drain(fundA)).next;
    const t0 = Date.now();
    const empty = await feed(fundA, { after: start, wait: 1 }).expect(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(750);
    expect(empty.body).toEqual({ items: [], next: start });

    const t1 = Date.now();
    const pending = feed(fundA, { after: start, wait: 20 }).then((r) => r);
    await new Promise((r) => setTimeout(r, 600));
    const [e] = await appendEvents(t, fundEvent());
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.items.map((x: { id: string }) => x.id)).toEqual([e.id]);
    expect(Date.now() - t1).toBeLessThan(5000);
  });

  it('fans each event out to the matching active subscriptions of its organisme in the same transaction, set-based', async () => {
    const partnerA = await t.partner(PartnerKind.Fund, ORG_A);
    const keyA = partnerA.key;
    const all = await t
      .http()
      .post('/v1/webhooks')
      .set(bearer(keyA))
      .send({ url: 'https://a.example/all' })
      .expect(201);
    const shippedOnly = await t
      .http()
      .post('/v1/webhooks')
      .set(bearer(keyA))
      .send({ url: 'https://a.example/shipped', eventTypes: ['card.shipped'] })
      .expect(201);
    const gone = await t
      .http()
      .post('/v1/webhooks')
      .set(bearer(keyA))
      .send({ url: 'https://a.example/gone' })
      .expect(201);
    await t.http().delete(`/v1/webhooks/${gone.body.id}`).set(bearer(keyA)).expect(204);
    const otherOrg = await t
      .http()
      .post('/v1/webhooks')
      .set(bearer(fundB))
      .send({ url: 'https://b.example/all' })
      .expect(201);

    const before = (await queuedJobs(t.dataSource, JobName.EventsDeliverWebhook)).length;
    const batch = Array.from({ length: 100 }, (_, i) =>
      fundEvent({ type: i % 4 === 0 ? FundEventType.CardShipped : FundEventType.CardOrdered }),
    );

    // Rolled back: no event, no delivery, no job.
    await expect(
      t.dataSource.transaction(async (em) => {
        await t.app.get(FundEventsService).append(em, ...batch);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await queuedJobs(t.dataSource, JobName.EventsDeliverWebhook)).length).toBe(before);

    const written = await appendEvents(t, ...batch);
    const ids = written.map((e) => e.id);
    const counts = async (sub: string) =>
      (
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM webhook_delivery WHERE subscription_id = $1 AND event_id = ANY ($2::bigint[])`,
          [sub, ids],
        )
      )[0].n;
    expect(await counts(all.body.id)).toBe(100);
    expect(await counts(shippedOnly.body.id)).toBe(25);
    expect(await counts(gone.body.id)).toBe(0);
    expect(await counts(otherOrg.body.id)).toBe(0);
    const jobs = (await queuedJobs(t.dataSource, JobName.EventsDeliverWebhook)).filter((j) =>
      ids.includes(j.eventId as string),
    );
    expect(jobs).toHaveLength(125);
    expect(new Set(jobs.map((j) => `${j.subscriptionId}/${j.eventId}`)).size).toBe(125);
  });
});
