import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { parisToday } from '../src/register/beneficiary-input.js';
import { BulkImportRepository } from '../src/register/bulk-import.repository.js';
import { BulkImportsService } from '../src/register/bulk-imports.service.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { insertBeneficiary, makeNir } from './support/factories.js';
import {
  allRejects,
  CSV_HEADER_LINE,
  csvLine,
  person,
  seqNir,
  uploadCsv,
  waitForImport,
  withWrongKey,
} from './support/register-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const ORG_A = '017510001';
const ORG_B = '016910001';
const RANDOM_ID = '6f1c1b1e-8a53-4a1e-9b43-2d7f3c9a0e55';

/** A problem body without what differs from one request to the next. */
const stable = (body: Record<string, unknown>) => {
  const { requestId: _r, instance: _i, ...rest } = body;
  return rest;
};

const newPerson = (overrides: Record<string, unknown> = {}) => ({
  nir: makeNir(),
  firstName: 'Marie-Hélène',
  birthName: "d'Artagnan",
  birthDate: '1985-05-14',
  addressLines: ['12 rue des Lilas', '75011 Paris'],
  ...overrides,
});

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

describe('inter-regime register', () => {
  let t: TestApp;
  let fundA: Record<string, string>;
  let fundB: Record<string, string>;
  let keyA: string;
  let keyB: string;
  let op: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp();
    keyA = (await t.partner(PartnerKind.Fund, ORG_A)).key;
    keyB = (await t.partner(PartnerKind.Fund, ORG_B)).key;
    fundA = bearer(keyA);
    fundB = bearer(keyB);
    op = bearer(t.operatorKey);
  });
  afterAll(async () => {
    await t?.close();
  });

  const count = async (sql: string, params: unknown[] = []) => (await t.dataSource.query(sql, params))[0].n as number;
  const writes = async () => ({
    beneficiaries: await count(`SELECT count(*)::int AS n FROM beneficiary`),
    affiliations: await count(`SELECT count(*)::int AS n FROM affiliation`),
    audit: await count(`SELECT count(*)::int AS n FROM audit_entry`),
  });
  const auditOf = (entityId: string) =>
    t.dataSource.query(
      `SELECT action, actor_kind, organisme_code, details FROM audit_entry WHERE entity_id = $1 ORDER BY id`,
      [entityId],
    );
  const create = (body: Record<string, unknown>, headers = fundA) =>
    t.http().post('/v1/beneficiaries').set(headers).send(body);

  describe('create, read, update, lookup, list', () => {
    it('registers an insured person of the caller with an open affiliation, names in capitals, audited without personal data', async () => {
      const body = newPerson({ usageName: 'Durand', birthRank: 2 });
      const res = await create(body).expect(201);
      expect(res.headers.location).toBe(`/v1/beneficiaries/${res.body.id}`);
      expect(res.body).toMatchObject({
        nir: body.nir,
        nirTemporary: false,
        firstName: 'MARIE-HÉLÈNE',
        birthName: "D'ARTAGNAN",
        usageName: 'DURAND',
        birthDate: '1985-05-14',
        birthRank: 2,
        addressLines: ['12 rue des Lilas', '75011 Paris'],
        version: 1,
        affiliation: { organismeCode: ORG_A, validFrom: parisToday(), validTo: null, current: true },
      });
      const audit = await auditOf(res.body.id);
      expect(audit).toEqual([
        expect.objectContaining({ action: 'beneficiary.created', actor_kind: 'fund', organisme_code: ORG_A }),
      ]);
      const trail = JSON.stringify(audit);
      for (const personal of [body.nir, 'HÉLÈNE', 'ARTAGNAN', 'DURAND', 'Lilas', '1985-05-14'])
        expect(trail).not.toContain(personal);
    });

    it('accepts a NIR with spaces, a Corsican NIR and a temporary NIR (flagged)', async () => {
      const nir = makeNir();
      const spaced = `${nir.slice(0, 1)} ${nir.slice(1, 3)} ${nir.slice(3, 5)} ${nir.slice(5, 7)} ${nir.slice(7, 10)} ${nir.slice(10, 13)} ${nir.slice(13)}`;
      expect((await create(newPerson({ nir: spaced })).expect(201)).body.nir).toBe(nir);
      const corsican = makeNir('185052A123456');
      expect((await create(newPerson({ nir: corsican })).expect(201)).body).toMatchObject({
        nir: corsican,
        nirTemporary: false,
      });
      const temporary = makeNir('7850575123456');
      expect((await create(newPerson({ nir: temporary })).expect(201)).body).toMatchObject({
        nir: temporary,
        nirTemporary: true,
      });
    });

    it('refuses invalid input with problem+json and stable codes, writing nothing', async () => {
      const before = await writes();
      const cases: Array<[Record<string, unknown>, number, string, string?]> = [
        [newPerson({ nir: withWrongKey(makeNir()) }), 422, 'NIR_KEY_MISMATCH', 'nir'],
        [newPerson({ nir: '1850575123' }), 422, 'NIR_FORMAT', 'nir'],
        [newPerson({ nir: makeNir('3850575123456') }), 422, 'NIR_SEX_INVALID', 'nir'],
        [newPerson({ nir: makeNir('1850075123456') }), 422, 'NIR_MONTH_INVALID', 'nir'],
        [newPerson({ nir: makeNir('1851375123456') }), 422, 'NIR_MONTH_INVALID', 'nir'],
        [newPerson({ nir: makeNir('1854575123456') }), 422, 'NIR_MONTH_INVALID', 'nir'],
        [newPerson({ nir: makeNir('1850675123456') }), 422, 'NIR_BIRTH_DATE_MISMATCH', 'nir'],
        [newPerson({ nir: makeNir('1860575123456') }), 422, 'NIR_BIRTH_DATE_MISMATCH', 'nir'],
        [newPerson({ firstName: 'Jean2' }), 422, 'NAME_INVALID_CHARACTERS', 'firstName'],
        [newPerson({ firstName: 'Jean_Pierre' }), 422, 'NAME_INVALID_CHARACTERS', 'firstName'],
        [newPerson({ birthName: 'Dupont 😀' }), 422, 'NAME_INVALID_CHARACTERS', 'birthName'],
        [newPerson({ birthName: 'B'.repeat(64) }), 422, 'NAME_TOO_LONG', 'birthName'],
        [newPerson({ usageName: 'U'.repeat(43) }), 422, 'NAME_TOO_LONG', 'usageName'],
        [newPerson({ birthDate: '1985-02-30' }), 422, 'DATE_INVALID', 'birthDate'],
        [newPerson({ birthDate: '14/05/1985' }), 422, 'DATE_INVALID', 'birthDate'],
        [newPerson({ affiliatedFrom: '2999-01-01' }), 422, 'DATE_INVALID', 'affiliatedFrom'],
        [newPerson({ birthRank: 10 }), 422, 'BIRTH_RANK_INVALID', 'birthRank'],
        [newPerson({ addressLines: Array(7).fill('X') }), 422, 'ADDRESS_INVALID', 'addressLines'],
        [newPerson({ addressLines: ['1 RUE A', 'X'.repeat(39)] }), 422, 'ADDRESS_INVALID', 'addressLines[1]'],
        [newPerson({ firstName: undefined }), 400, 'VALIDATION_FAILED'],
        [newPerson({ role: 'admin' }), 400, 'VALIDATION_FAILED'],
        [newPerson({ birthRank: 'two' }), 400, 'VALIDATION_FAILED'],
      ];
      for (const [body, status, code, field] of cases) {
        const res = await create(body);
        expect(res.status, code).toBe(status);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.code).toBe(code);
        if (field) expect(res.body.field).toBe(field);
        expect(JSON.stringify(res.body)).not.toContain(String(body.nir));
      }
      expect(await writes()).toEqual(before);
    });

    it('says BENEFICIARY_EXISTS to the same fund and BENEFICIARY_AFFILIATED_ELSEWHERE to another, revealing nothing', async () => {
      const body = newPerson();
      const first = await create(body).expect(201);
      const again = await create({ ...body, firstName: 'Autre' }).expect(409);
      expect(again.body).toMatchObject({ code: 'BENEFICIARY_EXISTS', beneficiaryId: first.body.id });
      const before = await writes();
      const other = await create(body, fundB).expect(409);
      expect(stable(other.body)).toEqual({
        type: 'urn:vitale:problem:beneficiary-affiliated-elsewhere',
        title: 'Conflict',
        status: 409,
        code: 'BENEFICIARY_AFFILIATED_ELSEWHERE',
        detail: expect.any(String),
      });
      expect(JSON.stringify(other.body)).not.toMatch(/HÉLÈNE|ARTAGNAN|017510001/);
      expect(await writes()).toEqual(before);
    });

    it('reads by id and by NIR (in the body), each read leaving an access trail', async () => {
      const created = (await create(newPerson()).expect(201)).body;
      const got = await t.http().get(`/v1/beneficiaries/${created.id}`).set(fundA).expect(200);
      expect(got.body).toEqual(created);
      const nir = created.nir as string;
      const found = await t
        .http()
        .post('/v1/beneficiaries/lookup')
        .set(fundA)
        .send({ nir: `${nir.slice(0, 7)} ${nir.slice(7)}` })
        .expect(200);
      expect(found.body.id).toBe(created.id);
      const reads = (await auditOf(created.id)).filter((a: { action: string }) => a.action === 'beneficiary.read');
      expect(reads.map((r: { details: unknown }) => r.details)).toEqual([{ by: 'id' }, { by: 'nir' }]);
      const bad = await t.http().post('/v1/beneficiaries/lookup').set(fundA).send({ nir: '12345' }).expect(422);
      expect(bad.body.code).toBe('NIR_FORMAT');
      const unknown = await t.http().post('/v1/beneficiaries/lookup').set(fundA).send({ nir: makeNir() }).expect(404);
      expect(unknown.body.code).toBe('BENEFICIARY_NOT_FOUND');
    });

    it('updates identity and address with optimistic versions, auditing the field names only', async () => {
      const created = (await create(newPerson({ usageName: 'Martin' })).expect(201)).body;
      const url = `/v1/beneficiaries/${created.id}`;
      const res = await t
        .http()
        .patch(url)
        .set(fundA)
        .send({ version: 1, addressLines: ['3 place du Marché', '69001 Lyon'], firstName: 'Marie-hélène' })
        .expect(200);
      expect(res.body).toMatchObject({
        version: 2,
        addressLines: ['3 place du Marché', '69001 Lyon'],
        firstName: 'MARIE-HÉLÈNE',
      });
      const stale = await t.http().patch(url).set(fundA).send({ version: 1, birthName: 'Autre' }).expect(409);
      expect(stale.body).toMatchObject({ code: 'VERSION_CONFLICT', currentVersion: 2 });
      // The version as read, a number: not a boolean or a string that would pass for one.
      for (const version of [true, '2'])
        expect((await t.http().patch(url).set(fundA).send({ version, firstName: 'Anne' }).expect(400)).body.code).toBe(
          'VALIDATION_FAILED',
        );
      const invalid = await t.http().patch(url).set(fundA).send({ version: 2, birthName: 'X1' }).expect(422);
      expect(invalid.body).toMatchObject({ code: 'NAME_INVALID_CHARACTERS', field: 'birthName' });
      const cleared = await t.http().patch(url).set(fundA).send({ version: 2, usageName: null }).expect(200);
      expect(cleared.body).toMatchObject({ usageName: null, version: 3, birthName: "D'ARTAGNAN" });
      const same = await t.http().patch(url).set(fundA).send({ version: 3, usageName: null }).expect(200);
      expect(same.body.version).toBe(3);
      // A birth date the NIR contradicts (year and month, characters 2 to 5) is refused; one it agrees with is taken.
      const contradicted = await t
        .http()
        .patch(url)
        .set(fundA)
        .send({ version: 3, birthDate: '1985-06-14' })
        .expect(422);
      expect(contradicted.body).toMatchObject({ code: 'NIR_BIRTH_DATE_MISMATCH', field: 'birthDate' });
      const updates = (await auditOf(created.id)).filter((a: { action: string }) => a.action === 'beneficiary.updated');
      expect(updates.map((u: { details: unknown }) => u.details)).toEqual([
        { fields: ['addressLines'], version: 2 },
        { fields: ['usageName'], version: 3 },
      ]);
      expect(JSON.stringify(updates)).not.toMatch(/Lyon|MARTIN/);
      await t
        .http()
        .patch(url)
        .set(fundA)
        .send({ addressLines: ['X'] })
        .expect(400);
    });

    it("lists the caller's current insured by keyset pages", async () => {
      const { key } = await t.partner(PartnerKind.Fund, '011310001');
      const h = bearer(key);
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) ids.add((await create(newPerson(), h).expect(201)).body.id);
      await insertBeneficiary(t.dataSource, { organismeCode: '011310001', affiliatedFrom: '2020-01-01' });
      await insertBeneficiary(t.dataSource, { organismeCode: ORG_B });
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const res: { body: { items: any[]; next: string | null } } = await t
          .http()
          .get('/v1/beneficiaries')
          .query({ limit: 2, ...(next ? { after: next } : {}) })
          .set(h)
          .expect(200);
        for (const b of res.body.items) {
          expect(b.affiliation).toMatchObject({ organismeCode: '011310001', current: true });
          seen.push(b.id);
        }
        next = res.body.next;
        pages++;
      } while (next && pages < 10);
      expect(seen).toHaveLength(6);
      expect(new Set(seen).size).toBe(6);
      expect([...seen].sort()).toEqual(seen);
      for (const id of ids) expect(seen).toContain(id);
      const bad = await t.http().get('/v1/beneficiaries').query({ after: 'garbage' }).set(h).expect(400);
      expect(bad.body.code).toBe('CURSOR_INVALID');
      await t.http().get('/v1/beneficiaries').query({ organismeCode: ORG_B }).set(h).expect(400);
    });

    it('lists affiliations, and lets a NIR whose affiliation ended join another fund', async () => {
      const former = await insertBeneficiary(t.dataSource, { organismeCode: ORG_B, affiliatedFrom: '2015-01-01' });
      await t.dataSource.query(`UPDATE affiliation SET valid_to = $2 WHERE beneficiary_id = $1`, [
        former.id,
        daysAgo(10),
      ]);
      await t.http().get(`/v1/beneficiaries/${former.id}`).set(fundB).expect(404);
      const early = await create(newPerson({ nir: former.nir, affiliatedFrom: daysAgo(20) })).expect(409);
      expect(early.body.code).toBe('AFFILIATION_OVERLAP');
      const joined = await create(newPerson({ nir: former.nir, affiliatedFrom: daysAgo(5) })).expect(201);
      expect(joined.body).toMatchObject({
        id: former.id,
        firstName: 'MARIE-HÉLÈNE',
        affiliation: { organismeCode: ORG_A, validFrom: daysAgo(5) },
      });
      const history = await t.http().get(`/v1/beneficiaries/${former.id}/affiliations`).set(fundA).expect(200);
      expect(history.body).toEqual({
        items: [
          expect.objectContaining({
            organismeCode: ORG_B,
            validFrom: '2015-01-01',
            validTo: daysAgo(10),
            current: false,
          }),
          expect.objectContaining({ organismeCode: ORG_A, validFrom: daysAgo(5), validTo: null, current: true }),
        ],
        next: null,
      });
      expect((await auditOf(former.id)).map((a: { action: string }) => a.action)).toEqual(['beneficiary.reaffiliated']);
    });

    it('lets operators read everything but not write', async () => {
      const b = await insertBeneficiary(t.dataSource, { organismeCode: ORG_B });
      await t.http().get(`/v1/beneficiaries/${b.id}`).set(op).expect(200);
      await t.http().post('/v1/beneficiaries/lookup').set(op).send({ nir: b.nir }).expect(200);
      await t.http().get(`/v1/beneficiaries/${b.id}/affiliations`).set(op).expect(200);
      const page = await t
        .http()
        .get('/v1/beneficiaries')
        .query({ organismeCode: ORG_B, limit: 500 })
        .set(op)
        .expect(200);
      expect(page.body.items.map((x: { id: string }) => x.id)).toContain(b.id);
      expect((await create(newPerson(), op)).status).toBe(403);
      expect((await t.http().patch(`/v1/beneficiaries/${b.id}`).set(op).send({ version: 1 })).status).toBe(403);
    });
  });

  describe('tenant isolation', () => {
    it("gives fund A the same 404 for fund B's insured as for an unknown or malformed id, on every route", async () => {
      const theirs = await insertBeneficiary(t.dataSource, { organismeCode: ORG_B });
      const before = await writes();
      const probe = async (id: string) => ({
        get: await t.http().get(`/v1/beneficiaries/${id}`).set(fundA),
        patch: await t.http().patch(`/v1/beneficiaries/${id}`).set(fundA).send({ version: 1, firstName: 'Intrus' }),
        affiliations: await t.http().get(`/v1/beneficiaries/${id}/affiliations`).set(fundA),
      });
      const [other, unknown, malformed] = [await probe(theirs.id), await probe(RANDOM_ID), await probe('not-a-uuid')];
      for (const route of ['get', 'patch', 'affiliations'] as const) {
        expect(other[route].status, route).toBe(404);
        expect(other[route].headers['content-type']).toMatch(/application\/problem\+json/);
        expect(other[route].body.code).toBe('BENEFICIARY_NOT_FOUND');
        expect(stable(other[route].body), route).toEqual(stable(unknown[route].body));
        expect(stable(other[route].body), route).toEqual(stable(malformed[route].body));
      }
      const lookupTheirs = await t
        .http()
        .post('/v1/beneficiaries/lookup')
        .set(fundA)
        .send({ nir: theirs.nir })
        .expect(404);
      const lookupUnknown = await t
        .http()
        .post('/v1/beneficiaries/lookup')
        .set(fundA)
        .send({ nir: makeNir() })
        .expect(404);
      expect(stable(lookupTheirs.body)).toEqual(stable(lookupUnknown.body));
      expect(stable(lookupTheirs.body)).toEqual(stable(other.get.body));
      // Listing never shows them, whatever the page.
      let next: string | null = null;
      do {
        const res: { body: { items: any[]; next: string | null } } = await t
          .http()
          .get('/v1/beneficiaries')
          .query({ limit: 500, ...(next ? { after: next } : {}) })
          .set(fundA)
          .expect(200);
        for (const b of res.body.items) {
          expect(b.id).not.toBe(theirs.id);
          expect(b.affiliation.organismeCode).toBe(ORG_A);
        }
        next = res.body.next;
      } while (next);
      // Nothing changed and no read was recorded for them.
      expect(await writes()).toEqual(before);
      const row = (
        await t.dataSource.query(`SELECT first_name, version FROM beneficiary WHERE id = $1`, [theirs.id])
      )[0];
      expect(row).toEqual({ first_name: theirs.firstName, version: 1 });
    });

    it('stops reaching a beneficiary once its affiliation to the fund has ended', async () => {
      const b = await insertBeneficiary(t.dataSource, { organismeCode: ORG_A, affiliatedFrom: '2018-01-01' });
      await t.http().get(`/v1/beneficiaries/${b.id}`).set(fundA).expect(200);
      await t.dataSource.query(`UPDATE affiliation SET valid_to = $2 WHERE beneficiary_id = $1`, [b.id, parisToday()]);
      await t.http().get(`/v1/beneficiaries/${b.id}`).set(fundA).expect(404);
      await t.http().post('/v1/beneficiaries/lookup').set(fundA).send({ nir: b.nir }).expect(404);
      await t.http().get(`/v1/beneficiaries/${b.id}`).set(op).expect(200);
    });
  });

  describe('bulk import', () => {
    it('imports 100,000 rows: good rows all written in one go, each bad row reported by line with a stable code', async () => {
      const elsewhere: Awaited<ReturnType<typeof insertBeneficiary>>[] = [];
      for (let k = 0; k < 12; k++)
        elsewhere.push(await insertBeneficiary(t.dataSource, { nir: seqNir(k, 42), organismeCode: ORG_B }));
      const mine = await insertBeneficiary(t.dataSource, {
        nir: seqNir(100, 42),
        organismeCode: ORG_A,
        addressLines: ['OLD ADDRESS'],
      });
      let elsewhereUsed = 0;
      const badKinds: Array<[string, string | null, (i: number) => string]> = [
        ['NIR_KEY_MISMATCH', 'nir', (i) => csvLine({ ...person(i), nir: withWrongKey(seqNir(i)) })],
        ['NAME_INVALID_CHARACTERS', 'first_name', (i) => csvLine({ ...person(i), firstName: 'Jean3' })],
        ['NAME_TOO_LONG', 'birth_name', (i) => csvLine({ ...person(i), birthName: 'B'.repeat(64) })],
        ['DATE_INVALID', 'birth_date', (i) => csvLine({ ...person(i), birthDate: '1985-02-30' })],
        ['FIELD_COUNT', null, (i) => csvLine(person(i)).split(';').slice(0, 8).join(';')],
        ['DUPLICATE_IN_FILE', 'nir', (i) => csvLine({ ...person(i), nir: seqNir(i - 500) })],
        [
          'BENEFICIARY_AFFILIATED_ELSEWHERE',
          'nir',
          () => csvLine({ ...person(0), nir: elsewhere[elsewhereUsed++].nir }),
        ],
        [
          'ADDRESS_INVALID',
          'address_line_2',
          (i) => csvLine({ ...person(i), addressLines: ['1 RUE A', 'X'.repeat(39)] }),
        ],
        ['BIRTH_RANK_INVALID', 'birth_rank', (i) => csvLine({ ...person(i), birthRank: 'x' })],
        ['NIR_FORMAT', 'nir', (i) => csvLine({ ...person(i), nir: '12' })],
      ];
      const lines = [CSV_HEADER_LINE];
      const expected: { line: number; code: string; field: string | null }[] = [];
      const good: string[] = [];
      let bad = 0;
      for (let i = 0; i < 100_000; i++) {
        if (i === 50_000) lines.push(''); // a blank line: skipped, but physical numbering goes on
        if (i === 70_000) {
          lines.push(csvLine({ ...person(i), nir: mine.nir, addressLines: ['NEW ADDRESS 1', '75011 PARIS'] }));
          continue;
        }
        if (i % 997 === 996) {
          const [code, field, make] = badKinds[bad++ % badKinds.length];
          lines.push(make(i));
          expected.push({ line: lines.length, code, field });
          continue;
        }
        lines.push(csvLine(person(i)));
        good.push(seqNir(i));
      }
      const started = Date.now();
      const res = await uploadCsv(t, keyA, lines.join('\r\n') + '\r\n').expect(202);
      expect(res.headers.location).toBe(`/v1/beneficiaries/imports/${res.body.id}`);
      expect(res.body).toMatchObject({
        status: 'pending',
        totalRows: 100_000,
        format: 'csv',
        version: 'beneficiaries-import/1',
      });
      const report = await waitForImport(t, keyA, res.body.id, 120_000);
      const seconds = (Date.now() - started) / 1000;
      expect(report).toMatchObject({
        status: 'done',
        totalRows: 100_000,
        createdRows: good.length,
        updatedRows: 1,
        unchangedRows: 0,
        rejectedRows: expected.length,
        failure: null,
      });
      expect(seconds).toBeLessThan(90);

      const rejects = await allRejects(t, keyA, res.body.id);
      expect(rejects.map(({ line, code, field }) => ({ line, code, field }))).toEqual(expected);
      const rejectText = JSON.stringify(rejects);
      expect(rejectText).not.toMatch(/JEAN|Jean3|BBBB|1985-02-30|XXXX/);
      for (const e of elsewhere) expect(rejectText).not.toContain(e.nir);

      expect(await count(`SELECT count(*)::int AS n FROM beneficiary WHERE nir = ANY($1)`, [good])).toBe(good.length);
      expect(
        await count(
          `SELECT count(*)::int AS n FROM affiliation a JOIN beneficiary b ON b.id = a.beneficiary_id
          WHERE b.nir = ANY($1) AND a.organisme_code = $2 AND a.valid_from = '2024-01-01' AND a.valid_to IS NULL`,
          [good, ORG_A],
        ),
      ).toBe(good.length);
      const sample = await t
        .http()
        .post('/v1/beneficiaries/lookup')
        .set(fundA)
        .send({ nir: seqNir(12_345) })
        .expect(200);
      expect(sample.body).toMatchObject({
        firstName: 'HÉLÈNE',
        birthName: 'LE GOFF',
        addressLines: ['146 rue des Lilas', '75011 Paris'],
      });
      const updated = await t.http().get(`/v1/beneficiaries/${mine.id}`).set(fundA).expect(200);
      expect(updated.body).toMatchObject({ addressLines: ['NEW ADDRESS 1', '75011 PARIS'], version: 2 });
      const untouched = (
        await t.dataSource.query(`SELECT address_lines, version FROM beneficiary WHERE id = $1`, [elsewhere[0].id])
      )[0];
      expect(untouched).toEqual({ address_lines: elsewhere[0].addressLines, version: 1 });

      expect(
        await count(`SELECT count(*)::int AS n FROM audit_entry WHERE details->>'importId' = $1`, [res.body.id]),
      ).toBe(good.length + 1);
      expect(
        await count(
          `SELECT count(*)::int AS n FROM audit_entry WHERE action = 'bulk-import.processed' AND entity_id = $1`,
          [res.body.id],
        ),
      ).toBe(1);
      const stored = (
        await t.dataSource.query(`SELECT payload IS NULL AS dropped FROM bulk_import WHERE id = $1`, [res.body.id])
      )[0];
      expect(stored.dropped).toBe(true);

      // Running the job again (a redelivery after a crash) changes nothing.
      const before = await writes();
      await t.app.get(BulkImportsService).process(res.body.id);
      expect(await writes()).toEqual(before);
    }, 180_000);

    it('applies a file all or nothing: a run that crashes writes nothing, its retry writes everything once', async () => {
      const repo = t.app.get(BulkImportRepository);
      const rows = [0, 1, 2, 3].map((i) => csvLine(person(i, 47)));
      const payload = Buffer.from(
        [CSV_HEADER_LINE, ...rows, csvLine({ ...person(4, 47), birthDate: 'never' })].join('\n'),
      );
      const { id: partnerId } = await t.partner(PartnerKind.Fund, ORG_A);
      // Stored without a job, so the test drives the runs itself.
      const id = await t.dataSource.transaction((em) =>
        repo.insert(em, { organismeCode: ORG_A, partnerId, format: 'csv', payload, totalRows: 5, requestId: null }),
      );
      const before = await writes();
      const finish = repo.finish;
      repo.finish = async () => {
        throw new Error('power cut');
      };
      try {
        await expect(t.app.get(BulkImportsService).process(id)).rejects.toThrow(/failed: INTERNAL_ERROR/);
      } finally {
        repo.finish = finish;
      }
      expect(await writes()).toEqual(before);
      expect(await count(`SELECT count(*)::int AS n FROM bulk_import_reject WHERE import_id = $1`, [id])).toBe(0);
      const crashed = await t.http().get(`/v1/beneficiaries/imports/${id}`).set(fundA).expect(200);
      expect(crashed.body).toMatchObject({ status: 'processing', failure: 'INTERNAL_ERROR' });

      await t.app.get(BulkImportsService).process(id);
      await t.app.get(BulkImportsService).process(id);
      const done = await t.http().get(`/v1/beneficiaries/imports/${id}`).set(fundA).expect(200);
      expect(done.body).toMatchObject({ status: 'done', failure: null, totalRows: 5, createdRows: 4, rejectedRows: 1 });
      const after = await writes();
      expect(after.beneficiaries - before.beneficiaries).toBe(4);
      expect(after.affiliations - before.affiliations).toBe(4);
      expect(after.audit - before.audit).toBe(5);
    });

    it('records a failed statement by its SQLSTATE only (the repository reads the driver error, never the service)', async () => {
      const repo = t.app.get(BulkImportRepository);
      const payload = Buffer.from([CSV_HEADER_LINE, csvLine(person(5, 47))].join('\n'));
      const { id: partnerId } = await t.partner(PartnerKind.Fund, ORG_A);
      const id = await t.dataSource.transaction((em) =>
        repo.insert(em, { organismeCode: ORG_A, partnerId, format: 'csv', payload, totalRows: 1, requestId: null }),
      );
      const finish = repo.finish;
      repo.finish = async (em) => {
        await em.query('SELECT 1 / 0');
      };
      try {
        await expect(t.app.get(BulkImportsService).process(id)).rejects.toThrow(/failed: DATABASE_ERROR 22012$/);
      } finally {
        repo.finish = finish;
      }
      const failed = await t.http().get(`/v1/beneficiaries/imports/${id}`).set(fundA).expect(200);
      expect(failed.body).toMatchObject({ status: 'processing', failure: 'DATABASE_ERROR 22012' });
    });

    it('updates existing insured when a file is posted again, and counts identical rows as unchanged', async () => {
      const rows = [3, 4, 5].map((i) => ({
        ...person(i),
        addressLines: ['5 avenue Foch', '75116 Paris'],
        birthRank: 3,
      }));
      const text = [CSV_HEADER_LINE, ...rows.map(csvLine)].join('\n');
      const first = await waitForImport(t, keyA, (await uploadCsv(t, keyA, text).expect(202)).body.id);
      expect(first).toMatchObject({
        status: 'done',
        totalRows: 3,
        createdRows: 0,
        updatedRows: 3,
        unchangedRows: 0,
        rejectedRows: 0,
      });
      const b = await t
        .http()
        .post('/v1/beneficiaries/lookup')
        .set(fundA)
        .send({ nir: seqNir(4) })
        .expect(200);
      expect(b.body).toMatchObject({ addressLines: ['5 avenue Foch', '75116 Paris'], birthRank: 3, version: 2 });
      const audit = (await auditOf(b.body.id)).filter((a: { action: string }) => a.action === 'beneficiary.updated');
      expect(audit.at(-1).details).toMatchObject({ fields: ['birthRank', 'addressLines'] });
      const second = await waitForImport(t, keyA, (await uploadCsv(t, keyA, text).expect(202)).body.id);
      expect(second).toMatchObject({ status: 'done', createdRows: 0, updatedRows: 0, unchangedRows: 3 });
    });

    it('reads NDJSON with the same rules', async () => {
      const ok = {
        nir: seqNir(1, 43),
        firstName: 'Zoé',
        birthName: 'Nguyen',
        birthDate: '2001-09-30',
        addressLines: ['2 quai Est', '69002 Lyon'],
        birthRank: 1,
      };
      const text = [
        JSON.stringify(ok),
        JSON.stringify({ ...ok, nir: seqNir(2, 43), firstName: 'Zoé_' }),
        '{"nir": "broken',
        '',
        JSON.stringify({ ...ok, nir: seqNir(3, 43), unexpected: true }),
        JSON.stringify({ ...ok, nir: seqNir(4, 43), addressLines: undefined }),
        JSON.stringify({ ...ok, nir: seqNir(5, 43), affiliatedFrom: '2001-09-29' }),
      ].join('\n');
      const res = await t
        .http()
        .post('/v1/beneficiaries/imports')
        .set(fundA)
        .set('Content-Type', 'application/x-ndjson')
        .send(text)
        .expect(202);
      const report = await waitForImport(t, keyA, res.body.id);
      expect(report).toMatchObject({ status: 'done', format: 'ndjson', totalRows: 6, createdRows: 1, rejectedRows: 5 });
      expect((await allRejects(t, keyA, res.body.id)).map(({ line, code, field }) => [line, code, field])).toEqual([
        [2, 'NAME_INVALID_CHARACTERS', 'firstName'],
        [3, 'JSON_INVALID', null],
        [5, 'FIELD_UNKNOWN', 'unexpected'],
        [6, 'FIELD_MISSING', 'addressLines'],
        [7, 'DATE_INVALID', 'affiliatedFrom'],
      ]);
    });

    it('refuses a file that is not a beneficiaries-import/1 file as a whole, storing nothing', async () => {
      const imports = () => count(`SELECT count(*)::int AS n FROM bulk_import`);
      const before = await imports();
      const wrongType = await t.http().post('/v1/beneficiaries/imports').set(fundA).send({ rows: [] }).expect(415);
      expect(wrongType.body).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        accepted: ['text/csv', 'application/x-ndjson', 'application/jsonl'],
      });
      expect((await uploadCsv(t, keyA, 'nir,name\n1,2').expect(422)).body.code).toBe('IMPORT_HEADER_INVALID');
      expect((await uploadCsv(t, keyA, CSV_HEADER_LINE + '\n').expect(422)).body.code).toBe('IMPORT_EMPTY');
      const latin1 = Buffer.concat([
        Buffer.from(CSV_HEADER_LINE + '\n'),
        Buffer.from(csvLine(person(9, 44)), 'latin1'),
      ]);
      expect((await uploadCsv(t, keyA, latin1).expect(422)).body.code).toBe('IMPORT_ENCODING_INVALID');
      const saved = t.config.bulkImportMaxRows;
      t.config.bulkImportMaxRows = 2;
      try {
        const text = [CSV_HEADER_LINE, ...[1, 2, 3].map((i) => csvLine(person(i, 44)))].join('\n');
        expect((await uploadCsv(t, keyA, text).expect(422)).body.code).toBe('IMPORT_TOO_MANY_ROWS');
      } finally {
        t.config.bulkImportMaxRows = saved;
      }
      expect((await uploadCsv(t, t.operatorKey, CSV_HEADER_LINE).expect(403)).body.code).toBe('PARTNER_KIND_FORBIDDEN');
      expect(await imports()).toBe(before);
    });

    it("a change of civil status by import rewrites the identity record of the insured's card in use (the chip follows the register)", async () => {
      const b = await insertBeneficiary(t.dataSource, {
        nir: seqNir(1, 88),
        organismeCode: ORG_A,
        birthDate: '1985-03-12',
      });
      const [card] = await t.dataSource.query(
        `INSERT INTO card (beneficiary_id, organisme_code, state, serial) VALUES ($1, $2, 'active', 999999999001) RETURNING id`,
        [b.id, ORG_A],
      );
      const text = [CSV_HEADER_LINE, csvLine({ ...person(1, 88), firstName: 'Héloïse', birthName: 'Le Goff' })].join(
        '\n',
      );
      const id = (await uploadCsv(t, keyA, text).expect(202)).body.id;
      expect(await waitForImport(t, keyA, id)).toMatchObject({ status: 'done', updatedRows: 1 });
      const [identity] = await t.dataSource.query(
        `SELECT content, version FROM card_data_record WHERE card_id = $1 AND record_type = 'identity'`,
        [card.id],
      );
      expect(identity).toMatchObject({
        version: 3,
        content: { nir: b.nir, firstName: 'HÉLOÏSE', birthName: 'LE GOFF' },
      });
      const audit = await t.dataSource.query(
        `SELECT details FROM audit_entry WHERE action = 'card.data_changed' AND entity_id = $1`,
        [card.id],
      );
      expect(audit).toEqual([
        { details: { serial: '999999999001', recordType: 'identity', version: 3, source: 'register' } },
      ]);
    });

    it('shows an import only to the fund that uploaded it (and to operators)', async () => {
      const text = [CSV_HEADER_LINE, csvLine(person(1, 45)), csvLine({ ...person(2, 45), firstName: '9' })].join('\n');
      const id = (await uploadCsv(t, keyA, text).expect(202)).body.id;
      await waitForImport(t, keyA, id);
      const theirs = await t.http().get(`/v1/beneficiaries/imports/${id}`).set(fundB).expect(404);
      const unknown = await t.http().get(`/v1/beneficiaries/imports/${RANDOM_ID}`).set(fundB).expect(404);
      expect(theirs.body.code).toBe('IMPORT_NOT_FOUND');
      expect(stable(theirs.body)).toEqual(stable(unknown.body));
      const rejectsTheirs = await t.http().get(`/v1/beneficiaries/imports/${id}/rejects`).set(fundB).expect(404);
      expect(stable(rejectsTheirs.body)).toEqual(stable(unknown.body));
      await t.http().get(`/v1/beneficiaries/imports/not-an-id`).set(fundB).expect(404);
      const mine = await t
        .http()
        .get(`/v1/beneficiaries/imports/${id}/rejects`)
        .query({ after: 0, limit: 10 })
        .set(fundA)
        .expect(200);
      expect(mine.body).toEqual({
        items: [{ line: 3, code: 'NAME_INVALID_CHARACTERS', field: 'first_name', message: expect.any(String) }],
        next: null,
      });
      await t.http().get(`/v1/beneficiaries/imports/${id}`).set(op).expect(200);
    });

    it('purges finished imports past their retention through the job, which the cron enqueues once a day', async () => {
      const text = [CSV_HEADER_LINE, csvLine({ ...person(1, 46), birthDate: 'x' })].join('\n');
      const oldId = (await uploadCsv(t, keyA, text).expect(202)).body.id;
      const recentId = (await uploadCsv(t, keyA, text.replace(seqNir(1, 46), seqNir(2, 46))).expect(202)).body.id;
      await waitForImport(t, keyA, oldId);
      await waitForImport(t, keyA, recentId);
      await t.dataSource.query(`UPDATE bulk_import SET finished_at = now() - interval '91 days' WHERE id = $1`, [
        oldId,
      ]);

      const jobs = () =>
        count(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [JobName.RegisterPurgeImports]);
      const scheduler = t.app.get(JobScheduler);
      const before = await jobs();
      await scheduler.tick(JobName.RegisterPurgeImports);
      await scheduler.tick(JobName.RegisterPurgeImports); // singleton: once a day
      expect(await jobs()).toBe(before + 1);

      const until = Date.now() + 30_000;
      while ((await count(`SELECT count(*)::int AS n FROM bulk_import WHERE id = $1`, [oldId])) > 0) {
        if (Date.now() > until) throw new Error('purge did not run');
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await count(`SELECT count(*)::int AS n FROM bulk_import_reject WHERE import_id = $1`, [oldId])).toBe(0);
      await t.http().get(`/v1/beneficiaries/imports/${oldId}`).set(fundA).expect(404);
      await t.http().get(`/v1/beneficiaries/imports/${recentId}`).set(fundA).expect(200);
      expect(await count(`SELECT count(*)::int AS n FROM audit_entry WHERE action = 'bulk-import.purged'`)).toBe(1);
    });
  });
});

