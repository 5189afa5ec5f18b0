import { daysAfter } from '../src/emission/requests/request-rules.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { parisToday } from '../src/register/beneficiary-input.js';
import { RegisterClock } from '../src/register/register-clock.js';
import { RegimeTransfersService } from '../src/update/regime-transfers.service.js';
import { cardIn } from './support/card-fixtures.js';
import { insertBeneficiary, makeNir } from './support/factories.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const CPAM_PARIS = '017510001';
const CPAM_LYON = '016910001';
const MSA = '020110001';
const SNCF = '047510001';

const addDays = daysAfter;
const today = () => parisToday();

/** Families in the register over real HTTP and PostgreSQL: attachments, births, the tenant rule, mutations. */
describe('families: dependants attached to insured parents', () => {
  let t: TestApp;
  let paris: Record<string, string>;
  let lyon: Record<string, string>;
  let msa: Record<string, string>;
  let sncf: Record<string, string>;
  let op: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    paris = bearer((await t.partner(PartnerKind.Fund, CPAM_PARIS)).key);
    lyon = bearer((await t.partner(PartnerKind.Fund, CPAM_LYON)).key);
    msa = bearer((await t.partner(PartnerKind.Fund, MSA)).key);
    sncf = bearer((await t.partner(PartnerKind.Fund, SNCF)).key);
    op = bearer(t.operatorKey);
  });
  afterAll(async () => {
    await t?.close();
  });

  const parent = (organismeCode: string) => insertBeneficiary(t.dataSource, { organismeCode });
  const birth = (headers: Record<string, string>, body: Record<string, unknown>) =>
    t.http().post('/v1/births').set(headers).send(body);
  const child = (overrides: Record<string, unknown> = {}) => ({
    firstName: 'Léa',
    birthName: 'Durand',
    birthDate: addDays(today(), -2),
    ...overrides,
  });
  const dependant = (headers: Record<string, string>, id: string) => t.http().get(`/v1/dependants/${id}`).set(headers);
  const eventsOf = (subjectId: string) =>
    t.dataSource.query(`SELECT organisme_code, type, data FROM fund_event WHERE subject_id = $1 ORDER BY id`, [
      subjectId,
    ]);
  const COVERAGE = [{ aldDigit: 0, situation: '0100' }];

  it('twins attached to two parents in two regimes: only those funds see them, each its own attachment', async () => {
    const mother = await parent(CPAM_PARIS);
    const father = await parent(MSA);
    const born = addDays(today(), -1);
    const twins = [];
    for (const rank of [1, 2]) {
      const res = await birth(paris, {
        child: child({ firstName: rank === 1 ? 'Léa' : 'Lou', birthDate: born, birthRank: rank }),
        parents: [{ nir: mother.nir }, { nir: father.nir }],
        coverage: COVERAGE,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.headers.location).toBe(`/v1/dependants/${res.body.id}`);
      expect(res.body).toMatchObject({
        nir: null,
        firstName: rank === 1 ? 'LÉA' : 'LOU',
        birthName: 'DURAND',
        birthDate: born,
        birthRank: rank,
        addressLines: mother.addressLines,
        otherParents: 1,
      });
      expect(res.body.attachments).toEqual([
        expect.objectContaining({
          parentId: mother.id,
          validFrom: born,
          validTo: null,
          current: true,
          coverage: COVERAGE,
        }),
      ]);
      twins.push(res.body);
    }

    // The mother's fund (CPAM) and the father's (MSA, another regime) both reach the twins, each through its insured.
    for (const twin of twins) {
      const fromParis = await dependant(paris, twin.id).expect(200);
      expect(fromParis.body.attachments.map((a: { parentId: string }) => a.parentId)).toEqual([mother.id]);
      const fromMsa = await dependant(msa, twin.id).expect(200);
      expect(fromMsa.body.attachments).toEqual([
        expect.objectContaining({ parentId: father.id, current: true, coverage: [], aldPeriods: [] }),
      ]);
      expect(fromMsa.body.otherParents).toBe(1);
      // Any other fund: the same 404 as an id that does not exist.
      const fromLyon = await dependant(lyon, twin.id);
      const unknown = await dependant(lyon, '6f1c1b1e-8a53-4a1e-9b43-2d7f3c9a0e55');
      expect(fromLyon.status).toBe(404);
      expect(fromLyon.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(fromLyon.body.code).toBe('DEPENDANT_NOT_FOUND');
      expect(fromLyon.body.detail ?? fromLyon.body.message).toBe(unknown.body.detail ?? unknown.body.message);
      // An operator reaches every family.
      expect((await dependant(op, twin.id).expect(200)).body.attachments).toHaveLength(2);
    }

    // Each parent's list, from each parent's fund only.
    const motherList = await t.http().get(`/v1/beneficiaries/${mother.id}/dependants`).set(paris).expect(200);
    expect(motherList.body.items.map((i: any) => [i.dependant.birthRank, i.attachment.current])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(
      (await t.http().get(`/v1/beneficiaries/${father.id}/dependants`).set(msa).expect(200)).body.items,
    ).toHaveLength(2);
    expect((await t.http().get(`/v1/beneficiaries/${mother.id}/dependants`).set(msa)).status).toBe(404);

    // The father's fund writes the rights its regime gives; the mother's fund cannot touch that attachment.
    const fatherAttachment = (await dependant(msa, twins[0].id)).body.attachments[0].id;
    const rights = { coverage: [{ aldDigit: 2, situation: '0200' }], aldPeriods: [] };
    expect((await t.http().put(`/v1/attachments/${fatherAttachment}/rights`).set(paris).send(rights)).status).toBe(404);
    const set = await t.http().put(`/v1/attachments/${fatherAttachment}/rights`).set(msa).send(rights).expect(200);
    expect(set.body).toMatchObject({ parentId: father.id, coverage: rights.coverage });

    // A third parent is refused by the database (the family trigger), answered as the register's error.
    const third = await parent(CPAM_PARIS);
    const refused = await t
      .http()
      .post(`/v1/beneficiaries/${third.id}/dependants`)
      .set(paris)
      .send({ dependantId: twins[0].id });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('ATTACHMENT_TWO_PARENTS');
    // Another fund cannot even name them.
    const other = await parent(CPAM_LYON);
    const blind = await t
      .http()
      .post(`/v1/beneficiaries/${other.id}/dependants`)
      .set(lyon)
      .send({ dependantId: twins[0].id });
    expect(blind.status).toBe(404);
    expect(blind.body.code).toBe('DEPENDANT_NOT_FOUND');

    // Each parent's fund was told, once per twin; the events carry ids, never a NIR or a name.
    for (const twin of twins) {
      const events = await eventsOf(twin.id);
      expect(events.map((e: { organisme_code: string; type: string }) => [e.organisme_code, e.type])).toEqual([
        [CPAM_PARIS, 'dependant.birth_declared'],
        [MSA, 'dependant.birth_declared'],
      ]);
      expect(JSON.stringify(events)).not.toMatch(/LÉA|LOU|DURAND/);
    }
    // Reads are audited.
    const reads = await t.dataSource.query(
      `SELECT organisme_code FROM audit_entry WHERE action = 'dependant.read' AND entity_id = $1`,
      [twins[0].id],
    );
    expect(reads.length).toBeGreaterThanOrEqual(4);
  });

  it('refuses what is wrong with problem+json and stable codes, writing nothing', async () => {
    const mother = await parent(CPAM_PARIS);
    const father = await parent(MSA);
    const stranger = makeNir();
    const before = await t.dataSource.query(
      `SELECT (SELECT count(*) FROM beneficiary) b, (SELECT count(*) FROM attachment) a`,
    );
    const cases: Array<[Record<string, string>, Record<string, unknown>, number, string, string?]> = [
      [paris, { child: child(), parents: [] }, 422, 'PARENTS_INVALID'],
      [paris, { child: child(), parents: [{ nir: mother.nir }, { nir: mother.nir }] }, 422, 'PARENTS_INVALID'],
      [
        paris,
        { child: child(), parents: [{ nir: mother.nir }, { nir: stranger }] },
        422,
        'PARENT_NIR_UNKNOWN',
        'parents[1].nir',
      ],
      [paris, { child: child(), parents: [{ nir: father.nir }] }, 422, 'PARENT_NOT_MANAGED'],
      [paris, { child: child(), parents: [{ nir: '1234' }] }, 422, 'NIR_FORMAT', 'parents[0].nir'],
      [
        paris,
        { child: child({ firstName: 'L3a' }), parents: [{ nir: mother.nir }] },
        422,
        'NAME_INVALID_CHARACTERS',
        'child.firstName',
      ],
      [
        paris,
        { child: child({ birthDate: addDays(today(), 1) }), parents: [{ nir: mother.nir }] },
        422,
        'DATE_INVALID',
        'child.birthDate',
      ],
      [
        paris,
        { child: child({ nir: makeNir(undefined, '1990-01-01') }), parents: [{ nir: mother.nir }] },
        422,
        'NIR_BIRTH_DATE_MISMATCH',
        'child.nir',
      ],
      [
        paris,
        { child: child(), parents: [{ nir: mother.nir }], coverage: [{ aldDigit: 9 }] },
        422,
        'CARD_DATA_INVALID',
      ],
      [paris, { child: child(), parents: [{ nir: mother.nir }], extra: 1 }, 400, 'VALIDATION_FAILED'],
      [paris, { parents: [{ nir: mother.nir }] }, 400, 'VALIDATION_FAILED'],
      [op, { child: child(), parents: [{ nir: mother.nir }] }, 403, 'PARTNER_KIND_FORBIDDEN'],
    ];
    for (const [headers, body, status, code, field] of cases) {
      const res = await birth(headers, body);
      expect(res.status, code).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe(code);
      if (field) expect(res.body.field).toBe(field);
      expect(JSON.stringify(res.body)).not.toContain(stranger);
      expect(JSON.stringify(res.body)).not.toContain(mother.nir);
    }
    const attach = (headers: Record<string, string>, parentId: string, body: Record<string, unknown>) =>
      t.http().post(`/v1/beneficiaries/${parentId}/dependants`).set(headers).send(body);
    const attachCases: Array<[Record<string, string>, string, Record<string, unknown>, number, string]> = [
      [paris, mother.id, {}, 422, 'ATTACHMENT_DEPENDANT_REQUIRED'],
      [paris, mother.id, { dependantId: father.id, dependant: child() }, 422, 'ATTACHMENT_DEPENDANT_REQUIRED'],
      [paris, father.id, { dependant: child() }, 404, 'BENEFICIARY_NOT_FOUND'],
      [paris, 'not-an-id', { dependant: child() }, 404, 'BENEFICIARY_NOT_FOUND'],
      [paris, mother.id, { dependantId: father.id }, 404, 'DEPENDANT_NOT_FOUND'],
      [paris, mother.id, { dependant: child(), validFrom: '2001-01-01' }, 422, 'ATTACHMENT_DATES_INVALID'],
      [paris, mother.id, { dependant: child(), validTo: addDays(today(), -5) }, 422, 'ATTACHMENT_DATES_INVALID'],
      // An insured in their own right is not re-attached by identity (the father's NIR).
      [
        paris,
        mother.id,
        { dependant: child({ nir: father.nir, birthDate: father.birthDate }) },
        409,
        'DEPENDANT_INSURED',
      ],
    ];
    for (const [headers, parentId, body, status, code] of attachCases) {
      const res = await attach(headers, parentId, body);
      expect(res.status, code).toBe(status);
      expect(res.body.code).toBe(code);
      expect(JSON.stringify(res.body)).not.toContain(father.nir);
    }
    expect(
      await t.dataSource.query(`SELECT (SELECT count(*) FROM beneficiary) b, (SELECT count(*) FROM attachment) a`),
    ).toEqual(before);
  });

  it('attaches a new dependant, then the same child to the second parent by id; detaches; holds the per-card maximum', async () => {
    const mother = await parent(CPAM_PARIS);
    const stepfather = await parent(CPAM_PARIS);
    const first = await t
      .http()
      .post(`/v1/beneficiaries/${mother.id}/dependants`)
      .set(paris)
      .send({
        dependant: child({ birthDate: '2018-06-01', nir: makeNir(undefined, '2018-06-01') }),
        validFrom: '2019-01-01',
      })
      .expect(201);
    expect(first.body.attachment).toMatchObject({ parentId: mother.id, validFrom: '2019-01-01', current: true });
    const id = first.body.dependant.id;
    // The same person by NIR from another fund's insured (a dependant only, same birth date): attached, not duplicated.
    const lyonParent = await parent(CPAM_LYON);
    const byNir = await t
      .http()
      .post(`/v1/beneficiaries/${lyonParent.id}/dependants`)
      .set(lyon)
      .send({ dependant: child({ birthDate: '2018-06-01', nir: first.body.dependant.nir }), validFrom: '2020-01-01' })
      .expect(201);
    expect(byNir.body.dependant.id).toBe(id);
    const wrongDate = await t
      .http()
      .post(`/v1/beneficiaries/${stepfather.id}/dependants`)
      .set(paris)
      .send({ dependant: child({ birthDate: '2018-06-02', nir: first.body.dependant.nir }) });
    expect(wrongDate.status).toBe(409);
    expect(wrongDate.body.code).toBe('DEPENDANT_IDENTITY_MISMATCH');
    // Twice under the same parent: the exclusion constraint.
    const twice = await t.http().post(`/v1/beneficiaries/${mother.id}/dependants`).set(paris).send({ dependantId: id });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('ATTACHMENT_EXISTS');

    // The Lyon attachment ends; the child leaves that parent's cards and Lyon no longer sees it.
    const end = await t
      .http()
      .post(`/v1/attachments/${byNir.body.attachment.id}/end`)
      .set(lyon)
      .send({ validTo: today() })
      .expect(200);
    expect(end.body).toMatchObject({ validTo: today(), current: false });
    expect((await dependant(lyon, id)).status).toBe(404);
    const again = await t
      .http()
      .post(`/v1/attachments/${byNir.body.attachment.id}/end`)
      .set(paris)
      .send({ validTo: today() });
    expect(again.status).toBe(404);
    expect((await eventsOf(id)).map((e: { type: string }) => e.type)).toEqual([
      'dependant.attached',
      'dependant.attached',
      'dependant.detached',
    ]);
    // Now the stepfather may be the second parent.
    await t
      .http()
      .post(`/v1/beneficiaries/${stepfather.id}/dependants`)
      .set(paris)
      .send({ dependantId: id })
      .expect(201);

    // The most dependants a parent's cards carry (DEPENDANTS_MAX_PER_CARD), counted in the attach transaction.
    const big = await parent(CPAM_PARIS);
    const max = t.config.dependantsMaxPerCard;
    t.config.dependantsMaxPerCard = 2;
    try {
      for (const n of [1, 2])
        await t
          .http()
          .post(`/v1/beneficiaries/${big.id}/dependants`)
          .set(paris)
          .send({ dependant: child({ birthRank: n }) })
          .expect(201);
      const third = await t
        .http()
        .post(`/v1/beneficiaries/${big.id}/dependants`)
        .set(paris)
        .send({ dependant: child({ birthRank: 3 }) });
      expect(third.status).toBe(409);
      expect(third.body).toMatchObject({ code: 'DEPENDANTS_LIMIT', max: 2 });
    } finally {
      t.config.dependantsMaxPerCard = max;
    }
  });

  it('holds the per-card maximum when attachments race, and twins declared by both funds at once both land', async () => {
    const parentRow = await parent(CPAM_PARIS);
    const max = t.config.dependantsMaxPerCard;
    t.config.dependantsMaxPerCard = 2;
    try {
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((rank) =>
          t
            .http()
            .post(`/v1/beneficiaries/${parentRow.id}/dependants`)
            .set(paris)
            .send({ dependant: child({ birthRank: rank }) }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409]);
      expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 'DEPENDANTS_LIMIT')).toBe(true);
    } finally {
      t.config.dependantsMaxPerCard = max;
    }
    // Each parent's fund declares one twin, naming the parents in its own order, at the same moment.
    const mother = await parent(CPAM_PARIS);
    const father = await parent(MSA);
    const born = addDays(today(), -1);
    const [a, b] = await Promise.all([
      birth(paris, {
        child: child({ birthDate: born, birthRank: 1 }),
        parents: [{ nir: mother.nir }, { nir: father.nir }],
      }),
      birth(msa, {
        child: child({ birthDate: born, birthRank: 2 }),
        parents: [{ nir: father.nir }, { nir: mother.nir }],
      }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(
      (await t.http().get(`/v1/beneficiaries/${mother.id}/dependants`).set(paris).expect(200)).body.items,
    ).toHaveLength(2);
  });

  it('a newborn without NIR gets it later: same person and attachments, no card for anyone, no affiliation meanwhile', async () => {
    const mother = await parent(CPAM_PARIS);
    const father = await parent(MSA);
    const motherCard = await cardIn(t.dataSource, CardState.Active, {
      beneficiaryId: mother.id,
      organismeCode: CPAM_PARIS,
    });
    const fatherCard = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: father.id, organismeCode: MSA });
    const born = addDays(today(), -3);
    const res = await birth(msa, {
      child: child({ birthDate: born }),
      parents: [{ nir: father.nir }, { nir: mother.nir }],
    }).expect(201);
    const id = res.body.id;
    expect(res.body.nir).toBeNull();
    const cardsBefore = await t.dataSource.query(`SELECT id, beneficiary_id FROM card ORDER BY id`);

    // The database: no affiliation and no card for a person without NIR, and a NIR is never taken away.
    const refusal = async (sql: string, params: unknown[]) => {
      try {
        await t.dataSource.query(sql, params);
        return 'accepted';
      } catch (e) {
        return (e as { driverError?: { constraint?: string } }).driverError?.constraint;
      }
    };
    expect(
      await refusal(`INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from) VALUES ($1, $2, $3)`, [
        id,
        MSA,
        born,
      ]),
    ).toBe('affiliation_needs_nir');
    expect(
      await refusal(
        // Ordered, not active: an own card's activation would first give its holder an affiliation (refused the same way).
        `INSERT INTO card (serial, beneficiary_id, organisme_code, state) VALUES (999999999990, $1, $2, 'ordered')`,
        [id, MSA],
      ),
    ).toBe('card_needs_nir');

    // The NIR, once known, from either parent's fund: definitive only once; another fund cannot.
    const nir = makeNir(undefined, born);
    expect((await t.http().put(`/v1/dependants/${id}/nir`).set(lyon).send({ nir })).status).toBe(404);
    const wrong = await t
      .http()
      .put(`/v1/dependants/${id}/nir`)
      .set(paris)
      .send({ nir: makeNir(undefined, '2001-01-01') });
    expect(wrong.body).toMatchObject({ code: 'NIR_BIRTH_DATE_MISMATCH', field: 'nir' });
    const set = await t.http().put(`/v1/dependants/${id}/nir`).set(paris).send({ nir }).expect(200);
    expect(set.body).toMatchObject({ id, nir, nirTemporary: false });
    expect(set.body.attachments).toEqual([expect.objectContaining({ parentId: mother.id, current: true })]);
    const twice = await t
      .http()
      .put(`/v1/dependants/${id}/nir`)
      .set(msa)
      .send({ nir: makeNir(undefined, born) });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('NIR_ALREADY_DEFINITIVE');
    expect(await refusal(`UPDATE beneficiary SET nir = NULL WHERE id = $1`, [id])).toBe('beneficiary_nir_kept');

    // No new card for anyone: the same cards, the same holders; the parents' cards are the same cards.
    expect(await t.dataSource.query(`SELECT id, beneficiary_id FROM card ORDER BY id`)).toEqual(cardsBefore);
    expect(cardsBefore.map((c: { id: string }) => c.id)).toEqual(
      expect.arrayContaining([motherCard.id, fatherCard.id]),
    );
    expect(await t.dataSource.query(`SELECT 1 FROM card WHERE beneficiary_id = $1`, [id])).toEqual([]);
    // A parent's fund corrects the identity (optimistic), checked against the NIR now known; another fund cannot.
    const patch = (headers: Record<string, string>, body: Record<string, unknown>) =>
      t.http().patch(`/v1/dependants/${id}`).set(headers).send(body);
    expect((await patch(lyon, { version: set.body.version, firstName: 'Léna' })).status).toBe(404);
    expect((await patch(msa, { version: set.body.version + 5, firstName: 'Léna' })).body).toMatchObject({
      code: 'VERSION_CONFLICT',
      currentVersion: set.body.version,
    });
    expect((await patch(msa, { version: set.body.version, birthDate: '2001-01-01' })).body.code).toBe(
      'NIR_BIRTH_DATE_MISMATCH',
    );
    const renamed = await patch(msa, { version: set.body.version, firstName: 'Léna' }).expect(200);
    expect(renamed.body).toMatchObject({ firstName: 'LÉNA', version: set.body.version + 1, nir });
    // Both parents' funds are told, without the number.
    const events = (await eventsOf(id)).filter((e: { type: string }) => e.type === 'dependant.nir_set');
    expect(events.map((e: { organisme_code: string }) => e.organisme_code).sort()).toEqual([CPAM_PARIS, MSA].sort());
    expect(JSON.stringify(events)).not.toContain(nir);

    // A temporary number first, then the definitive one, is allowed too.
    const other = await birth(paris, { child: child({ birthDate: born }), parents: [{ nir: mother.nir }] }).expect(201);
    const temporary = '7' + nir.slice(1, 13);
    const { nirKey } = await import('../src/register/nir.js');
    await t
      .http()
      .put(`/v1/dependants/${other.body.id}/nir`)
      .set(paris)
      .send({ nir: temporary + nirKey(temporary) })
      .expect(200);
    const definitive = makeNir(undefined, born);
    const done = await t
      .http()
      .put(`/v1/dependants/${other.body.id}/nir`)
      .set(paris)
      .send({ nir: definitive })
      .expect(200);
    expect(done.body).toMatchObject({ nir: definitive, nirTemporary: false });
  });

  describe('mutations and families', () => {
    it("a parent's change of fund moves the children attached only to them; a child of both stays with the other fund", async () => {
      const mover = await parent(CPAM_PARIS);
      const other = await parent(MSA);
      const onlyChild = (await birth(paris, { child: child(), parents: [{ nir: mover.nir }] }).expect(201)).body;
      const shared = (
        await birth(paris, {
          child: child({ birthRank: 2 }),
          parents: [{ nir: mover.nir }, { nir: other.nir }],
        }).expect(201)
      ).body;

      await t
        .http()
        .post(`/v1/beneficiaries/${mover.id}/mutations`)
        .set(paris)
        .send({ toOrganismeCode: CPAM_LYON, effectiveDate: today() })
        .expect(201);

      // Both funds are told which children the parent carries (ids only).
      const moves = await t.dataSource.query(
        `SELECT organisme_code, type, data FROM fund_event WHERE subject_id = $1 AND type LIKE 'beneficiary.mutated%' ORDER BY id`,
        [mover.id],
      );
      expect(moves.map((e: any) => [e.organisme_code, e.type, [...e.data.dependantIds].sort()])).toEqual([
        [CPAM_PARIS, 'beneficiary.mutated_out', [onlyChild.id, shared.id].sort()],
        [CPAM_LYON, 'beneficiary.mutated_in', [onlyChild.id, shared.id].sort()],
      ]);
      // The child attached only to the mover follows them to Lyon, with its attachment (now Lyon's to manage).
      expect((await dependant(paris, onlyChild.id)).status).toBe(404);
      const inLyon = await dependant(lyon, onlyChild.id).expect(200);
      expect(inLyon.body.attachments).toEqual([expect.objectContaining({ parentId: mover.id, current: true })]);
      await t
        .http()
        .put(`/v1/attachments/${inLyon.body.attachments[0].id}/rights`)
        .set(lyon)
        .send({ coverage: COVERAGE, aldPeriods: [] })
        .expect(200);
      expect(
        (await t.http().get(`/v1/beneficiaries/${mover.id}/dependants`).set(lyon).expect(200)).body.items,
      ).toHaveLength(2);
      // The child of both: still the other parent's fund's, now Lyon's too, no longer Paris's.
      expect((await dependant(msa, shared.id).expect(200)).body.attachments).toEqual([
        expect.objectContaining({ parentId: other.id }),
      ]);
      expect((await dependant(lyon, shared.id).expect(200)).body.attachments).toEqual([
        expect.objectContaining({ parentId: mover.id }),
      ]);
      expect((await dependant(paris, shared.id)).status).toBe(404);
    });

    it('ping-pong: the children go to the new fund and come back with their parent, the cards kept', async () => {
      const mover = await parent(CPAM_PARIS);
      const card = await cardIn(t.dataSource, CardState.Active, { beneficiaryId: mover.id, organismeCode: CPAM_PARIS });
      const kid = (await birth(paris, { child: child(), parents: [{ nir: mover.nir }] }).expect(201)).body;
      const [E1, E2] = [addDays(today(), 1), addDays(today(), 2)];
      await t
        .http()
        .post(`/v1/beneficiaries/${mover.id}/mutations`)
        .set(paris)
        .send({ toOrganismeCode: CPAM_LYON, effectiveDate: E1 })
        .expect(201);
      const spy = vi.spyOn(t.app.get(RegisterClock), 'today');
      try {
        spy.mockReturnValue(E1);
        expect((await dependant(paris, kid.id)).status).toBe(404);
        await dependant(lyon, kid.id).expect(200);
        await t
          .http()
          .post(`/v1/beneficiaries/${mover.id}/mutations`)
          .set(lyon)
          .send({ toOrganismeCode: CPAM_PARIS, effectiveDate: E2 })
          .expect(201);
        spy.mockReturnValue(E2);
        expect((await dependant(lyon, kid.id)).status).toBe(404);
        expect((await dependant(paris, kid.id).expect(200)).body.attachments).toEqual([
          expect.objectContaining({ parentId: mover.id, current: true }),
        ]);
      } finally {
        spy.mockRestore();
      }
      // The parent's card was kept throughout (same id, same holder); the child never got one.
      expect(await t.dataSource.query(`SELECT id FROM card WHERE beneficiary_id = $1`, [mover.id])).toEqual([
        { id: card.id },
      ]);
      expect(await t.dataSource.query(`SELECT 1 FROM card WHERE beneficiary_id = $1`, [kid.id])).toEqual([]);
    });

    it('a regime-wide transfer carries the children of the parents it moves, from the effective date', async () => {
      const railway = await parent(SNCF);
      const kid = (await birth(sncf, { child: child(), parents: [{ nir: railway.nir }] }).expect(201)).body;
      const E = addDays(today(), 1);
      const res = await t
        .http()
        .post('/v1/regime-transfers')
        .set(op)
        .send({ effectiveDate: E, mappings: [{ fromOrganismeCode: SNCF, toOrganismeCode: CPAM_PARIS }] })
        .expect(202);
      await t.app.get(RegimeTransfersService).record(res.body.id);
      // Until the effective date the railway fund keeps its families; from it, the general regime's fund has them.
      expect((await dependant(sncf, kid.id)).status).toBe(200);
      const clock = t.app.get(RegisterClock);
      const spy = vi.spyOn(clock, 'today').mockReturnValue(E);
      try {
        expect((await dependant(sncf, kid.id)).status).toBe(404);
        expect((await dependant(paris, kid.id).expect(200)).body.attachments).toEqual([
          expect.objectContaining({ parentId: railway.id, current: true }),
        ]);
      } finally {
        spy.mockRestore();
      }
    });
  });
});
