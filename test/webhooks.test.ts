import { createHmac, timingSafeEqual } from 'node:crypto';
import dns from 'node:dns';
import { readFileSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isIP } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FundEventType } from '../src/events/event-types.js';
import {
  WEBHOOK_MAX_ATTEMPTS,
  WebhookAttemptFailed,
  WebhookDeliveryService,
} from '../src/events/webhook-delivery.service.js';
import { signatureHeader } from '../src/events/webhook-signature.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import {
  appendEvents,
  eventually,
  fundEvent,
  ORG_A,
  ORG_B,
  sleep,
  webhookReceiver,
  type ReceivedCall,
} from './support/event-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

/**
 * A DNS whose answers the test writes, for names under `.rebind.test`: each name answers the n-th question with
 * `script(n)` (no address = not found). Installed where every resolution in this process goes through (node:dns's
 * lookup functions, which net.connect and fetch use too), so the product is observed as it resolves, whatever its
 * code; other names go to the real resolver.
 */
function fakeDns(scripts: Record<string, (n: number) => string[]>) {
  const asked: Record<string, number> = {};
  const real = { lookup: dns.lookup, promisesLookup: dns.promises.lookup };
  const answer = (host: string) => {
    if (!(host in scripts)) return null;
    asked[host] = (asked[host] ?? 0) + 1;
    return scripts[host](asked[host]).map((address) => ({ address, family: isIP(address) }));
  };
  const notFound = (host: string) =>
    Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
  const fakeLookup = (host: string, options: unknown, callback?: unknown) => {
    const list = answer(host);
    if (!list) return (real.lookup as (...a: unknown[]) => void).call(dns, host, options, callback);
    const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    process.nextTick(() =>
      list.length === 0 ? cb(notFound(host)) : all ? cb(null, list) : cb(null, list[0].address, list[0].family),
    );
  };
  const fakePromisesLookup = async (host: string, options?: { all?: boolean }) => {
    const list = answer(host);
    if (!list) return (real.promisesLookup as (...a: unknown[]) => Promise<unknown>).call(dns.promises, host, options);
    if (list.length === 0) throw notFound(host);
    return options?.all ? list : list[0];
  };
  Object.assign(dns, { lookup: fakeLookup });
  Object.assign(dns.promises, { lookup: fakePromisesLookup });
  syncBuiltinESMExports();
  return {
    asked,
    restore: () => {
      Object.assign(dns, { lookup: real.lookup });
      Object.assign(dns.promises, { lookup: real.promisesLookup });
      syncBuiltinESMExports();
    },
  };
}

