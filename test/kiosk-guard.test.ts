import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { AppConfig } from '../src/config/app-config.js';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { createLogger } from '../src/platform/logging/logger.js';
import { cardIn } from './support/card-fixtures.js';
import { ackBody, check2, fetch2, giveCardKeys, proofBody } from './support/card-key-fixtures.js';
import { PARIS, putRecord, RECORDS, written } from './support/kiosk-fixtures.js';
import { until } from './support/program.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

/**
 * The kiosk/2 enumeration guard: a key asking about cards without their proof is slowed down, then suspended
 * (audit entry, the operators' list, metrics); an operator lifts it. Thresholds are low and challenges short here
 * (KIOSK_UNPROVEN_SLOWDOWN 2, KIOSK_UNPROVEN_SUSPEND 4, KIOSK_CHALLENGE_SECONDS 1).
 */
describe('the kiosk/2 enumeration guard', () => {
  let t: TestApp;
  let fund: { id: string; key: string };
  let second: NestFastifyApplication | undefined;

  beforeAll(async () => {
    t = await startTestApp({
      workersEnabled: false,
      kioskUnprovenSlowdown: 2,
      kioskUnprovenSuspend: 4,
      kioskChallengeSeconds: 1,
    });
    fund = await t.partner(PartnerKind.Fund, PARIS);
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  /** A card with keys and a pending record (a check answers update_available). */
  async function pendingCard() {
    const c = await cardIn(t.dataSource, CardState.Active);
    const keys = await giveCardKeys(t.dataSource, c.id);
    await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage).expect(200);
    return { ...c, keys };
  }

  const metric = async (line: RegExp): Promise<number> => {
    const text = (await t.http().get('/metrics').set(bearer(t.operatorKey)).expect(200)).text;
    const m = text.split('\n').find((l) => line.test(l));
    return m ? Number(m.split(' ').at(-1)) : 0;
  };
  const expiredChallenges = () => metric(/^kiosk_unproven_cards_total\{cause="challenge_expired"\}/);

  it('slows down, then suspends, a key that scans cards; an operator lifts the suspension', async () => {
    const scanner = await t.partner(PartnerKind.Kiosk);
    const [a, b, c, d, e] = [
      await pendingCard(),
      await pendingCard(),
      await pendingCard(),
      await pendingCard(),
      await pendingCard(),
    ];
    const upToDate = await cardIn(t.dataSource, CardState.Active);
    await giveCardKeys(t.dataSource, upToDate.id);
    const idle = () => check2(t, scanner.key, upToDate.serial12, 2);

    // Three cards checked, never proven: their challenges expire unredeemed.
    const expiredBefore = await expiredChallenges();
    for (const card of [a, b, c])
      expect((await check2(t, scanner.key, card.serial12, 2)).body.action).toBe('update_available');
    expect((await idle()).status).toBe(200);
    await until(
      async () => (await expiredChallenges()) >= expiredBefore + 3,
      'the three challenges judged unredeemed',
      15_000,
    );

    // 3 unproven cards > 2: one request per (3 − 2) s, the next one waits.
    expect((await idle()).status).toBe(200);
    const slowed = await idle();
    expect([slowed.status, slowed.body.code]).toEqual([429, 'KIOSK_SLOWED_DOWN']);
    expect(Number(slowed.headers['retry-after'])).toBe(1);
    expect(await metric(/^kiosk_slowed_down_total /)).toBeGreaterThanOrEqual(1);

    const forged = {
      readVersion: 2,
      writeInProgress: false,
      challenge: 'A'.repeat(75),
      proof: randomBytes(64).toString('base64'),
    };
    const fetchSlowed = await fetch2(t, scanner.key, { ...forged, serial: d.serial12 });
    expect([fetchSlowed.status, fetchSlowed.body.code]).toEqual([429, 'KIOSK_SLOWED_DOWN']);

    // A fetch with a challenge that is not ours: a 4th unproven card, and the wait grows to 4 − 2 = 2 s.
    await new Promise((r) => setTimeout(r, 1_000));
    const refused = await fetch2(t, scanner.key, { ...forged, serial: d.serial12 });
    expect(refused.body.code).toBe('KIOSK_CHALLENGE_INVALID');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await idle()).status).toBe(200);
    const longer = await idle();
    expect([longer.status, Number(longer.headers['retry-after'])]).toEqual([429, 2]);

    // A 5th: above 4, the key is suspended by the request that crossed the threshold, then authenticates nowhere.
    await new Promise((r) => setTimeout(r, 2_000));
    const crossing = await fetch2(t, scanner.key, { ...forged, serial: e.serial12 });
    expect([crossing.status, crossing.body.code]).toEqual([403, 'API_KEY_SUSPENDED']);
    for (const res of [await idle(), await t.http().get('/v1/me').set(bearer(scanner.key))]) {
      expect([res.status, res.body.code]).toEqual([401, 'AUTH_INVALID']);
    }
    const apiKeyId = (await t.http().get(`/v1/partners/${scanner.id}`).set(bearer(t.operatorKey))).body.apiKeys[0]
      .id as string;
    const [audit] = await t.dataSource.query(
      `SELECT actor_kind, request_id, details FROM audit_entry WHERE action = 'api-key.suspended' AND entity_id = $1`,
      [apiKeyId],
    );
    expect(audit).toMatchObject({
      actor_kind: 'system',
      request_id: crossing.headers['x-request-id'],
      details: { partnerId: scanner.id, unprovenCards: 5, threshold: 4 },
    });
    const listed = await t.http().get('/v1/api-key-suspensions?open=true').set(bearer(t.operatorKey)).expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        apiKeyId,
        partnerId: scanner.id,
        reason: 'kiosk_unproven_cards',
        unprovenCards: 5,
        liftedAt: null,
      }),
    ]);
    expect(
      (await t.http().get(`/v1/partners/${scanner.id}`).set(bearer(t.operatorKey))).body.apiKeys[0].suspendedAt,
    ).not.toBeNull();
    expect(await metric(/^api_key_suspensions_total /)).toBe(1);
    expect(await metric(/^api_keys_suspended /)).toBe(1);
    // The fund whose cards were asked about is told, in its feed (ids and counts only).
    const feed = await t.http().get('/v1/events?types=kiosk.key_suspended').set(bearer(fund.key)).expect(200);
    expect(feed.body.items).toEqual([
      expect.objectContaining({
        type: 'kiosk.key_suspended',
        subjectType: 'api_key',
        subjectId: apiKeyId,
        data: {
          apiKeyId,
          partnerId: scanner.id,
          suspensionId: listed.body.items[0].id,
          reason: 'kiosk_unproven_cards',
          yourCards: 5,
          unprovenCards: 5,
          threshold: 4,
        },
      }),
    ]);
    // Not personal data: no serial, NIR or name in what operators and funds see of it.
    expect(JSON.stringify([audit, listed.body, feed.body])).not.toMatch(
      new RegExp([a, b, c, d, e].map((x) => x.serial12).join('|')),
    );

    // An operator lifts it (audited): the key works at once, and what was counted before no longer counts.
    const other = await t.partner(PartnerKind.Kiosk);
    await t
      .http()
      .delete(`/v1/partners/${other.id}/api-keys/${apiKeyId}/suspension`)
      .set(bearer(t.operatorKey))
      .expect(404);
    const lifted = await t
      .http()
      .delete(`/v1/partners/${scanner.id}/api-keys/${apiKeyId}/suspension`)
      .set(bearer(t.operatorKey))
      .expect(200);
    expect(lifted.body).toMatchObject({ apiKeyId, liftedAt: expect.any(String) });
    const [liftAudit] = await t.dataSource.query(
      `SELECT actor_kind, actor_partner_id FROM audit_entry WHERE action = 'api-key.suspension_lifted' AND entity_id = $1`,
      [apiKeyId],
    );
    expect(liftAudit.actor_kind).toBe('operator');
    for (let i = 0; i < 3; i++) expect((await idle()).status).toBe(200);
    const again = await t
      .http()
      .delete(`/v1/partners/${scanner.id}/api-keys/${apiKeyId}/suspension`)
      .set(bearer(t.operatorKey));
    expect([again.status, again.body.code]).toEqual([409, 'API_KEY_NOT_SUSPENDED']);
    expect((await t.http().get('/v1/api-key-suspensions?open=true').set(bearer(t.operatorKey))).body.items).toEqual([]);
    expect(await metric(/^api_keys_suspended /)).toBe(0);
  }, 60_000);

  it('never counts a card the kiosk proved, whichever instance answered the fetch', async () => {
    // A second instance of the product on the same database and data folder (behind the same balancer).
    const config = Object.assign(new AppConfig(), { ...t.config });
    second = await createApp(config, t.url, createLogger('silent'));
    await second.init();
    await second.getHttpAdapter().getInstance().ready();
    const other = () => request(second!.getHttpServer());

    const kiosk = await t.partner(PartnerKind.Kiosk);
    const expiredBefore = await expiredChallenges();
    for (let i = 0; i < 4; i++) {
      const card = await pendingCard();
      const res = await check2(t, kiosk.key, card.serial12, 2);
      // Checked on this instance, fetched and confirmed on the other.
      const fetched = await other()
        .post('/v2/kiosk/fetch')
        .set(bearer(kiosk.key))
        .send(
          proofBody(card.keys, {
            serial: card.serial12,
            challenge: res.body.challenge,
            readVersion: 2,
            kioskId: kiosk.id,
          }),
        );
      expect(fetched.body.action).toBe('update');
      await other()
        .post('/v2/kiosk/confirm')
        .set(bearer(kiosk.key))
        .send(
          ackBody(card.keys, {
            exchangeId: fetched.body.exchangeId,
            serial: card.serial12,
            writtenRecords: written(fetched.body),
          }),
        )
        .expect(200);
    }
    // Past their expiry and a sweep: none is unproven, the key is neither slowed nor suspended.
    const probe = await pendingCard();
    const c = await check2(t, kiosk.key, probe.serial12, 2);
    await until(async () => (await expiredChallenges()) >= expiredBefore + 1, "the probe's challenge judged", 15_000);
    expect(await expiredChallenges()).toBe(expiredBefore + 1);
    expect(c.body.action).toBe('update_available');
    for (let i = 0; i < 3; i++) expect((await check2(t, kiosk.key, probe.serial12, 3)).status).toBe(200);
  }, 60_000);
});
