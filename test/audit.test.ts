import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('audit trail', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('records who did what under which request id, readable by operators with a cursor', async () => {
    const res = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .set('x-request-id', 'req-audit-1')
      .send({ kind: 'kiosk', name: 'Pharmacie du Centre' })
      .expect(201);
    expect(res.headers['x-request-id']).toBe('req-audit-1');
    const list = await t
      .http()
      .get('/v1/audit')
      .query({ entityType: 'partner', entityId: res.body.id })
      .set(bearer(t.operatorKey))
      .expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      action: 'partner.created',
      actorKind: 'operator',
      requestId: 'req-audit-1',
    });
    expect(list.body.items[0].actorPartnerId).toBeTruthy();

    const page1 = await t.http().get('/v1/audit').query({ limit: 1 }).set(bearer(t.operatorKey)).expect(200);
    const page2 = await t
      .http()
      .get('/v1/audit')
      .query({ limit: 1, after: page1.body.next })
      .set(bearer(t.operatorKey))
      .expect(200);
    expect(Number(page2.body.items[0].id)).toBeGreaterThan(Number(page1.body.items[0].id));
  });

  it("is append-only in the database itself: the app's role may not change it nor lift the rule; the owner hits the trigger", async () => {
    // The application's own connection (its restricted role, as in production).
    const entries = async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_entry`))[0].n;
    const before = await entries();
    for (const statement of [
      `ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update`,
      `ALTER TABLE audit_entry DISABLE TRIGGER ALL`,
      `DROP TRIGGER audit_entry_no_update ON audit_entry`,
      `ALTER TABLE audit_entry OWNER TO CURRENT_USER`,
      `CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`,
    ]) {
      await expect(t.dataSource.query(statement), statement).rejects.toThrow(
        /must be owner|permission denied for schema/,
      );
    }
    for (const statement of [
      `UPDATE audit_entry SET action = 'x'`,
      `DELETE FROM audit_entry`,
      `TRUNCATE audit_entry`,
    ]) {
      await expect(t.dataSource.query(statement), statement).rejects.toThrow(/permission denied for table audit_entry/);
    }
    await expect(t.dataSource.query(`SET session_replication_role = replica`)).rejects.toThrow(/permission denied/);
    expect(await entries()).toBe(before);
    // The owner is stopped by the trigger (a mistake, a script): lifting the rule takes a deliberate ALTER TABLE.
    const owner = new pg.Client(t.ownerUrl);
    await owner.connect();
    try {
      await expect(owner.query(`UPDATE audit_entry SET action = 'x'`)).rejects.toThrow(/append-only/);
      await expect(owner.query(`DELETE FROM audit_entry`)).rejects.toThrow(/append-only/);
      await expect(owner.query(`TRUNCATE audit_entry`)).rejects.toThrow(/append-only/);
    } finally {
      await owner.end();
    }
  });

  it('is not readable by partners other than operators', async () => {
    const fund = await t.partner(PartnerKind.Fund, '017510001');
    const res = await t.http().get('/v1/audit').set(bearer(fund.key)).expect(403);
    expect(res.body.code).toBe('PARTNER_KIND_FORBIDDEN');
  });
});