/** What a fund does with each call, written from the documentation, independently of the server's code. */
function verifySignature(secret: string, call: ReceivedCall): boolean {
  const header = String(call.headers['x-vitale-signature'] ?? '');
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  if (!parts.t || !parts.v1 || parts.t !== call.headers['x-vitale-timestamp']) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${call.body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhooks', () => {
  let t: TestApp;
  let fundA: string;
  let fundB: string;
  const receivers: Array<{ close: () => Promise<void> }> = [];

  beforeAll(async () => {
    t = await startTestApp({ webhookTimeoutMs: 500 });
    fundA = (await t.partner(PartnerKind.Fund, ORG_A)).key;
    fundB = (await t.partner(PartnerKind.Fund, ORG_B)).key;
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await t?.close();
  });

  async function receiver(respond?: Parameters<typeof webhookReceiver>[0]) {
    const r = await webhookReceiver(respond);
    receivers.push(r);
    return r;
  }
  const subscribe = (key: string, body: Record<string, unknown>) =>
    t.http().post('/v1/webhooks').set(bearer(key)).send(body);
  const deliveryRow = async (subscriptionId: string, eventId: string) =>
    (
      await t.dataSource.query(
        `SELECT status, attempts, last_error, delivered_at FROM webhook_delivery WHERE subscription_id = $1 AND event_id = $2`,
        [subscriptionId, eventId],
      )
    )[0];

  it('signs as documented (the test vector of docs/formats/events-and-webhooks.md)', () => {
    expect(signatureHeader('whsec_test', 1700000000, '{"id":"1"}')).toBe(
      't=1700000000,v1=11bf4466ea17c3df3fd743af0b435368e16b7a05eb8eced85e8c4670767bdec5',
    );
  });

  it('refuses bad subscriptions with 400 and writes nothing', async () => {
    const count = async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_subscription`))[0].n;
    const before = await count();
    for (const body of [
      { url: 'ftp://files.example/hook' },
      { url: 'javascript:alert(1)' },
      { url: 'https://user:pass@hooks.example/h' },
      { url: 'not a url' },
      { url: `https://x.example/${'a'.repeat(500)}` },
      { url: 'https://x.example/h', eventTypes: ['card.teleported'] },
      { url: 'https://x.example/h', extra: true },
      {},
    ]) {
      const res = await subscribe(fundA, body).expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await subscribe(t.operatorKey, { url: 'https://x.example/h' }).expect(403)).body.code).toBe(
      'PARTNER_KIND_FORBIDDEN',
    );
    expect(await count()).toBe(before);
  });

  it('shows the secret once, stores it nowhere, and keeps the master key in DATA_DIR/keys with mode 0600', async () => {
    const url = 'https://hooks.example/vitale?token=fund-own-token';
    const created = await subscribe(fundA, { url, eventTypes: ['card.shipped'] }).expect(201);
    expect(created.body).toMatchObject({ organismeCode: ORG_A, url, eventTypes: ['card.shipped'], active: true });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const listed = await t.http().get('/v1/webhooks').set(bearer(fundA)).expect(200);
    expect(listed.body.items.map((s: { id: string }) => s.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    const one = await t.http().get(`/v1/webhooks/${created.body.id}`).set(bearer(fundA)).expect(200);
    expect(one.body.secret).toBeUndefined();

    const row = await t.dataSource.query(`SELECT row_to_json(s)::text AS j FROM webhook_subscription s WHERE id = $1`, [
      created.body.id,
    ]);
    expect(row[0].j).not.toContain(created.body.secret.slice(6));
    const audit = await t.dataSource.query(`SELECT details::text AS d FROM audit_entry WHERE entity_id = $1`, [
      created.body.id,
    ]);
    expect(audit.length).toBe(1);
    expect(audit[0].d).not.toContain(created.body.secret.slice(6));
    expect(audit[0].d).not.toContain('fund-own-token');

    const keyFile = path.resolve(t.config.dataDir, 'keys', 'webhook-master.key');
    expect(readFileSync(keyFile).length).toBe(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // Nothing listens at hooks.example: left active, its failing deliveries would slow the next tests down.
    await t.http().delete(`/v1/webhooks/${created.body.id}`).set(bearer(fundA)).expect(204);
  });

  it('POSTs each event signed; the receiver verifies the signature with its secret', async () => {
    const r = await receiver();
    const sub = await subscribe(fundA, { url: r.url }).expect(201);
    const [e] = await appendEvents(t, fundEvent({ type: FundEventType.CardShipped, data: { serial: '100000000042' } }));
    await eventually(() => r.calls.length >= 1);
    const call = r.calls[0];
    expect(call.headers['content-type']).toMatch(/^application\/json/);
    expect(call.headers['x-vitale-event-id']).toBe(e.id);
    expect(call.headers['x-vitale-event-type']).toBe('card.shipped');
    expect(Math.abs(Number(call.headers['x-vitale-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(verifySignature(sub.body.secret, call)).toBe(true);
    // Another subscription's secret does not verify it, nor does a tampered body.
    const other = await subscribe(fundA, { url: 'https://elsewhere.example/h' }).expect(201);
    expect(verifySignature(other.body.secret, call)).toBe(false);
    expect(verifySignature(sub.body.secret, { ...call, body: call.body.replace('100000000042', '100000000043') })).toBe(
      false,
    );
    expect(JSON.parse(call.body)).toEqual({
      id: e.id,
      type: 'card.shipped',
      organismeCode: ORG_A,
      subjectType: 'card',
      subjectId: e.subjectId,
      data: { serial: '100000000042' },
      createdAt: new Date(e.createdAt).toISOString(),
    });
    await eventually(async () => (await deliveryRow(sub.body.id, e.id)).status === 'delivered');
    expect(await deliveryRow(sub.body.id, e.id)).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });

    const page = await t.http().get(`/v1/webhooks/${sub.body.id}/deliveries`).set(bearer(fundA)).expect(200);
    expect(page.body.items[0]).toMatchObject({
      eventId: e.id,
      eventType: 'card.shipped',
      status: 'delivered',
      attempts: 1,
      lastError: null,
    });
    await t.http().delete(`/v1/webhooks/${sub.body.id}`).set(bearer(fundA)).expect(204);
    await t.http().delete(`/v1/webhooks/${other.body.id}`).set(bearer(fundA)).expect(204);
  });

  it('retries a failing endpoint with back-off and delivers once when it recovers', async () => {
    const r = await receiver((_call, i) => (i === 0 ? 503 : 200));
    const sub = await subscribe(fundA, { url: r.url }).expect(201);
    const [e] = await appendEvents(t, fundEvent());
    await eventually(() => r.calls.length >= 1);
    await eventually(async () => (await deliveryRow(sub.body.id, e.id)).last_error === 'HTTP 503');
    expect((await deliveryRow(sub.body.id, e.id)).status).toBe('pending');

    await eventually(async () => (await deliveryRow(sub.body.id, e.id)).status === 'delivered', 30_000);
    expect(r.calls).toHaveLength(2);
    expect(r.calls[1].at - r.calls[0].at).toBeGreaterThanOrEqual(900); // pg-boss back-off, not an immediate loop
    expect(r.calls.map((c) => c.headers['x-vitale-event-id'])).toEqual([e.id, e.id]);
    expect(verifySignature(sub.body.secret, r.calls[1])).toBe(true);
    expect(await deliveryRow(sub.body.id, e.id)).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });

    await sleep(2500);
    expect(r.calls).toHaveLength(2);
    const page = await t
      .http()
      .get(`/v1/webhooks/${sub.body.id}/deliveries`)
      .query({ status: 'delivered' })
      .set(bearer(fundA))
      .expect(200);
    expect(page.body.items.filter((d: { eventId: string }) => d.eventId === e.id)).toHaveLength(1);
    await t.http().delete(`/v1/webhooks/${sub.body.id}`).set(bearer(fundA)).expect(204);
  });

  it('a deleted subscription gets nothing more: neither its pending retries nor new events', async () => {
    let failing = true;
    const r = await receiver(() => (failing ? 500 : 200));
    const sub = await subscribe(fundA, { url: r.url }).expect(201);
    const [e] = await appendEvents(t, fundEvent());
    await eventually(() => r.calls.length >= 1);
    await t.http().delete(`/v1/webhooks/${sub.body.id}`).set(bearer(fundA)).expect(204);
    failing = false;
    const callsAtDeletion = r.calls.length;
    await appendEvents(t, fundEvent(), fundEvent());
    await sleep(4000); // longer than the first back-off
    expect(r.calls.length).toBe(callsAtDeletion);
    expect(await deliveryRow(sub.body.id, e.id)).toMatchObject({
      status: 'failed',
      last_error: 'subscription deleted',
    });
    const rows = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_delivery WHERE subscription_id = $1`,
      [sub.body.id],
    );
    expect(rows[0].n).toBe(1);
    await t.http().get(`/v1/webhooks/${sub.body.id}`).set(bearer(fundA)).expect(404);
    await t.http().delete(`/v1/webhooks/${sub.body.id}`).set(bearer(fundA)).expect(404);
    const listed = await t.http().get('/v1/webhooks').set(bearer(fundA)).expect(200);
    expect(listed.body.items.map((s: { id: string }) => s.id)).not.toContain(sub.body.id);
  });

  it('gives up after the last attempt: the delivery is failed with the attempts and the last error', async () => {
    const r = await receiver(() => 502);
    // An event appended before the subscription existed has no delivery (nor job): one is added by hand and driven directly.
    const [e] = await appendEvents(t, fundEvent({ organismeCode: ORG_A, subjectId: 'direct' }));
    const created = await t.dataSource.query(
      `INSERT INTO webhook_subscription (organisme_code, partner_id, url) SELECT $1, id, $2 FROM partner WHERE organisme_code = $1 LIMIT 1 RETURNING id::text`,
      [ORG_A, r.url],
    );
    const subscriptionId = created[0].id as string;
    await t.dataSource.query(`INSERT INTO webhook_delivery (subscription_id, event_id) VALUES ($1, $2)`, [
      subscriptionId,
      e.id,
    ]);
    const service = t.app.get(WebhookDeliveryService);
    for (let i = 1; i < WEBHOOK_MAX_ATTEMPTS; i++) {
      await expect(service.deliver(subscriptionId, e.id)).rejects.toBeInstanceOf(WebhookAttemptFailed);
      expect(await deliveryRow(subscriptionId, e.id)).toMatchObject({
        status: 'pending',
        attempts: i,
        last_error: 'HTTP 502',
      });
    }
    expect(await service.deliver(subscriptionId, e.id)).toBe('failed');
    expect(await deliveryRow(subscriptionId, e.id)).toMatchObject({
      status: 'failed',
      attempts: WEBHOOK_MAX_ATTEMPTS,
      last_error: 'HTTP 502',
    });
    expect(WEBHOOK_MAX_ATTEMPTS).toBe(9);
    // A late retry of a given-up or delivered delivery calls nobody.
    const calls = r.calls.length;
    expect(await service.deliver(subscriptionId, e.id)).toBe('skipped');
    expect(r.calls.length).toBe(calls);
    await t.dataSource.query(`UPDATE webhook_subscription SET active = false WHERE id = $1`, [subscriptionId]);
  });

  it('records a timeout as the last error', async () => {
    const r = await receiver(() => 'hang');
    const [e] = await appendEvents(t, fundEvent({ subjectId: 'timeout' }));
    const created = await t.dataSource.query(
      `INSERT INTO webhook_subscription (organisme_code, partner_id, url) SELECT $1, id, $2 FROM partner WHERE organisme_code = $1 LIMIT 1 RETURNING id::text`,
      [ORG_A, r.url],
    );
    await t.dataSource.query(`INSERT INTO webhook_delivery (subscription_id, event_id) VALUES ($1, $2)`, [
      created[0].id,
      e.id,
    ]);
    await expect(t.app.get(WebhookDeliveryService).deliver(created[0].id, e.id)).rejects.toThrow(
      /timeout after 500 ms/,
    );
    expect(await deliveryRow(created[0].id, e.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: 'timeout after 500 ms',
    });
    await t.dataSource.query(`UPDATE webhook_subscription SET active = false WHERE id = $1`, [created[0].id]);
  });

  it("a fund never sees, lists or deletes another organisme's webhooks (same 404 as unknown)", async () => {
    const mine = await subscribe(fundB, { url: 'https://b.example/hook' }).expect(201);
    for (const key of [fundA]) {
      const a = await t.http().get(`/v1/webhooks/${mine.body.id}`).set(bearer(key)).expect(404);
      const unknown = await t
        .http()
        .get('/v1/webhooks/00000000-0000-4000-8000-000000000000')
        .set(bearer(key))
        .expect(404);
      expect(a.body.code).toBe('WEBHOOK_NOT_FOUND');
      expect(unknown.body.code).toBe('WEBHOOK_NOT_FOUND');
      expect(a.body.detail).toBe(unknown.body.detail);
      await t.http().get(`/v1/webhooks/${mine.body.id}/deliveries`).set(bearer(key)).expect(404);
      await t.http().delete(`/v1/webhooks/${mine.body.id}`).set(bearer(key)).expect(404);
      const listed = await t.http().get('/v1/webhooks').query({ organismeCode: ORG_B }).set(bearer(key)).expect(200);
      expect(listed.body.items.map((s: { id: string }) => s.id)).not.toContain(mine.body.id);
    }
    await t.http().get('/v1/webhooks/not-a-uuid').set(bearer(fundB)).expect(404);
    // Operators see every organisme's, for support.
    const op = await t
      .http()
      .get('/v1/webhooks')
      .query({ organismeCode: ORG_B })
      .set(bearer(t.operatorKey))
      .expect(200);
    expect(op.body.items.map((s: { id: string }) => s.id)).toContain(mine.body.id);
    await t.http().get(`/v1/webhooks/${mine.body.id}`).set(bearer(fundB)).expect(200);
  });

  it('calls a host name on the address it resolved once, keeping the name in Host', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    // A second question would get another address, where nothing listens.
    const resolver = fakeDns({ 'ok.rebind.test': (n) => (n === 1 ? ['127.0.0.1'] : ['127.0.0.2']) });
    try {
      const sub = await subscribe(fundA, { url: `http://ok.rebind.test:${port}/hooks/vitale` }).expect(201);
      const [e] = await appendEvents(t, fundEvent());
      await eventually(async () => (await deliveryRow(sub.body.id, e.id)).status === 'delivered');
      expect(r.calls).toHaveLength(1);
      expect(r.calls[0].headers.host).toBe(`ok.rebind.test:${port}`);
      expect(resolver.asked['ok.rebind.test']).toBe(1);
      await t.http().delete(`/v1/webhooks/${sub.body.id}`).set(bearer(fundA)).expect(204);
    } finally {
      resolver.restore();
    }
  });

  it('caps the active subscriptions of an organisme', async () => {
    const fundC = (await t.partner(PartnerKind.Fund, '017510002')).key;
    for (let i = 0; i < 10; i++) await subscribe(fundC, { url: `https://c.example/${i}` }).expect(201);
    const res = await subscribe(fundC, { url: 'https://c.example/11' }).expect(409);
    expect(res.body.code).toBe('WEBHOOK_LIMIT_REACHED');
  });
});

