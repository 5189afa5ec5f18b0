import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { CardsService } from '../src/cards/cards.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { systemActor } from '../src/platform/auth/actor.js';
import { cardAuditEntries, cardIn, UNKNOWN_SERIAL } from './support/card-fixtures.js';
import { insertBeneficiary, makeNir } from './support/factories.js';
import { cardVersions, check, LYON, PARIS, putRecord, RECORDS } from './support/kiosk-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

/** The identity and organisme records of a card's chip come from the register, never from a fund (issue 10 §8). */
describe('chip identity and organisme records follow the register', () => {
  let t: TestApp;
  let fund: { id: string; key: string };
  let otherFund: { id: string; key: string };
  let kiosk: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    fund = await t.partner(PartnerKind.Fund, PARIS);
    otherFund = await t.partner(PartnerKind.Fund, LYON);
    kiosk = await t.partner(PartnerKind.Kiosk);
  });
  afterAll(async () => {
    await t?.close();
  });

  const record = async (
    cardId: string,
    type: string,
  ): Promise<{ content: Record<string, unknown>; version: number } | undefined> =>
    (
      await t.dataSource.query(
        `SELECT content, version FROM card_data_record WHERE card_id = $1 AND record_type = $2`,
        [cardId, type],
      )
    )[0];
  const registerAudit = async (serial12: string) =>
    (await cardAuditEntries(t.dataSource, serial12))
      .filter((e) => e.action === 'card.data_changed' && e.details.source === 'register')
      .map((e) => ({ recordType: e.details.recordType, version: e.details.version, actor: e.actor_kind }));

  it('funds cannot write them: 409 CARD_RECORD_FROM_REGISTER, whatever the content, the card or the fund; nothing written', async () => {
    const c = await cardIn(t.dataSource, CardState.Active, { organismeCode: PARIS });
    const before = await t.dataSource.query(
      `SELECT record_type, content, version FROM card_data_record WHERE card_id = $1 ORDER BY record_type`,
      [c.id],
    );
    const foreign = await insertBeneficiary(t.dataSource, { organismeCode: LYON });
    const hostile = [
      { nir: foreign.nir, firstName: 'J'.repeat(60), birthName: 'Martin', birthDate: '2999-01-01' },
      { nir: makeNir(), firstName: 'Jeanne', birthName: 'Martin', birthDate: '1985-05-14' },
      'not even an object',
    ];
    for (const content of hostile) {
      for (const [key, serial] of [
        [fund.key, c.serial12],
        [otherFund.key, c.serial12],
        [fund.key, UNKNOWN_SERIAL],
      ]) {
        const res = await putRecord(t, key, serial, 'identity', content);
        expect(res.status).toBe(409);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body).toMatchObject({ code: 'CARD_RECORD_FROM_REGISTER', recordType: 'identity' });
        expect(res.body.detail).toMatch(/PATCH \/v1\/beneficiaries\/\{id\}.*nir-change/);
      }
    }
    // Control and bidi characters are refused by the one JSON reader before any route sees the body.
    for (const content of [
      { nir: makeNir(), firstName: 'Jeanne\u0000', birthName: 'Martin' },
      { birthName: 'Martin\u202E' },
    ]) {
      const res = await putRecord(t, fund.key, c.serial12, 'identity', content);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('TEXT_NOT_PRINTABLE');
    }
    const org = await putRecord(t, fund.key, c.serial12, 'organisme', { code: LYON });
    expect(org.status).toBe(409);
    expect(org.body).toMatchObject({ code: 'CARD_RECORD_FROM_REGISTER', recordType: 'organisme' });
    expect(org.body.detail).toMatch(/mutations/);
    const noBody = await t.http().put(`/v1/cards/${c.serial12}/data/identity`).set(bearer(fund.key)).send({});
    expect(noBody.body.code).toBe('CARD_RECORD_FROM_REGISTER');
    expect(
      await t.dataSource.query(
        `SELECT record_type, content, version FROM card_data_record WHERE card_id = $1 ORDER BY record_type`,
        [c.id],
      ),
    ).toEqual(before);
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 2 });
  });

  it('a new card is issued with both (versions 1 and 2), already on the chip the vendor makes; a chip write in progress gets them again', async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS, usageName: 'DURAND' });
    const issued = await t.dataSource.transaction((em) =>
      t.app.get(CardsService).issue(em, systemActor(), { beneficiaryId: b.id, organismeCode: PARIS }),
    );
    expect(issued.dataVersion).toBe(2);
    expect(await record(issued.id, 'identity')).toEqual({
      version: 1,
      content: {
        nir: b.nir,
        firstName: b.firstName,
        birthName: b.birthName,
        usageName: 'DURAND',
        birthDate: b.birthDate,
        birthRank: 1,
      },
    });
    expect(await record(issued.id, 'organisme')).toEqual({
      version: 2,
      content: { code: PARIS, regimeCode: '01', caisseCode: '751', centreCode: '0001' },
    });
    const [state] = await t.dataSource.query(`SELECT target_version FROM card_update_state WHERE card_id = $1`, [
      issued.id,
    ]);
    expect(state.target_version).toBe(2);
    // Many at once (the order path), and by raw SQL: the database writes them whoever inserts the card.
    const others = await Promise.all([1, 2].map(() => insertBeneficiary(t.dataSource, { organismeCode: LYON })));
    const many = await t.dataSource.transaction((em) =>
      t.app.get(CardsService).issueMany(
        em,
        systemActor(),
        others.map((o) => ({ beneficiaryId: o.id, organismeCode: LYON })),
      ),
    );
    for (const [i, m] of many.entries()) {
      expect((await record(m.id, 'identity'))!.content.nir).toBe(others[i].nir);
      expect((await record(m.id, 'organisme'))!.content.code).toBe(LYON);
    }
    const raw = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: b.id, organismeCode: PARIS });
    expect((await record(raw.id, 'identity'))!.version).toBe(1);
    // Up to date for a kiosk reading version 2; a chip whose write was cut off is sent both again.
    expect((await check(t, kiosk.key, raw.serial12, 2)).body.action).toBe('nothing_to_do');
    const again = await check(t, kiosk.key, raw.serial12, 2, true);
    expect(again.body).toMatchObject({ action: 'update', fromVersion: 0, targetVersion: 2 });
    expect(again.body.records.map((r: { recordType: string }) => r.recordType)).toEqual(['identity', 'organisme']);
  });

  it('a change of names or birth date in the register rewrites the identity of every card in use (pending update), not of cards out of use', async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const active = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: b.id, organismeCode: PARIS });
    const ordered = await cardIn(t.dataSource, CardState.Ordered, { beneficiaryId: b.id, organismeCode: PARIS });
    const opposed = await cardIn(t.dataSource, CardState.Opposed, { beneficiaryId: b.id, organismeCode: PARIS });
    await putRecord(t, fund.key, active.serial12, 'coverage', RECORDS.coverage); // version 3
    const res = await t
      .http()
      .patch(`/v1/beneficiaries/${b.id}`)
      .set(bearer(fund.key))
      .send({ version: 1, firstName: 'Jeanne-Marie', usageName: 'Martin' })
      .expect(200);
    expect(res.body.firstName).toBe('JEANNE-MARIE');
    expect(await record(active.id, 'identity')).toMatchObject({
      version: 4,
      content: { nir: b.nir, firstName: 'JEANNE-MARIE', usageName: 'MARTIN' },
    });
    expect(await cardVersions(t.dataSource, active.serial12)).toEqual({ data_version: 2, target_version: 4 });
    expect((await record(ordered.id, 'identity'))!.content.firstName).toBe('JEANNE-MARIE');
    expect(await record(opposed.id, 'identity')).toBeUndefined();
    const updates = await t.http().get(`/v1/cards/${active.serial12}/updates`).set(bearer(fund.key)).expect(200);
    expect(updates.body).toMatchObject({
      confirmedVersion: 2,
      targetVersion: 4,
      pendingRecordTypes: ['identity', 'coverage'],
    });
    // The kiosk writes it at the next visit.
    const answer = await check(t, kiosk.key, active.serial12, 2);
    expect(
      answer.body.records.map((r: { recordType: string; version: number }) => `${r.recordType}@${r.version}`),
    ).toEqual(['identity@4', 'coverage@3']);
    expect(await registerAudit(active.serial12)).toEqual([{ recordType: 'identity', version: 4, actor: 'system' }]);
    // A change that leaves the chip's identity as it is (the address) rewrites nothing.
    await t
      .http()
      .patch(`/v1/beneficiaries/${b.id}`)
      .set(bearer(fund.key))
      .send({ version: 2, addressLines: ['1 RUE NEUVE', '75001 PARIS'] })
      .expect(200);
    expect(await cardVersions(t.dataSource, active.serial12)).toEqual({ data_version: 2, target_version: 4 });
  });

  it("is held by the database itself: a raw UPDATE of many beneficiaries (as a bulk import does) rewrites each one's cards", async () => {
    const people = await Promise.all([1, 2, 3].map(() => insertBeneficiary(t.dataSource, { organismeCode: PARIS })));
    const cards = await Promise.all(
      people.map((p) => cardIn(t.dataSource, CardState.Shipped, { beneficiaryId: p.id, organismeCode: PARIS })),
    );
    await t.dataSource.query(
      `UPDATE beneficiary SET birth_name = 'NOUVEAU', version = version + 1 WHERE id = ANY($1::uuid[])`,
      [people.slice(0, 2).map((p) => p.id)],
    );
    for (const [i, c] of cards.entries()) {
      const identity = (await record(c.id, 'identity'))!;
      expect(identity.content.birthName).toBe(i < 2 ? 'NOUVEAU' : people[i].birthName);
      expect(identity.version).toBe(i < 2 ? 3 : 1);
    }
    // A NIR changed by hand: the same.
    const nir = makeNir();
    await t.dataSource.query(`UPDATE beneficiary SET nir = $2 WHERE id = $1`, [people[2].id, nir]);
    expect(await record(cards[2].id, 'identity')).toMatchObject({ version: 3, content: { nir } });
  });

  it("a card that changes fund, or comes back in use after an opposition withdrawn, gets the register's records again", async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const c = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: b.id, organismeCode: PARIS });
    await t.dataSource.query(`UPDATE card SET organisme_code = $2 WHERE id = $1`, [c.id, LYON]);
    expect(await record(c.id, 'organisme')).toEqual({
      version: 3,
      content: { code: LYON, regimeCode: '01', caisseCode: '691', centreCode: '0001' },
    });
    expect((await record(c.id, 'identity'))!.version).toBe(1);
    // Opposed, its holder renamed meanwhile (an opposed card is not updated), then the opposition withdrawn.
    await t.dataSource.query(
      `UPDATE card SET state = 'opposed', opposition_reason = 'lost', previous_state = 'active' WHERE id = $1`,
      [c.id],
    );
    await t.dataSource.query(`UPDATE beneficiary SET first_name = 'LOUISE' WHERE id = $1`, [b.id]);
    expect((await record(c.id, 'identity'))!.content.firstName).toBe(b.firstName);
    await t.dataSource.query(
      `UPDATE card SET state = 'active', opposition_reason = NULL, previous_state = NULL WHERE id = $1`,
      [c.id],
    );
    expect(await record(c.id, 'identity')).toMatchObject({ version: 4, content: { firstName: 'LOUISE' } });
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 4 });
    expect(await registerAudit(c.serial12)).toEqual([
      { recordType: 'organisme', version: 3, actor: 'system' },
      { recordType: 'identity', version: 4, actor: 'system' },
    ]);
  });
});
