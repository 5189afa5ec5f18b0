import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('audit trail', () => {
  let t: TestApp;
  beforeAll(async () => { t = await startTestApp(); });
  afterAll(async () => { await t?.close(); });

  it('records who did what under which request id, readable by operators with a cursor', async () => {
    const res = await t.http().post('/v1/partners').set(bearer(t.operatorKey)).set('x-request-id', 'req-audit-1')
      .send({ kind: 'kiosk', name: 'Pharmacie du Centre' }).expect(201);
    expect(res.headers['x-request-id']).toBe('req-audit-1');
    const list = await t.http().get('/v1/audit').query({ entityType: 'partner', entityId: res.body.id }).set(bearer(t.operatorKey)).expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ action: 'partner.created', actorKind: 'operator', requestId: 'req-audit-1' });
    expect(list.body.items[0].actorPartnerId).toBeTruthy();

    const page1 = await t.http().get('/v1/audit').query({ limit: 1 }).set(bearer(t.operatorKey)).expect(200);
    const page2 = await t.http().get('/v1/audit').query({ limit: 1, after: page1.body.next }).set(bearer(t.operatorKey)).expect(200);
    expect(Number(page2.body.items[0].id)).toBeGreaterThan(Number(page1.body.items[0].id));
  });

  it('is append-only in the database itself', async () => {
    await expect(t.dataSource.query(`UPDATE audit_entry SET action = 'x'`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`DELETE FROM audit_entry`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`TRUNCATE audit_entry`)).rejects.toThrow(/append-only/);
  });

  it('is not readable by partners other than operators', async () => {
    const fund = await t.partner(PartnerKind.Fund, '017510001');
    const res = await t.http().get('/v1/audit').set(bearer(fund.key)).expect(403);
    expect(res.body.code).toBe('PARTNER_KIND_FORBIDDEN');
  });
});