describe('webhook targets when private ones are not allowed (production)', () => {
  let t: TestApp;
  let fund: string;
  const receivers: Array<{ close: () => Promise<void> }> = [];
  beforeAll(async () => {
    t = await startTestApp({ webhookAllowPrivateTargets: false, webhookTimeoutMs: 500 });
    fund = (await t.partner(PartnerKind.Fund, ORG_A)).key;
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await t?.close();
  });
  const subscribe = (url: string) => t.http().post('/v1/webhooks').set(bearer(fund)).send({ url });
  const subscriptions = async () =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_subscription`))[0].n;

  it('refuses a private or unresolvable target at registration, with a code and without echoing the URL', async () => {
    const resolver = fakeDns({
      'mixed.rebind.test': () => ['93.184.216.34', '10.0.0.7'],
      'internal.rebind.test': () => ['169.254.169.254'],
      'nowhere.rebind.test': () => [],
      'public.rebind.test': () => ['93.184.216.34'],
    });
    try {
      const before = await subscriptions();
      for (const url of [
        'http://127.0.0.1:8080/hook',
        'http://10.1.2.3/hook',
        'http://169.254.169.254/latest/meta-data/',
        'http://[::1]:9000/hook',
        'http://[::ffff:127.0.0.1]/hook',
        'http://0.0.0.0/hook',
        'http://localhost:3000/v1/partners',
        'http://internal.rebind.test/hook',
        'https://mixed.rebind.test/hook',
      ]) {
        const res = await subscribe(url).expect(400);
        expect(res.headers['content-type'], url).toMatch(/application\/problem\+json/);
        expect(res.body.code, url).toBe('WEBHOOK_TARGET_PRIVATE');
        expect(JSON.stringify(res.body), url).not.toContain(new URL(url).host);
      }
      const unresolved = await subscribe('https://nowhere.rebind.test/hook').expect(400);
      expect(unresolved.body.code).toBe('WEBHOOK_TARGET_UNRESOLVED');
      expect(await subscriptions()).toBe(before);
      // Public targets are taken.
      await subscribe('https://public.rebind.test/hook').expect(201);
      await subscribe('https://93.184.216.34/hook').expect(201);
      expect(await subscriptions()).toBe(before + 2);
    } finally {
      resolver.restore();
    }
    await t.dataSource.query(`UPDATE webhook_subscription SET active = false`);
  });

  it('connects to the address it checked: a DNS answer that changes between the check and the call reaches nothing private', async () => {
    const r = await webhookReceiver();
    receivers.push(r);
    const port = new URL(r.url).port;
    // Public whenever the registration asks; during the call, public to the first question and then the loopback,
    // where an internal service (here the receiver) listens: DNS rebinding.
    let callQuestions: number | null = null;
    const resolver = fakeDns({
      'rebind.rebind.test': () => (callQuestions === null || ++callQuestions === 1 ? ['203.0.113.7'] : ['127.0.0.1']),
    });
    try {
      // The event first: the subscription made after it gets no job, and the one delivery is driven here.
      const [e] = await appendEvents(t, fundEvent({ subjectId: 'rebinding' }));
      const sub = await subscribe(`http://rebind.rebind.test:${port}/hooks/vitale`).expect(201);
      await t.dataSource.query(`INSERT INTO webhook_delivery (subscription_id, event_id) VALUES ($1, $2)`, [
        sub.body.id,
        e.id,
      ]);
      callQuestions = 0;
      await expect(t.app.get(WebhookDeliveryService).deliver(sub.body.id, e.id)).rejects.toBeInstanceOf(
        WebhookAttemptFailed,
      );
      expect(r.calls).toHaveLength(0);
      expect(callQuestions).toBe(1);
      const [row] = await t.dataSource.query(
        `SELECT attempts, last_error FROM webhook_delivery WHERE subscription_id = $1`,
        [sub.body.id],
      );
      expect(row.attempts).toBe(1);
      expect(row.last_error).toMatch(/^(timeout after 500 ms|connection failed: \w+)$/);
      await t.http().delete(`/v1/webhooks/${sub.body.id}`).set(bearer(fund)).expect(204);
    } finally {
      resolver.restore();
    }
  });
});

describe('webhook targets', () => {
  it('refuses private, loopback and link-local addresses and accepts public ones', async () => {
    const { isPrivateAddress, refusedTarget } = await import('../src/events/webhook-address.guard.js');
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']) expect(isPrivateAddress(a), a).toBe(false);
    expect(await refusedTarget('http://127.0.0.1:8080/hook')).toMatch(/private or local/);
    expect(await refusedTarget('http://localhost/hook')).toMatch(/private or local/);
    expect(await refusedTarget('https://[::1]/hook')).toMatch(/private or local/);
  });
});
