import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { OwnCardsService } from '../src/emission/requests/own-cards.service.js';
import { daysAfter, yearsBefore } from '../src/emission/requests/request-rules.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { RegisterClock } from '../src/register/register-clock.js';
import { cardIn } from './support/card-fixtures.js';
import { giveCardKeys } from './support/card-key-fixtures.js';
import { insertBeneficiary } from './support/factories.js';
import { attachSql, insertDependant, storedRecord } from './support/family-fixtures.js';
import { cardVersions, LYON, PARIS } from './support/kiosk-fixtures.js';
import { ORG_MSA, requestReadyToOrder } from './support/order-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

/** A card of one's own (issue 13 item 4): automatically at 16, on a parent's fund's request from 12. */
describe('own cards for dependants', () => {
  let t: TestApp;
  let today: string;
  let paris: { id: string; key: string };
  let lyon: { id: string; key: string };
  let operator: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false, ownCardLeadDays: 42 });
    today = t.app.get(RegisterClock).today();
    paris = await t.partner(PartnerKind.Fund, PARIS);
    lyon = await t.partner(PartnerKind.Fund, LYON);
    operator = await t.partner(PartnerKind.Operator);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Born so as to be `age` in `inDays` days (negative: that many days ago). */
  const bornToBe = (age: number, inDays: number) => yearsBefore(daysAfter(today, inDays), age);
  const requestsOf = (beneficiaryId: string) =>
    t.dataSource.query(
      `SELECT organisme_code, origin, status::text, reason::text FROM card_request WHERE beneficiary_id = $1 ORDER BY created_at`,
      [beneficiaryId],
    );

  it('the daily job opens one request per young person reaching 16, under the first parent’s fund, even with two instances at once, and never again', async () => {
    const mother = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const father = await insertBeneficiary(t.dataSource, { organismeCode: ORG_MSA });
    const soon = await insertDependant(t.dataSource, { birthDate: bornToBe(16, 10) });
    const late = await insertDependant(t.dataSource, { birthDate: bornToBe(16, -30) }); // 16 a month ago, still attached
    const onlyFather = await insertDependant(t.dataSource, { birthDate: bornToBe(16, 41) });
    const tooFar = await insertDependant(t.dataSource, { birthDate: bornToBe(16, 43) });
    const young = await insertDependant(t.dataSource, { birthDate: bornToBe(10, 0) });
    const withRequest = await insertDependant(t.dataSource, { birthDate: bornToBe(16, 5) });
    // The father attached first for `soon`? No: the mother (2015) before the father (2016).
    await attachSql(t.dataSource, soon.id, father.id, { from: '2016-01-01' });
    await attachSql(t.dataSource, soon.id, mother.id, { from: '2015-01-01' });
    await attachSql(t.dataSource, late.id, mother.id);
    await attachSql(t.dataSource, onlyFather.id, father.id);
    for (const d of [tooFar, young, withRequest]) await attachSql(t.dataSource, d.id, mother.id);
    // A parent's fund already asked for one: the job leaves it alone.
    const asked = await t
      .http()
      .post('/v1/card-requests')
      .set(bearer(paris.key))
      .send({ beneficiaryId: withRequest.id, reason: 'first_card' });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);

    // Two instances run the job at the same moment (each its own connections and transactions).
    const jobs = t.app.get(OwnCardsService);
    const runs = await Promise.all([jobs.run(), jobs.run()]);
    expect(runs.reduce((n, r) => n + r.opened, 0)).toBe(3);

    expect(await requestsOf(soon.id)).toEqual([
      { organisme_code: PARIS, origin: 'sixteenth_birthday', status: 'form_sent', reason: 'first_card' },
    ]);
    expect(await requestsOf(late.id)).toEqual([expect.objectContaining({ organisme_code: PARIS })]);
    expect(await requestsOf(onlyFather.id)).toEqual([expect.objectContaining({ organisme_code: ORG_MSA })]);
    expect(await requestsOf(tooFar.id)).toEqual([]);
    expect(await requestsOf(young.id)).toEqual([]);
    expect(await requestsOf(withRequest.id)).toEqual([expect.objectContaining({ origin: 'fund' })]);
    // The fund is told (request.form_sent), the form goes to the young person's own address, and the request is the fund's to see.
    const [req] = await t.dataSource.query(
      `SELECT id FROM card_request WHERE beneficiary_id = $1 AND origin = 'sixteenth_birthday'`,
      [soon.id],
    );
    const events = await t.dataSource.query(
      `SELECT organisme_code FROM fund_event WHERE type = 'request.form_sent' AND subject_id = $1`,
      [req.id],
    );
    expect(events).toEqual([{ organisme_code: PARIS }]);
    const seen = await t.http().get(`/v1/card-requests/${req.id}`).set(bearer(paris.key));
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ origin: 'sixteenth_birthday', status: 'form_sent', beneficiaryId: soon.id });
    expect((await t.http().get(`/v1/card-requests/${req.id}`).set(bearer(lyon.key))).status).toBe(404);

    // Cancelled by the fund: the job does not open it again (once per young person, ever).
    await t.http().post(`/v1/card-requests/${req.id}/cancel`).set(bearer(paris.key)).expect(200);
    expect((await jobs.run()).opened).toBe(0);
    // Operators may run it now over HTTP (funds may not): the same rule holds.
    const now = await t.http().post('/v1/card-requests/own-cards/run').set(bearer(operator.key));
    expect(now.status).toBe(200);
    expect(now.body).toEqual({ opened: 0, skipped: 0 });
    expect((await t.http().post('/v1/card-requests/own-cards/run').set(bearer(paris.key))).status).toBe(403);
    expect(await requestsOf(soon.id)).toHaveLength(1);
    // The database holds the rule, whoever writes: a second job request for the same person is refused.
    await expect(
      t.dataSource.query(
        `INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, reminder_due_at, expires_at, origin)
         VALUES ('99999997', $1, $2, 'first_card', 'form_sent', now(), now(), 'sixteenth_birthday')`,
        [soon.id, PARIS],
      ),
    ).rejects.toMatchObject({ constraint: 'card_request_sixteenth_birthday_once' });
  });

  it('from 12 a parent’s fund opens one on request; younger, another fund, or an insured under 16 of their own: refused', async () => {
    const parent = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const thirteen = await insertDependant(t.dataSource, { birthDate: bornToBe(13, -1) });
    const eleven = await insertDependant(t.dataSource, { birthDate: bornToBe(12, 1) });
    for (const d of [thirteen, eleven]) await attachSql(t.dataSource, d.id, parent.id);
    const ask = (key: string, beneficiaryId: string) =>
      t.http().post('/v1/card-requests').set(bearer(key)).send({ beneficiaryId, reason: 'first_card' });

    const other = await ask(lyon.key, thirteen.id);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('BENEFICIARY_NOT_FOUND');
    const tooYoung = await ask(paris.key, eleven.id);
    expect(tooYoung.status).toBe(422);
    expect(tooYoung.body).toMatchObject({ code: 'REQUEST_TOO_YOUNG', minAge: 12 });
    const ok = await ask(paris.key, thirteen.id);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ origin: 'fund', organismeCode: PARIS, status: 'form_sent' });
    expect(ok.body.photoUploadLink).toEqual(expect.any(String));
    // An insured of 14 with their own affiliation (no parent): the rule for a card of one's own is unchanged.
    const insured = await insertBeneficiary(t.dataSource, { organismeCode: PARIS, birthDate: bornToBe(14, 0) });
    const refused = await ask(paris.key, insured.id);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'REQUEST_TOO_YOUNG', minAge: 16 });
  });

  it('a young person’s own card is ordered under the fund of a parent who carries them, not under another fund', async () => {
    const parent = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const teen = await insertDependant(t.dataSource, { birthDate: bornToBe(16, -3) });
    await attachSql(t.dataSource, teen.id, parent.id);
    const order = (key: string, requestId: string) =>
      t.http().post(`/v1/card-requests/${requestId}/order`).set(bearer(key)).send({});
    // Under Lyon, which carries no parent of theirs: refused, as for anyone not affiliated there.
    const elsewhere = await requestReadyToOrder(t, { organismeCode: LYON, beneficiary: teen });
    const refused = await order(lyon.key, elsewhere.requestId);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ORDER_NOT_AFFILIATED');
    await t.dataSource.query(`UPDATE card_request SET status = 'cancelled' WHERE id = $1`, [elsewhere.requestId]);
    // Under Paris, the parent's fund: ordered, though the young person has no affiliation of their own yet.
    const mine = await requestReadyToOrder(t, { organismeCode: PARIS, beneficiary: teen });
    const ordered = await order(paris.key, mine.requestId);
    expect(ordered.status, JSON.stringify(ordered.body)).toBe(200);
    expect(await t.dataSource.query(`SELECT 1 FROM affiliation WHERE beneficiary_id = $1`, [teen.id])).toHaveLength(0);
  });

  it('the own card becoming active takes the young person off both parents’ cards (pending updates) and makes them an insured, NIR kept', async () => {
    const mother = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const father = await insertBeneficiary(t.dataSource, { organismeCode: ORG_MSA });
    const cards = [];
    for (const p of [mother, father]) {
      const c = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: p.id, organismeCode: p.organismeCode });
      await giveCardKeys(t.dataSource, c.id);
      cards.push(c);
    }
    const teen = await insertDependant(t.dataSource, { birthDate: bornToBe(16, -2) });
    const sibling = await insertDependant(t.dataSource, { birthDate: bornToBe(9, 0) });
    for (const p of [mother, father]) {
      await attachSql(t.dataSource, teen.id, p.id);
      await attachSql(t.dataSource, sibling.id, p.id);
    }
    const before = await Promise.all(cards.map((c) => storedRecord(t.dataSource, c.id, 'dependants')));
    for (const r of before) expect((r!.content as unknown[]).length).toBe(2);

    // The young person's own card, shipped, is activated (an operator here; the vendor's return file likewise).
    const own = await cardIn(t.dataSource, CardState.Shipped, { beneficiaryId: teen.id, organismeCode: PARIS });
    const res = await t
      .http()
      .post(`/v1/cards/${own.serial12}/transitions`)
      .set(bearer(operator.key))
      .send({ action: 'activate' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);

    for (const [i, c] of cards.entries()) {
      const after = (await storedRecord(t.dataSource, c.id, 'dependants')) as {
        content: Array<{ identity: { nir: string } }>;
        version: number;
      };
      expect(after.content.map((d) => d.identity.nir)).toEqual([sibling.nir]);
      expect(after.version).toBeGreaterThan(before[i]!.version);
      const v = await cardVersions(t.dataSource, c.serial12);
      expect(v.target_version).toBe(after.version);
      expect(v.data_version).toBeLessThan(v.target_version); // a pending update, for the next kiosk
    }
    const attachments = await t.dataSource.query(
      `SELECT to_char(valid_to, 'YYYY-MM-DD') AS valid_to FROM attachment WHERE dependant_id = $1`,
      [teen.id],
    );
    expect(attachments).toEqual([{ valid_to: today }, { valid_to: today }]);
    expect(
      await t.dataSource.query(
        `SELECT organisme_code, to_char(valid_from, 'YYYY-MM-DD') AS valid_from FROM affiliation WHERE beneficiary_id = $1`,
        [teen.id],
      ),
    ).toEqual([{ organisme_code: PARIS, valid_from: today }]);
    const ended = await t.dataSource.query(
      `SELECT details->>'reason' AS reason FROM audit_entry WHERE action = 'attachment.ended' AND entity_id = $1`,
      [teen.id],
    );
    expect(ended).toEqual([{ reason: 'own_card_active' }, { reason: 'own_card_active' }]);
    // Now an insured of the fund in their own right, with the same NIR.
    const seen = await t.http().get(`/v1/beneficiaries/${teen.id}`).set(bearer(paris.key));
    expect(seen.status).toBe(200);
    expect(seen.body.nir).toBe(teen.nir);
    // The sibling stays on both cards; activating an adult's card touches no family.
    const adult = await cardIn(t.dataSource, CardState.Shipped, { organismeCode: LYON });
    await t
      .http()
      .post(`/v1/cards/${adult.serial12}/transitions`)
      .set(bearer(operator.key))
      .send({ action: 'activate' })
      .expect(200);
    expect(
      (
        await t.dataSource.query(`SELECT count(*)::int AS n FROM affiliation WHERE beneficiary_id = $1`, [
          adult.beneficiaryId,
        ])
      )[0].n,
    ).toBe(1);
  });
});