describe('register logs', () => {
  it('never writes a NIR or a name carried by a request', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const t = await startTestApp({ bulkImportMaxBytes: 4096 }, { logStream: sink });
    try {
      const { key } = await t.partner(PartnerKind.Fund, ORG_A);
      const h = bearer(key);
      const nir = makeNir();
      const body = newPerson({
        nir,
        firstName: 'Zéphyrine',
        birthName: 'Quintavalle',
        usageName: 'Ombredanne',
        addressLines: ['7 impasse Bellerose', '13001 Marseille'],
      });
      const created = await t.http().post('/v1/beneficiaries').set(h).send(body).expect(201);
      await t.http().post('/v1/beneficiaries').set(h).send(body).expect(409);
      await t
        .http()
        .post('/v1/beneficiaries')
        .set(h)
        .send({ ...body, nir: withWrongKey(nir) })
        .expect(422);
      await t
        .http()
        .post('/v1/beneficiaries')
        .set(h)
        .send({ ...body, firstName: 'Zéphyrine9' })
        .expect(422);
      await t.http().post('/v1/beneficiaries/lookup').set(h).send({ nir }).expect(200);
      await t.http().get(`/v1/beneficiaries/${created.body.id}`).set(h).expect(200);
      await t
        .http()
        .patch(`/v1/beneficiaries/${created.body.id}`)
        .set(h)
        .send({ version: 1, birthName: 'Quintavalle-Ombredanne' })
        .expect(200);
      const nir2 = makeNir();
      const csv = [
        CSV_HEADER_LINE,
        csvLine({
          nir: nir2,
          firstName: 'Philibertine',
          birthName: 'Vauquelinot',
          birthDate: '1970-01-01',
          addressLines: ['9 rue Sainte-Gudule'],
        }),
        csvLine({
          nir: withWrongKey(makeNir()),
          firstName: 'Philibertine',
          birthName: 'Vauquelinot',
          birthDate: '1970-01-01',
          addressLines: ['9 rue Sainte-Gudule'],
        }),
      ].join('\n');
      const imp = await uploadCsv(t, key, csv).expect(202);
      await waitForImport(t, key, imp.body.id);
      const tooBig = await uploadCsv(t, key, CSV_HEADER_LINE + '\n' + `${csvLine(person(1))}\n`.repeat(60)).expect(413);
      expect(tooBig.body.code).toBe('PAYLOAD_TOO_LARGE');

      const text = lines.join('');
      expect(text).toContain('/v1/beneficiaries/lookup');
      expect(text).toContain('bulk import processed');
      for (const secret of [
        nir,
        nir.slice(0, 13),
        nir2,
        'ZÉPHYRINE',
        'Zéphyrine',
        'QUINTAVALLE',
        'Quintavalle',
        'OMBREDANNE',
        'Bellerose',
        'Philibertine',
        'PHILIBERTINE',
        'Vauquelinot',
        'Gudule',
      ]) {
        expect(text, secret).not.toContain(secret);
      }
    } finally {
      await t.close();
    }
  });
});
