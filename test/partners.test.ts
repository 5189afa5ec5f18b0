import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('partners and API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets an operator register a fund and give it a key that works, stored only as a hash', async () => {
    const p = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .send({ kind: 'fund', name: 'CPAM du Rhône', organismeCode: '016910001' })
      .expect(201);
    const k = await t
      .http()
      .post(`/v1/partners/${p.body.id}/api-keys`)
      .set(bearer(t.operatorKey))
      .send({ label: 'prod' })
      .expect(201);
    expect(k.body.key).toMatch(/^vk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const me = await t.http().get('/v1/me').set(bearer(k.body.key)).expect(200);
    expect(me.body).toMatchObject({ kind: 'fund', organismeCode: '016910001', partnerId: p.body.id });
    // Nothing in the database holds the key or its secret in clear.
    // The secret is base64url: it may itself hold '_' (and LIKE would read '_' as a wildcard), so no split, no LIKE.
    const secret = k.body.key.slice('vk_'.length + 12 + 1);
    expect(secret).toHaveLength(43);
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM api_key WHERE position($1 in encode(secret_hash, 'escape')) > 0 OR prefix = $2 OR label = $2`,
      [secret, k.body.key],
    );
    expect(row.n).toBe(0);
    const detail = await t.http().get(`/v1/partners/${p.body.id}`).set(bearer(t.operatorKey)).expect(200);
    expect(JSON.stringify(detail.body)).not.toContain(secret);
  });

  it('refuses a fund without a known organisme, and an organisme on other kinds', async () => {
    const a = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .send({ kind: 'fund', name: 'x' })
      .expect(422);
    expect(a.body.code).toBe('ORGANISME_REQUIRED');
    const b = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .send({ kind: 'fund', name: 'x', organismeCode: '999999999' })
      .expect(422);
    expect(b.body.code).toBe('ORGANISME_UNKNOWN');
    const c = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .send({ kind: 'kiosk', name: 'x', organismeCode: '017510001' })
      .expect(422);
    expect(c.body.code).toBe('ORGANISME_NOT_ALLOWED');
    const d = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .send({ kind: 'wizard', name: 'x' })
      .expect(400);
    expect(d.body.code).toBe('VALIDATION_FAILED');
    expect(d.body.errors[0].field).toBe('kind');
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM partner WHERE name = 'x'`);
    expect(n).toBe(0);
  });

  it('deactivating a partner revokes all its keys at once', async () => {
    const p = await t.partner(PartnerKind.PharmacySoftware);
    await t.http().get('/v1/me').set(bearer(p.key)).expect(200);
    await t.http().delete(`/v1/partners/${p.id}`).set(bearer(t.operatorKey)).expect(200);
    const res = await t.http().get('/v1/me').set(bearer(p.key)).expect(401);
    expect(res.body.code).toBe('AUTH_INVALID');
    const fresh = await t.http().post(`/v1/partners/${p.id}/api-keys`).set(bearer(t.operatorKey)).send({}).expect(409);
    expect(fresh.body.code).toBe('PARTNER_INACTIVE');
  });

  it('answers 404 problems for unknown partners and keys', async () => {
    const a = await t
      .http()
      .get('/v1/partners/00000000-0000-4000-8000-000000000000')
      .set(bearer(t.operatorKey))
      .expect(404);
    expect(a.body.code).toBe('PARTNER_NOT_FOUND');
    const b = await t.http().get('/v1/partners/not-a-uuid').set(bearer(t.operatorKey)).expect(400);
    expect(b.headers['content-type']).toMatch(/problem\+json/);
  });
});
