import { daysAfter } from '../src/emission/requests/request-rules.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { DomainError } from '../src/platform/errors/domain-error.js';
import { BeneficiariesService } from '../src/register/beneficiaries.service.js';
import { parisToday } from '../src/register/beneficiary-input.js';
import { BeneficiaryRepository } from '../src/register/beneficiary.repository.js';
import { MutationsService } from '../src/update/mutations.service.js';
import { cardIn } from './support/card-fixtures.js';
import { insertBeneficiary, makeNir } from './support/factories.js';
import { LYON, PARIS } from './support/kiosk-fixtures.js';
import { APPLY_DUE_CHUNKS_PER_CALL } from '../src/update/mutations.controller.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const addDays = daysAfter;

describe('mutations that keep the card (change of fund, ping-pong)', () => {
  let t: TestApp;
  let paris: { id: string; key: string };
  let lyon: { id: string; key: string };
  let kiosk: { id: string; key: string };
  const today = () => parisToday();

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    paris = await t.partner(PartnerKind.Fund, PARIS);
    lyon = await t.partner(PartnerKind.Fund, LYON);
    kiosk = await t.partner(PartnerKind.Kiosk);
  });
  afterAll(async () => {
    await t?.close();
  });

  const mutate = (key: string, id: string, body: Record<string, unknown>) =>
    t.http().post(`/v1/beneficiaries/${id}/mutations`).set(bearer(key)).send(body);
  const getBeneficiary = (key: string, id: string) => t.http().get(`/v1/beneficiaries/${id}`).set(bearer(key));
  const getCard = (key: string, serial: string) => t.http().get(`/v1/cards/${serial}`).set(bearer(key));
  const stats = async () =>
    (await t.http().get('/v1/mutations/stats').set(bearer(t.operatorKey))).body as {
      cardsKept: number;
      fundChanges: number;
      nirChanges: number;
      pending: number;
    };

  async function insuredWithCard(organismeCode = PARIS) {
    const b = await insertBeneficiary(t.dataSource, { organismeCode, affiliatedFrom: '2020-01-01' });
    const card = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: b.id, organismeCode });
    return { b, card };
  }

  it('moving an affiliation that would overlap another is refused by the register with AFFILIATION_OVERLAP, nothing written', async () => {
    const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS, affiliatedFrom: '2020-01-01' });
    const [{ id: affiliationId }] = await t.dataSource.query(
      `SELECT id::text AS id FROM affiliation WHERE beneficiary_id = $1`,
      [b.id],
    );
    // A stale view: the affiliation to close already ended on 2021-01-01, and a later one (2022-) is open.
    await t.dataSource.query(`UPDATE affiliation SET valid_to = '2021-01-01' WHERE id = $1`, [affiliationId]);
    await t.dataSource.query(
      `INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from) VALUES ($1, $2, '2022-01-01')`,
      [b.id, PARIS],
    );
    const register = t.app.get(BeneficiariesService);
    const moved = t.dataSource.transaction((em) =>
      register.moveAffiliationsIn(em, [{ affiliationId, beneficiaryId: b.id }], LYON, '2023-01-01'),
    );
    await expect(moved).rejects.toBeInstanceOf(DomainError);
    await expect(moved).rejects.toMatchObject({ code: 'AFFILIATION_OVERLAP', status: 409 });
    const rows = await t.dataSource.query(
      `SELECT organisme_code, valid_from::text AS f, valid_to::text AS t FROM affiliation WHERE beneficiary_id = $1 ORDER BY valid_from`,
      [b.id],
    );
    expect(rows).toEqual([
      { organisme_code: PARIS, f: '2020-01-01', t: '2021-01-01' },
      { organisme_code: PARIS, f: '2022-01-01', t: null },
    ]);
  });

  it('a NIR another beneficiary took meanwhile (past the check) is refused by the register with NIR_TAKEN, not a database error', async () => {
    const a = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
    const register = t.app.get(BeneficiaryRepository);
    const changed = t.dataSource.transaction((em) => register.updateNir(em, a.id, b.nir, false));
    await expect(changed).rejects.toBeInstanceOf(DomainError);
    await expect(changed).rejects.toMatchObject({ code: 'NIR_TAKEN', status: 409 });
  });

  it('ping-pong: there and back keeps one card and one serial; access follows the affiliation', async () => {
    const before = await stats();
    const { b, card } = await insuredWithCard();

    const out = await mutate(paris.key, b.id, { toOrganismeCode: LYON, effectiveDate: today() });
    expect(out.status).toBe(201);
    expect(out.body).toMatchObject({
      beneficiaryId: b.id,
      fromOrganisme: PARIS,
      toOrganisme: LYON,
      effectiveDate: today(),
      applied: true,
      cards: [{ cardId: card.id, serial: card.serial12 }],
    });

    // The old fund loses the insured and the card from the effective date; the new one gains them.
    expect((await getBeneficiary(paris.key, b.id)).status).toBe(404);
    expect((await getCard(paris.key, card.serial12)).status).toBe(404);
    expect((await getBeneficiary(lyon.key, b.id)).status).toBe(200);
    const seen = await getCard(lyon.key, card.serial12);
    expect(seen.status).toBe(200);

    // The organisme record is a pending online update for the kiosk.
    const updates = await t.http().get(`/v1/cards/${card.serial12}/updates`).set(bearer(lyon.key));
    expect(updates.status).toBe(200);
    expect(updates.body).toMatchObject({ confirmedVersion: 2, targetVersion: 3, pendingRecordTypes: ['organisme'] });
    const record = await t.http().get(`/v1/cards/${card.serial12}/data/organisme`).set(bearer(lyon.key));
    expect(record.body).toMatchObject({
      version: 3,
      content: { code: LYON, regimeCode: '01', caisseCode: '691', centreCode: '0001' },
    });

    // Both funds are told.
    const events = await t.dataSource.query(
      `SELECT organisme_code, type FROM fund_event WHERE subject_id = $1 ORDER BY id`,
      [b.id],
    );
    expect(events).toEqual([
      { organisme_code: PARIS, type: 'beneficiary.mutated_out' },
      { organisme_code: LYON, type: 'beneficiary.mutated_in' },
    ]);

    // The return: the new fund's affiliation started today, so the way back takes effect tomorrow.
    const back = await mutate(lyon.key, b.id, { toOrganismeCode: PARIS, effectiveDate: addDays(today(), 1) });
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ applied: false, cards: [{ cardId: card.id, serial: card.serial12 }] });
    expect((await t.app.get(MutationsService).applyDue(addDays(today(), 1))).applied).toBeGreaterThanOrEqual(1);

    const cards = await t.dataSource.query(
      `SELECT id, serial::text AS serial, organisme_code, state FROM card WHERE beneficiary_id = $1`,
      [b.id],
    );
    expect(cards).toEqual([{ id: card.id, serial: card.serial, organisme_code: PARIS, state: 'active' }]);
    const rec = await t.dataSource.query(
      `SELECT content, version FROM card_data_record WHERE card_id = $1 AND record_type = 'organisme'`,
      [card.id],
    );
    expect(rec).toEqual([
      {
        content: {
          code: PARIS,
          regimeCode: PARIS.slice(0, 2),
          caisseCode: PARIS.slice(2, 5),
          centreCode: PARIS.slice(5),
        },
        version: 4,
      },
    ]);
    const affs = await t.dataSource.query(
      `SELECT organisme_code, valid_from::text AS f, valid_to::text AS t FROM affiliation WHERE beneficiary_id = $1 ORDER BY valid_from`,
      [b.id],
    );
    expect(affs).toEqual([
      { organisme_code: PARIS, f: '2020-01-01', t: today() },
      { organisme_code: LYON, f: today(), t: addDays(today(), 1) },
      { organisme_code: PARIS, f: addDays(today(), 1), t: null },
    ]);
    const after = await stats();
    expect(after.cardsKept - before.cardsKept).toBe(2);
    expect(after.fundChanges - before.fundChanges).toBe(2);
  });

  it('a future-dated mutation leaves access unchanged until it is applied', async () => {
    const { b, card } = await insuredWithCard();
    const tomorrow = addDays(today(), 1);
    const res = await mutate(paris.key, b.id, { toOrganismeCode: LYON, effectiveDate: tomorrow });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ applied: false });

    expect((await getBeneficiary(paris.key, b.id)).status).toBe(200);
    expect((await getCard(paris.key, card.serial12)).status).toBe(200);
    expect((await getBeneficiary(lyon.key, b.id)).status).toBe(404);
    expect((await getCard(lyon.key, card.serial12)).status).toBe(404);
    expect(
      await t.dataSource.query(
        `SELECT record_type, version FROM card_data_record WHERE card_id = $1 ORDER BY version`,
        [card.id],
      ),
    ).toEqual([
      { record_type: 'identity', version: 1 },
      { record_type: 'organisme', version: 2 },
    ]);
    // A second change while one is pending is refused.
    const again = await mutate(paris.key, b.id, { toOrganismeCode: LYON, effectiveDate: addDays(today(), 5) });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('MUTATION_PENDING');
    // Not due today: the operator's run applies nothing for it.
    await t.http().post('/v1/mutations/apply-due').set(bearer(t.operatorKey)).send({});
    expect((await getCard(paris.key, card.serial12)).status).toBe(200);

    // Time passes: the dates move two days back (the old period first, so periods never overlap).
    await t.dataSource.query(
      `UPDATE affiliation SET valid_to = valid_to - 2 WHERE beneficiary_id = $1 AND organisme_code = $2`,
      [b.id, PARIS],
    );
    await t.dataSource.query(
      `UPDATE affiliation SET valid_from = valid_from - 2 WHERE beneficiary_id = $1 AND organisme_code = $2`,
      [b.id, LYON],
    );
    await t.dataSource.query(`UPDATE card_mutation SET effective_date = effective_date - 2 WHERE beneficiary_id = $1`, [
      b.id,
    ]);
    const run = await t.http().post('/v1/mutations/apply-due').set(bearer(t.operatorKey)).send({});
    expect(run.status).toBe(200);
    expect(run.body.applied).toBeGreaterThanOrEqual(1);

    expect((await getBeneficiary(paris.key, b.id)).status).toBe(404);
    expect((await getCard(paris.key, card.serial12)).status).toBe(404);
    expect((await getBeneficiary(lyon.key, b.id)).status).toBe(200);
    expect((await getCard(lyon.key, card.serial12)).status).toBe(200);
    const updates = await t.http().get(`/v1/cards/${card.serial12}/updates`).set(bearer(lyon.key));
    expect(updates.body.pendingRecordTypes).toEqual(['organisme']);
    const audit = await t.dataSource.query(`SELECT action FROM audit_entry WHERE entity_id IN ($1, $2) ORDER BY id`, [
      b.id,
      card.id,
    ]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining([
        'beneficiary.mutation_recorded',
        'beneficiary.mutation_applied',
        'card.organisme_changed',
        'card.data_changed',
      ]),
    );
  });

  it('refusals write nothing', async () => {
    const { b, card } = await insuredWithCard();
    const cases: Array<[string, Record<string, unknown>, number, string | null]> = [
      [lyon.key, { toOrganismeCode: LYON, effectiveDate: today() }, 404, 'BENEFICIARY_NOT_FOUND'],
      [paris.key, { toOrganismeCode: PARIS, effectiveDate: today() }, 422, 'MUTATION_SAME_ORGANISME'],
      [paris.key, { toOrganismeCode: '099999999', effectiveDate: today() }, 422, 'ORGANISME_UNKNOWN'],
      [paris.key, { toOrganismeCode: LYON, effectiveDate: addDays(today(), -1) }, 422, 'MUTATION_DATE_INVALID'],
      [paris.key, { toOrganismeCode: LYON, effectiveDate: '2030-02-30' }, 422, 'MUTATION_DATE_INVALID'],
      [paris.key, { toOrganismeCode: '12', effectiveDate: today() }, 400, null],
      [paris.key, { toOrganismeCode: LYON }, 400, null],
      [kiosk.key, { toOrganismeCode: LYON, effectiveDate: today() }, 403, null],
    ];
    for (const [key, body, status, code] of cases) {
      const res = await mutate(key, b.id, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      if (code) expect(res.body.code).toBe(code);
    }
    const unknown = await mutate(paris.key, '00000000-0000-4000-8000-000000000000', {
      toOrganismeCode: LYON,
      effectiveDate: today(),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('BENEFICIARY_NOT_FOUND');
    const malformed = await mutate(paris.key, 'not-a-uuid', { toOrganismeCode: LYON, effectiveDate: today() });
    expect(malformed.status).toBe(404);

    // An affiliation that started today cannot end today.
    const fresh = await insertBeneficiary(t.dataSource, { organismeCode: PARIS, affiliatedFrom: today() });
    const same = await mutate(paris.key, fresh.id, { toOrganismeCode: LYON, effectiveDate: today() });
    expect(same.status).toBe(422);
    expect(same.body.code).toBe('MUTATION_DATE_INVALID');

    for (const id of [b.id, fresh.id]) {
      expect(
        await t.dataSource.query(`SELECT organisme_code, valid_to FROM affiliation WHERE beneficiary_id = $1`, [id]),
      ).toEqual([{ organisme_code: PARIS, valid_to: null }]);
      expect(await t.dataSource.query(`SELECT 1 FROM card_mutation WHERE beneficiary_id = $1`, [id])).toEqual([]);
      expect(
        await t.dataSource.query(
          `SELECT 1 FROM audit_entry WHERE entity_id = $1 AND action LIKE 'beneficiary.mutation%'`,
          [id],
        ),
      ).toEqual([]);
      expect(await t.dataSource.query(`SELECT 1 FROM fund_event WHERE subject_id = $1`, [id])).toEqual([]);
    }
    expect(await t.dataSource.query(`SELECT organisme_code FROM card WHERE id = $1`, [card.id])).toEqual([
      { organisme_code: PARIS },
    ]);
  });

  it("an operator's apply-due stays short: past a few chunks it answers continuing and the job carries on", async () => {
    const size = MutationsService.applyChunkSize;
    MutationsService.applyChunkSize = 1;
    try {
      const n = APPLY_DUE_CHUNKS_PER_CALL + 4;
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS });
        await cardIn(t.dataSource, CardState.Active, { beneficiaryId: b.id, organismeCode: PARIS });
        expect(
          (await mutate(paris.key, b.id, { toOrganismeCode: LYON, effectiveDate: addDays(today(), 1) })).status,
        ).toBe(201);
        ids.push(b.id);
      }
      // All due today at once: as in "time passes" above.
      await t.dataSource.query(
        `UPDATE affiliation SET valid_to = valid_to - 1 WHERE beneficiary_id = ANY($1::uuid[]) AND organisme_code = $2`,
        [ids, PARIS],
      );
      await t.dataSource.query(
        `UPDATE affiliation SET valid_from = valid_from - 1 WHERE beneficiary_id = ANY($1::uuid[]) AND organisme_code = $2`,
        [ids, LYON],
      );
      await t.dataSource.query(
        `UPDATE card_mutation SET effective_date = effective_date - 1 WHERE beneficiary_id = ANY($1::uuid[])`,
        [ids],
      );
      // Two runs at once (the job and an operator): their chunks take turns, each mutation is applied once.
      const both = await Promise.all([
        t.app.get(MutationsService).applyDue(undefined, undefined, 1),
        t.app.get(MutationsService).applyDue(undefined, undefined, 1),
      ]);
      expect(both.map((r) => r.applied)).toEqual([1, 1]);
      expect(
        (
          await t.dataSource.query(
            `SELECT count(*)::int AS n FROM card_mutation WHERE beneficiary_id = ANY($1::uuid[]) AND applied_at IS NOT NULL`,
            [ids],
          )
        )[0].n,
      ).toBe(2);
      const jobs = async () =>
        (
          await t.dataSource.query(
            `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'update.apply-due-mutations'`,
          )
        )[0].n as number;
      const before = await jobs();
      const first = await t.http().post('/v1/mutations/apply-due').set(bearer(t.operatorKey)).send({});
      expect(first.body).toEqual({ applied: APPLY_DUE_CHUNKS_PER_CALL, continuing: true });
      expect(await jobs()).toBe(before + 1);
      // What the job does (workers are off in this file): the rest, then nothing is left.
      expect(await t.app.get(MutationsService).applyDue()).toEqual({ applied: 2, continuing: false });
      const last = await t.http().post('/v1/mutations/apply-due').set(bearer(t.operatorKey)).send({});
      expect(last.body).toEqual({ applied: 0, continuing: false });
    } finally {
      MutationsService.applyChunkSize = size;
    }
  });

  it("a fund's call applies only its own insured's due mutations, never the whole system's, inside its request", async () => {
    const tomorrow = addDays(today(), 1);
    const others: string[] = [];
    for (let i = 0; i < 3; i++) {
      const o = await insuredWithCard();
      expect((await mutate(paris.key, o.b.id, { toOrganismeCode: LYON, effectiveDate: tomorrow })).status).toBe(201);
      others.push(o.b.id);
    }
    const { b, card } = await insuredWithCard();
    expect((await mutate(paris.key, b.id, { toOrganismeCode: LYON, effectiveDate: tomorrow })).status).toBe(201);
    // A day passes and the hourly job has not run yet: every one of these changes is due, none applied.
    const all = [...others, b.id];
    await t.dataSource.query(
      `UPDATE affiliation SET valid_to = valid_to - 1 WHERE beneficiary_id = ANY($1::uuid[]) AND organisme_code = $2`,
      [all, PARIS],
    );
    await t.dataSource.query(
      `UPDATE affiliation SET valid_from = valid_from - 1 WHERE beneficiary_id = ANY($1::uuid[]) AND organisme_code = $2`,
      [all, LYON],
    );
    await t.dataSource.query(
      `UPDATE card_mutation SET effective_date = effective_date - 1 WHERE beneficiary_id = ANY($1::uuid[])`,
      [all],
    );
    const pending = async (ids: string[]) =>
      (
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM card_mutation WHERE beneficiary_id = ANY($1::uuid[]) AND applied_at IS NULL`,
          [ids],
        )
      )[0].n;
    expect(await pending(all)).toBe(4);

    // The new fund sends the insured back: its own due change is applied first (no MUTATION_PENDING), the others' wait for the job.
    const back = await mutate(lyon.key, b.id, { toOrganismeCode: PARIS, effectiveDate: tomorrow });
    expect(back.status).toBe(201);
    expect(back.body).toMatchObject({ fromOrganisme: LYON, applied: false, cards: [{ cardId: card.id }] });
    expect(
      (await t.dataSource.query(`SELECT organisme_code FROM card WHERE id = $1`, [card.id]))[0].organisme_code,
    ).toBe(LYON);
    expect(await pending(others)).toBe(3);
    expect(await pending([b.id])).toBe(1); // the way back, due tomorrow
    // The job's run applies the others.
    await t.app.get(MutationsService).applyDue();
    expect(await pending(others)).toBe(0);
  });

  it('an operator may record the change; stats and apply-due are for operators only', async () => {
    const before = await stats();
    const b = await insertBeneficiary(t.dataSource, { organismeCode: PARIS, affiliatedFrom: '2021-03-01' });
    const res = await mutate(t.operatorKey, b.id, { toOrganismeCode: LYON, effectiveDate: today() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ applied: true, cards: [] });
    const after = await stats();
    expect(after.cardsKept).toBe(before.cardsKept); // no card to keep
    expect((await t.http().get('/v1/mutations/stats').set(bearer(paris.key))).status).toBe(403);
    expect((await t.http().post('/v1/mutations/apply-due').set(bearer(paris.key)).send({})).status).toBe(403);
  });

  it('a NIR change (temporary to definitive) keeps the card and rewrites its identity record', async () => {
    const before = await stats();
    const temporary = makeNir(`8${makeNir().slice(1, 13)}`);
    const b = await insertBeneficiary(t.dataSource, { nir: temporary, organismeCode: PARIS });
    const card = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: b.id, organismeCode: PARIS });
    const other = await insertBeneficiary(t.dataSource, { organismeCode: LYON });
    const change = (key: string, newNir: string, id = b.id) =>
      t.http().post(`/v1/beneficiaries/${id}/nir-change`).set(bearer(key)).send({ newNir });

    // Refusals write nothing.
    const definitive = makeNir();
    const refused: Array<[string, string, number, string]> = [
      [lyon.key, definitive, 404, 'BENEFICIARY_NOT_FOUND'],
      [paris.key, `${definitive.slice(0, 13)}${definitive.slice(13) === '01' ? '02' : '01'}`, 422, 'NIR_KEY_MISMATCH'],
      [paris.key, temporary, 422, 'NIR_UNCHANGED'],
      [paris.key, makeNir(undefined, '1990-01-01'), 422, 'NIR_BIRTH_DATE_MISMATCH'],
      [paris.key, other.nir, 409, 'NIR_TAKEN'],
    ];
    for (const [key, nir, status, code] of refused) {
      const res = await change(key, nir);
      expect(res.status, code).toBe(status);
      expect(res.body.code).toBe(code);
    }
    expect(await t.dataSource.query(`SELECT nir, nir_temporary FROM beneficiary WHERE id = $1`, [b.id])).toEqual([
      { nir: temporary, nir_temporary: true },
    ]);
    expect(
      await t.dataSource.query(
        `SELECT record_type, version FROM card_data_record WHERE card_id = $1 ORDER BY version`,
        [card.id],
      ),
    ).toEqual([
      { record_type: 'identity', version: 1 },
      { record_type: 'organisme', version: 2 },
    ]);
    expect(await t.dataSource.query(`SELECT 1 FROM card_mutation WHERE beneficiary_id = $1`, [b.id])).toEqual([]);

    const res = await change(paris.key, definitive.replace(/^(.{2})/, '$1 '));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      beneficiaryId: b.id,
      nirTemporary: false,
      cards: [{ cardId: card.id, serial: card.serial12 }],
    });
    expect(await t.dataSource.query(`SELECT nir, nir_temporary FROM beneficiary WHERE id = $1`, [b.id])).toEqual([
      { nir: definitive, nir_temporary: false },
    ]);
    expect(
      await t.dataSource.query(`SELECT id, serial::text AS serial FROM card WHERE beneficiary_id = $1`, [b.id]),
    ).toEqual([{ id: card.id, serial: card.serial }]);
    const updates = await t.http().get(`/v1/cards/${card.serial12}/updates`).set(bearer(paris.key));
    expect(updates.body).toMatchObject({ targetVersion: 3, pendingRecordTypes: ['identity'] });
    const identity = await t.http().get(`/v1/cards/${card.serial12}/data/identity`).set(bearer(paris.key));
    expect(identity.body.content).toMatchObject({
      nir: definitive,
      firstName: b.firstName,
      birthName: b.birthName,
      birthDate: b.birthDate,
    });
    // The managing fund is told, without the number.
    const events = await t.dataSource.query(
      `SELECT organisme_code, data FROM fund_event WHERE type = 'beneficiary.nir_changed' AND subject_id = $1`,
      [b.id],
    );
    expect(events).toEqual([
      { organisme_code: PARIS, data: { beneficiaryId: b.id, nirTemporary: false, cardIds: [card.id] } },
    ]);
    expect(JSON.stringify(events)).not.toContain(definitive);
    const audit = await t.dataSource.query(`SELECT action, details FROM audit_entry WHERE entity_id = $1`, [b.id]);
    expect(audit.map((a: { action: string }) => a.action)).toContain('beneficiary.nir_changed');
    expect(JSON.stringify(audit)).not.toContain(definitive);

    // A correction later: the identity record is rewritten again (new version), still the same card.
    const corrected = makeNir();
    expect((await change(paris.key, corrected)).status).toBe(201);
    const again = await t.http().get(`/v1/cards/${card.serial12}/updates`).set(bearer(paris.key));
    expect(again.body).toMatchObject({ targetVersion: 4, pendingRecordTypes: ['identity'] });
    expect(
      (await t.http().get(`/v1/cards/${card.serial12}/data/identity`).set(bearer(paris.key))).body.content.nir,
    ).toBe(corrected);

    const after = await stats();
    expect(after.nirChanges - before.nirChanges).toBe(2);
    expect(after.cardsKept - before.cardsKept).toBe(2);
  });
});
