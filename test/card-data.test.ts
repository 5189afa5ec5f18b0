import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { cardAuditEntries, cardIn, UNKNOWN_SERIAL } from './support/card-fixtures.js';
import { cardVersions, LYON, PARIS, putRecord, RECORDS } from './support/kiosk-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('card data (fund side of online updates)', () => {
  let t: TestApp;
  let fund: { id: string; key: string };
  let otherFund: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    fund = await t.partner(PartnerKind.Fund, PARIS);
    otherFund = await t.partner(PartnerKind.Fund, LYON);
  });
  afterAll(async () => { await t?.close(); });

  it('stores a whole record and raises the target version only when the content changed', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    const first = await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ serial: c.serial12, recordType: 'coverage', changed: true, version: 1, targetVersion: 1 });
    const same = await putRecord(t, fund.key, c.serial12, 'coverage', [...RECORDS.coverage]);
    expect(same.body).toMatchObject({ changed: false, version: 1, targetVersion: 1 });
    const other = await putRecord(t, fund.key, c.serial12, 'maternity', RECORDS.maternity);
    expect(other.body).toMatchObject({ changed: true, version: 2, targetVersion: 2 });
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 0, target_version: 2 });
    const got = await t.http().get(`/v1/cards/${c.serial12}/data/coverage`).set(bearer(fund.key));
    expect(got.body).toMatchObject({ recordType: 'coverage', version: 1, content: RECORDS.coverage });
    const audit = (await cardAuditEntries(t.dataSource, c.serial12)).filter((e) => e.action === 'card.data_changed');
    expect(audit.map((e) => e.details.recordType)).toEqual(['coverage', 'maternity']);
  });

  it('shows the fund what is pending and when the card was last updated', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    await putRecord(t, fund.key, c.serial12, 'mentions', RECORDS.mentions);
    await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage);
    const res = await t.http().get(`/v1/cards/${c.serial12}/updates`).set(bearer(fund.key));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ serial: c.serial12, confirmedVersion: 0, targetVersion: 2, pendingRecordTypes: ['coverage', 'mentions'], lastUpdatedAt: null });
  });

  it('validation errors write nothing', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    const bad: Array<[string, unknown]> = [
      ['coverage', [{ aldDigit: 7, situation: '0100' }]],
      ['coverage', [{ aldDigit: 1, situation: '01' }]],
      ['ald_periods', [{ from: '2026-05-01', to: '2026-01-01', aldCode: '8' }]],
      ['complementary', { css: null, amc: { contract: 'X1', from: 'not a date', to: null } }],
      ['maternity', { date: '2026-02-30' }],
      ['mentions', { organDonor: 'yes' }],
      ['coverage', { unexpected: true }],
    ];
    for (const [type, content] of bad) {
      const res = await putRecord(t, fund.key, c.serial12, type, content);
      expect(res.status, JSON.stringify(content)).toBe(422);
      expect(res.body.code).toBe('CARD_DATA_INVALID');
    }
    const unknownType = await putRecord(t, fund.key, c.serial12, 'photo', {});
    expect(unknownType.status).toBe(422);
    expect(unknownType.body.code).toBe('CARD_RECORD_TYPE_UNKNOWN');
    const noBody = await t.http().put(`/v1/cards/${c.serial12}/data/coverage`).set(bearer(fund.key)).send({});
    expect(noBody.status).toBe(400);
    expect(await t.dataSource.query(`SELECT * FROM card_data_record WHERE card_id = $1`, [c.id])).toEqual([]);
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 0, target_version: 0 });
    expect((await cardAuditEntries(t.dataSource, c.serial12)).filter((e) => e.action === 'card.data_changed')).toEqual([]);
  });

  it("another fund's card is CARD_NOT_FOUND, and nothing is written", async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    for (const res of [
      await putRecord(t, otherFund.key, c.serial12, 'coverage', RECORDS.coverage),
      await t.http().get(`/v1/cards/${c.serial12}/updates`).set(bearer(otherFund.key)),
      await t.http().get(`/v1/cards/${c.serial12}/data/coverage`).set(bearer(otherFund.key)),
      await t.http().get(`/v1/cards/${UNKNOWN_SERIAL}/updates`).set(bearer(fund.key)),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('CARD_NOT_FOUND');
    }
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 0, target_version: 0 });
  });

  it('refuses updates for a card that will never be presented again, and writes nothing', async () => {
    for (const state of [CardState.Opposed, CardState.Destroyed, CardState.Cancelled]) {
      const c = await cardIn(t.dataSource, state);
      const res = await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage);
      expect(res.status, state).toBe(409);
      expect(res.body.code).toBe('CARD_NOT_UPDATABLE');
      expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 0, target_version: 0 });
    }
  });

  it('a kiosk cannot set card data', async () => {
    const kiosk = await t.partner(PartnerKind.Kiosk);
    const c = await cardIn(t.dataSource, CardState.Active);
    const res = await putRecord(t, kiosk.key, c.serial12, 'coverage', RECORDS.coverage);
    expect(res.status).toBe(403);
  });

  it('lists the fund\'s cards not updated for more than N months, in keyset pages', async () => {
    const old: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await cardIn(t.dataSource, CardState.Active);
      await t.dataSource.query(`UPDATE card SET personalised_at = now() - interval '14 months' WHERE id = $1`, [c.id]);
      old.push(c.serial12);
    }
    const fresh = await cardIn(t.dataSource, CardState.Active);
    await t.dataSource.query(`UPDATE card SET personalised_at = now() - interval '2 months' WHERE id = $1`, [fresh.id]);
    const updatedOnline = await cardIn(t.dataSource, CardState.Active);
    await t.dataSource.query(`UPDATE card SET personalised_at = now() - interval '20 months' WHERE id = $1`, [updatedOnline.id]);
    await t.dataSource.query(`INSERT INTO card_update_state (card_id, target_version, data_updated_at) VALUES ($1, 0, now() - interval '1 month')`, [updatedOnline.id]);
    const lyon = await cardIn(t.dataSource, CardState.Active, { organismeCode: LYON });
    await t.dataSource.query(`UPDATE card SET personalised_at = now() - interval '20 months' WHERE id = $1`, [lyon.id]);

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: { status: number; body: { items: Array<{ serial: string }>; next: string | null } } = await t.http().get('/v1/cards/stale-updates').query({ months: 12, limit: 2, ...(after ? { after } : {}) }).set(bearer(fund.key));
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: { serial: string }) => i.serial));
      after = res.body.next;
    } while (after);
    expect(seen.filter((s) => [...old, fresh.serial12, updatedOnline.serial12, lyon.serial12].includes(s))).toEqual(old);
  });
});
