import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { ATTACHMENTS_CSV_HEADER } from '../src/register/attachment-import-parser.js';
import { parisToday } from '../src/register/beneficiary-input.js';
import { insertBeneficiary, makeNir } from './support/factories.js';
import { withWrongKey } from './support/register-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const CPAM_PARIS = '017510001';
const CPAM_LYON = '016910001';
const MSA = '020110001';
const HEADER = ATTACHMENTS_CSV_HEADER.join(';');

/** The attachments import (attachments-import/1) over real HTTP, the job queue and PostgreSQL. */
describe('bulk import of attachments', () => {
  let t: TestApp;
  let paris: { key: string };
  let lyon: { key: string };

  beforeAll(async () => {
    t = await startTestApp();
    paris = await t.partner(PartnerKind.Fund, CPAM_PARIS);
    lyon = await t.partner(PartnerKind.Fund, CPAM_LYON);
  });
  afterAll(async () => {
    await t?.close();
  });

  const upload = (key: string, body: string, type = 'text/csv') =>
    t.http().post('/v1/attachments/imports').set(bearer(key)).set('Content-Type', type).send(body);
  const waitDone = async (key: string, id: string) => {
    const until = Date.now() + 90_000;
    for (;;) {
      const res = await t.http().get(`/v1/attachments/imports/${id}`).set(bearer(key)).expect(200);
      if (res.body.status === 'done' || res.body.status === 'failed') return res.body;
      if (Date.now() > until) throw new Error(`import ${id} still ${res.body.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const line = (f: Partial<Record<(typeof ATTACHMENTS_CSV_HEADER)[number], string>>) =>
    ATTACHMENTS_CSV_HEADER.map((k) => f[k] ?? '').join(';');

  it('keeps the good lines, reports each bad one by line with a stable code, and writes nothing for a refused line', async () => {
    const mother = await insertBeneficiary(t.dataSource, { organismeCode: CPAM_PARIS });
    const father = await insertBeneficiary(t.dataSource, { organismeCode: MSA });
    const lyonParent = await insertBeneficiary(t.dataSource, { organismeCode: CPAM_LYON });
    const stepmother = await insertBeneficiary(t.dataSource, { organismeCode: CPAM_PARIS });
    const big = await insertBeneficiary(t.dataSource, { organismeCode: CPAM_PARIS });
    const born = '2019-04-02';
    const twin1 = makeNir(undefined, born);
    const twin2 = makeNir(undefined, born);
    const sibling = makeNir(undefined, '2016-09-30');
    // The twins already have two parents (the mother, and the father at the MSA).
    for (const nir of [twin1]) {
      await t
        .http()
        .post('/v1/births')
        .set(bearer(paris.key))
        .send({
          child: { nir, firstName: 'Léa', birthName: 'Martin', birthDate: born },
          parents: [{ nir: mother.nir }, { nir: father.nir }],
        })
        .expect(201);
    }
    const limited = [1, 2, 3, 4].map(() => makeNir(undefined, '2015-01-15'));
    const csv = [
      HEADER,
      // 2: a new dependant of the mother with its rights (coverage and an ALD period).
      line({
        parent_nir: mother.nir,
        dependant_nir: sibling,
        first_name: 'Noé',
        birth_name: 'Martin',
        birth_date: '2016-09-30',
        valid_from: '2017-01-01',
        coverage: '0/0100|2/0200',
        ald_periods: '15/2020-01-01/',
      }),
      // 3: the second twin, rank 2.
      line({
        parent_nir: mother.nir,
        dependant_nir: twin2,
        first_name: 'Lou',
        birth_name: 'Martin',
        birth_date: born,
        birth_rank: '2',
      }),
      // 4: a third parent for the first twin: the database refuses it.
      line({
        parent_nir: stepmother.nir,
        dependant_nir: twin1,
        first_name: 'Léa',
        birth_name: 'Martin',
        birth_date: born,
      }),
      // 5: a parent of another fund: not ours, whether the NIR exists or not.
      line({
        parent_nir: lyonParent.nir,
        dependant_nir: makeNir(undefined, born),
        first_name: 'Zoé',
        birth_name: 'Roux',
        birth_date: born,
      }),
      // 6: a wrong NIR key.
      line({
        parent_nir: mother.nir,
        dependant_nir: withWrongKey(makeNir(undefined, born)),
        first_name: 'A',
        birth_name: 'B',
        birth_date: born,
      }),
      // 7: the same as line 3.
      line({
        parent_nir: mother.nir,
        dependant_nir: twin2,
        first_name: 'Lou',
        birth_name: 'Martin',
        birth_date: born,
        birth_rank: '2',
      }),
      // 8: no dependant NIR (a newborn without NIR is declared with POST /v1/births).
      line({ parent_nir: mother.nir, first_name: 'Sans', birth_name: 'Numéro', birth_date: born }),
      // 9: rights that are not a coverage record.
      line({
        parent_nir: mother.nir,
        dependant_nir: makeNir(undefined, born),
        first_name: 'C',
        birth_name: 'D',
        birth_date: born,
        coverage: '9/12',
      }),
      // 10-13: the per-card limit (3 here): the fourth is refused and its new dependant is not kept.
      ...limited.map((nir, i) =>
        line({
          parent_nir: big.nir,
          dependant_nir: nir,
          first_name: 'Enfant',
          birth_name: 'Petit',
          birth_date: '2015-01-15',
          birth_rank: String(i + 1),
        }),
      ),
      '',
    ].join('\n');
    const max = t.config.dependantsMaxPerCard;
    t.config.dependantsMaxPerCard = 3;
    try {
      const res = await upload(paris.key, csv).expect(202);
      expect(res.body).toMatchObject({
        status: 'pending',
        format: 'csv',
        version: 'attachments-import/1',
        totalRows: 12,
      });
      expect(res.headers.location).toBe(`/v1/attachments/imports/${res.body.id}`);
      const report = await waitDone(paris.key, res.body.id);
      const rejects = await t
        .http()
        .get(`/v1/attachments/imports/${res.body.id}/rejects`)
        .set(bearer(paris.key))
        .expect(200);
      expect(
        rejects.body.items.map((r: { line: number; code: string; field: string | null }) => [r.line, r.code, r.field]),
      ).toEqual([
        [4, 'ATTACHMENT_TWO_PARENTS', 'valid_from'],
        [5, 'PARENT_NOT_MANAGED', 'parent_nir'],
        [6, 'NIR_KEY_MISMATCH', 'dependant_nir'],
        [7, 'DUPLICATE_IN_FILE', 'dependant_nir'],
        [8, 'DEPENDANT_NIR_REQUIRED', 'dependant_nir'],
        [9, 'CARD_DATA_INVALID', 'coverage'],
        [13, 'DEPENDANTS_LIMIT', null],
      ]);
      expect(report).toMatchObject({ status: 'done', totalRows: 12, createdRows: 5, rejectedRows: 7 });
      // Rejects never quote the data.
      expect(JSON.stringify(rejects.body)).not.toMatch(new RegExp([mother.nir, lyonParent.nir, twin1].join('|')));
    } finally {
      t.config.dependantsMaxPerCard = max;
    }
    // The good lines: the mother carries the twins and the sibling, with the rights written.
    const list = await t.http().get(`/v1/beneficiaries/${mother.id}/dependants`).set(bearer(paris.key)).expect(200);
    const byNir = Object.fromEntries(list.body.items.map((i: any) => [i.dependant.nir, i]));
    expect(Object.keys(byNir).sort()).toEqual([twin1, twin2, sibling].sort());
    expect(byNir[sibling].attachment).toMatchObject({
      validFrom: '2017-01-01',
      coverage: [
        { aldDigit: 0, situation: '0100' },
        { aldDigit: 2, situation: '0200' },
      ],
      aldPeriods: [{ from: '2020-01-01', to: null, aldCode: '15' }],
    });
    expect(byNir[twin2].dependant).toMatchObject({ firstName: 'LOU', birthRank: 2 });
    // A refused line left nothing behind (its savepoint was rolled back): no register entry for the fourth child.
    expect(await t.dataSource.query(`SELECT 1 FROM beneficiary WHERE nir = $1`, [limited[3]])).toEqual([]);
    expect(await t.dataSource.query(`SELECT 1 FROM beneficiary WHERE nir = $1`, [limited[2]])).toHaveLength(1);
    // The report is the importing fund's only (and not a beneficiaries import).
    const other = await t
      .http()
      .get(`/v1/attachments/imports/${list.body.items[0].attachment.id}`)
      .set(bearer(lyon.key));
    expect(other.status).toBe(404);
  });

  it('takes NDJSON too, and refuses a bad file whole at upload', async () => {
    const parent = await insertBeneficiary(t.dataSource, { organismeCode: CPAM_LYON });
    const nir = makeNir(undefined, '2020-02-20');
    const ndjson = [
      JSON.stringify({
        parentNir: parent.nir,
        dependantNir: nir,
        firstName: 'Jade',
        birthName: 'Petit',
        birthDate: '2020-02-20',
        coverage: [{ aldDigit: 0, situation: '0100' }],
      }),
      JSON.stringify({
        parentNir: parent.nir,
        dependantNir: nir,
        firstName: 'Jade',
        birthName: 'Petit',
        birthDate: '2020-02-20',
        role: 'x',
      }),
    ].join('\n');
    const res = await upload(lyon.key, ndjson, 'application/x-ndjson').expect(202);
    const report = await waitDone(lyon.key, res.body.id);
    expect(report).toMatchObject({ status: 'done', createdRows: 1, rejectedRows: 1 });
    expect((await t.http().get(`/v1/attachments/imports/${res.body.id}`).set(bearer(paris.key))).status).toBe(404);
    expect((await t.http().get(`/v1/beneficiaries/imports/${res.body.id}`).set(bearer(lyon.key))).status).toBe(404);

    const refusals: Array<[string, string, string, number, string]> = [
      [lyon.key, 'nir;first_name\n1;2\n', 'text/csv', 422, 'IMPORT_HEADER_INVALID'],
      [lyon.key, `${HEADER}\n`, 'text/csv', 422, 'IMPORT_EMPTY'],
      [lyon.key, `${HEADER}\n1\n`, 'application/pdf', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [t.operatorKey, `${HEADER}\n1\n`, 'text/csv', 403, 'PARTNER_KIND_FORBIDDEN'],
    ];
    for (const [key, body, type, status, code] of refusals) {
      const r = await upload(key, body, type);
      expect(r.status, code).toBe(status);
      expect(r.body.code).toBe(code);
    }
    expect(parisToday()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
