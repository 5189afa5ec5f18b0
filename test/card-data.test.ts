import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrintable } from '../src/platform/validation/text.js';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { cardAuditEntries, cardIn, UNKNOWN_SERIAL } from './support/card-fixtures.js';
import { cardVersions, LYON, PARIS, putRecord, RECORDS } from './support/kiosk-fixtures.js';
import { insertBeneficiary } from './support/factories.js';
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
  afterAll(async () => {
    await t?.close();
  });

  it('stores a whole record and raises the target version only when the content changed', async () => {
    // A card is issued at version 2: identity (1) and organisme (2) from the register, written by the vendor.
    const c = await cardIn(t.dataSource, CardState.Active);
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 2 });
    const first = await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      serial: c.serial12,
      recordType: 'coverage',
      changed: true,
      version: 3,
      targetVersion: 3,
    });
    const same = await putRecord(t, fund.key, c.serial12, 'coverage', [...RECORDS.coverage]);
    expect(same.body).toMatchObject({ changed: false, version: 3, targetVersion: 3 });
    const other = await putRecord(t, fund.key, c.serial12, 'maternity', RECORDS.maternity);
    expect(other.body).toMatchObject({ changed: true, version: 4, targetVersion: 4 });
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 4 });
    const got = await t.http().get(`/v1/cards/${c.serial12}/data/coverage`).set(bearer(fund.key));
    expect(got.body).toMatchObject({ recordType: 'coverage', version: 3, content: RECORDS.coverage });
    const audit = (await cardAuditEntries(t.dataSource, c.serial12)).filter((e) => e.action === 'card.data_changed');
    expect(audit.map((e) => e.details.recordType)).toEqual(['coverage', 'maternity']);
  });

  it('shows the fund what is pending and when the card was last updated', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    await putRecord(t, fund.key, c.serial12, 'mentions', RECORDS.mentions);
    await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage);
    const res = await t.http().get(`/v1/cards/${c.serial12}/updates`).set(bearer(fund.key));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      serial: c.serial12,
      confirmedVersion: 2,
      targetVersion: 4,
      pendingRecordTypes: ['coverage', 'mentions'],
      lastUpdatedAt: null,
    });
  });

  it('validation errors write nothing', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    const recordsBefore = await t.dataSource.query(
      `SELECT * FROM card_data_record WHERE card_id = $1 ORDER BY record_type`,
      [c.id],
    );
    const bad: Array<[string, unknown]> = [
      ['coverage', [{ aldDigit: 7, situation: '0100' }]],
      ['coverage', [{ aldDigit: 1, situation: '01' }]],
      ['ald_periods', [{ from: '2026-05-01', to: '2026-01-01', aldCode: '8' }]],
      ['complementary', { css: null, amc: { contract: 'X1', from: 'not a date', to: null } }],
      ['maternity', { date: '2026-02-30' }],
      ['mentions', { organDonor: 'yes' }],
      ['mentions', { euStay: { country: 'Spain', from: '2026-01-01', to: null } }],
      ['mentions', { workAccidentRegime: '1' }],
      ['mentions', { address: ['x'.repeat(39), '75011 PARIS'] }],
      ['coverage', { unexpected: true }],
      ['mentions', { treatingDoctor: 'Dr\u0000Durand' }],
      ['mentions', { emergencyContact: 'Paul \u202Etnitram' }],
      ['mentions', { treatingDoctor: 'D'.repeat(101) }],
    ];
    for (const [type, content] of bad) {
      const res = await putRecord(t, fund.key, c.serial12, type, content);
      // Control and bidi characters are refused by the one JSON reader, before any route sees the body.
      const unprintable = Object.values(content as object).some((v) => typeof v === 'string' && !isPrintable(v));
      expect(res.status, JSON.stringify(content)).toBe(unprintable ? 400 : 422);
      expect(res.body.code).toBe(unprintable ? 'TEXT_NOT_PRINTABLE' : 'CARD_DATA_INVALID');
    }
    const unknownType = await putRecord(t, fund.key, c.serial12, 'photo', {});
    expect(unknownType.status).toBe(422);
    expect(unknownType.body.code).toBe('CARD_RECORD_TYPE_UNKNOWN');
    const noBody = await t.http().put(`/v1/cards/${c.serial12}/data/coverage`).set(bearer(fund.key)).send({});
    expect(noBody.status).toBe(400);
    expect(
      await t.dataSource.query(`SELECT * FROM card_data_record WHERE card_id = $1 ORDER BY record_type`, [c.id]),
    ).toEqual(recordsBefore);
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 2 });
    expect((await cardAuditEntries(t.dataSource, c.serial12)).filter((e) => e.action === 'card.data_changed')).toEqual(
      [],
    );
  });

  it('CARD_DATA_INVALID lists every fault of the record (field and how to fix it), never the values', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    const res = await putRecord(t, fund.key, c.serial12, 'mentions', {
      organDonor: 'yes',
      treatingDoctor: `Dr ${'Who'.repeat(40)}`,
      workAccidentRegime: '1',
      euStay: { country: 'Spain', from: '2026-02-30', to: '2026-01-01' },
      secretKey: 'x',
    });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'CARD_DATA_INVALID', recordType: 'mentions' });
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'mentions',
      'mentions.euStay.country',
      'mentions.euStay.from',
      'mentions.organDonor',
      'mentions.treatingDoctor',
      'mentions.workAccidentRegime',
    ]);
    for (const e of res.body.errors) expect(e.messages.length).toBeGreaterThan(0);
    expect(JSON.stringify(res.body)).not.toMatch(/secretKey|Spain|Who|yes/);
    const list = await putRecord(t, fund.key, c.serial12, 'coverage', [
      { aldDigit: 9, situation: '1' },
      { aldDigit: 1, situation: '0100' },
      { aldDigit: -1 },
    ]);
    expect(list.body.errors).toEqual([
      { field: 'coverage[0].aldDigit', messages: [expect.stringContaining('0 to 6')] },
      { field: 'coverage[0].situation', messages: [expect.stringContaining('4 digits')] },
      { field: 'coverage[2].aldDigit', messages: [expect.stringContaining('0 to 6')] },
      { field: 'coverage[2].situation', messages: [expect.stringContaining('4 digits')] },
    ]);
    // A list longer than the chip allows is one fault, its entries are not examined one by one.
    const long = await putRecord(t, fund.key, c.serial12, 'ald_periods', Array(5000).fill({ from: 'x' }));
    expect(long.body.errors).toEqual([{ field: 'ald_periods', messages: ['ald_periods has at most 30 entries'] }]);
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 2 });
  });

  it('chip records hold what the chip holds: the NIR, the regime/caisse/centre codes (from the register), the Vitale 2 mentions', async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS, usageName: 'DURAND', birthRank: 2 });
    const c = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: b.id, organismeCode: PARIS });
    const got = async (type: string) =>
      (await t.http().get(`/v1/cards/${c.serial12}/data/${type}`).set(bearer(fund.key))).body;
    expect(await got('identity')).toMatchObject({
      version: 1,
      content: {
        nir: b.nir,
        firstName: b.firstName,
        birthName: b.birthName,
        usageName: 'DURAND',
        birthDate: b.birthDate,
        birthRank: 2,
      },
    });
    expect(await got('organisme')).toMatchObject({
      version: 2,
      content: { code: PARIS, regimeCode: '01', caisseCode: '751', centreCode: '0001' },
    });
    const mentions = {
      organDonor: true,
      declaredGp: true,
      treatingDoctor: 'Dr Durand',
      emergencyContact: 'Paul Martin 0600000000',
      address: ['Jeanne MARTIN', '12 RUE DES LILAS', '75011 PARIS'],
      workAccidentRegime: '01',
      euStay: { country: 'ES', from: '2026-07-01', to: '2026-08-31' },
    };
    expect((await putRecord(t, fund.key, c.serial12, 'mentions', mentions)).status).toBe(200);
    expect((await got('mentions')).content).toEqual(mentions);
    expect((await putRecord(t, fund.key, c.serial12, 'mentions', {})).status).toBe(200);
    expect((await got('mentions')).content).toEqual({
      organDonor: null,
      declaredGp: null,
      treatingDoctor: null,
      emergencyContact: null,
      address: null,
      workAccidentRegime: null,
      euStay: null,
    });
  });

  it("per insured: every card of the beneficiary the fund manages, with what is pending; another fund's insured is 404", async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const old = await cardIn(t.dataSource, CardState.Opposed, {
      beneficiaryId: b.id,
      organismeCode: PARIS,
      previousState: CardState.Active,
    });
    const current = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: b.id, organismeCode: PARIS });
    await putRecord(t, fund.key, current.serial12, 'coverage', RECORDS.coverage);
    const res = await t.http().get(`/v1/beneficiaries/${b.id}/card-updates`).set(bearer(fund.key));
    expect(res.status).toBe(200);
    expect(res.body.beneficiaryId).toBe(b.id);
    expect(res.body.cards.map((c: { serial: string }) => c.serial).sort()).toEqual(
      [old.serial12, current.serial12].sort(),
    );
    expect(res.body.cards.find((c: { serial: string }) => c.serial === current.serial12)).toMatchObject({
      state: 'active',
      confirmedVersion: 2,
      targetVersion: 3,
      pendingRecordTypes: ['coverage'],
      lastUpdatedAt: null,
    });
    for (const [key, id] of [
      [otherFund.key, b.id],
      [fund.key, '00000000-0000-4000-8000-000000000000'],
      [fund.key, 'not-a-uuid'],
    ]) {
      const refused = await t.http().get(`/v1/beneficiaries/${id}/card-updates`).set(bearer(key));
      expect(refused.status).toBe(404);
      expect(refused.body.code).toBe('BENEFICIARY_NOT_FOUND');
    }
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
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 2 });
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

  it("lists the fund's cards not updated for more than N months, in keyset pages", async () => {
    const old: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await cardIn(t.dataSource, CardState.Active);
      await t.dataSource.query(`UPDATE card SET personalised_at = now() - interval '14 months' WHERE id = $1`, [c.id]);
      old.push(c.serial12);
    }
    const fresh = await cardIn(t.dataSource, CardState.Active);
    await t.dataSource.query(`UPDATE card SET personalised_at = now() - interval '2 months' WHERE id = $1`, [fresh.id]);
    const updatedOnline = await cardIn(t.dataSource, CardState.Active);
    await t.dataSource.query(`UPDATE card SET personalised_at = now() - interval '20 months' WHERE id = $1`, [
      updatedOnline.id,
    ]);
    await t.dataSource.query(
      `UPDATE card_update_state SET data_updated_at = now() - interval '1 month' WHERE card_id = $1`,
      [updatedOnline.id],
    );
    const lyon = await cardIn(t.dataSource, CardState.Active, { organismeCode: LYON });
    await t.dataSource.query(`UPDATE card SET personalised_at = now() - interval '20 months' WHERE id = $1`, [lyon.id]);

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: { status: number; body: { items: Array<{ serial: string }>; next: string | null } } = await t
        .http()
        .get('/v1/cards/stale-updates')
        .query({ months: 12, limit: 2, ...(after ? { after } : {}) })
        .set(bearer(fund.key));
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((i: { serial: string }) => i.serial));
      after = res.body.next;
    } while (after);
    expect(seen.filter((s) => [...old, fresh.serial12, updatedOnline.serial12, lyon.serial12].includes(s))).toEqual(
      old,
    );
  });
});
