import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { parseReferenceCsv } from '../src/regimes/reference-csv.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const HEADER = 'organisme_code;regime_name;fund_name;centre_name;city';

describe('regimes reference data', () => {
  let t: TestApp;
  let fundKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    fundKey = (await t.partner(PartnerKind.Fund, '017510001')).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is seeded with the bundled regimes, funds and centres', async () => {
    const regimes = await t.http().get('/v1/regimes').set(bearer(fundKey)).expect(200);
    expect(regimes.body.items.map((r: { code: string }) => r.code)).toEqual(
      expect.arrayContaining(['01', '02', '04', '05', '08', '17']),
    );
    const orgs = await t.http().get('/v1/organismes').query({ regime: '01' }).set(bearer(fundKey)).expect(200);
    expect(orgs.body.next).toBeNull();
    expect(orgs.body.items.length).toBeGreaterThan(5);
    expect(orgs.body.items.every((o: { code: string }) => /^01\d{7}$/.test(o.code))).toBe(true);
    const one = await t.http().get('/v1/organismes/017510001').set(bearer(fundKey)).expect(200);
    expect(one.body).toMatchObject({ code: '017510001', fundCode: '01751', regimeCode: '01' });
    const missing = await t.http().get('/v1/organismes/999999999').set(bearer(fundKey)).expect(404);
    expect(missing.body.code).toBe('ORGANISME_NOT_FOUND');
    await t.http().get('/v1/organismes').query({ regime: 'x1' }).set(bearer(fundKey)).expect(400);
  });

  it('validates codes and consistency, reporting every bad line', () => {
    const { rows, errors } = parseReferenceCsv(
      [
        HEADER,
        '017510009;Régime général;CPAM de Paris;Centre 9;Paris',
        '01751000;Régime général;CPAM de Paris;Short code;Paris',
        '007510001;Nul;Nul;Regime zero;Paris',
        '017510010;Autre nom;CPAM de Paris;Conflicting regime name;Paris',
        '017510011;Régime général;CPAM de Paris;Bad <script>;Paris',
        '017510009;Régime général;CPAM de Paris;Centre 9 again;Paris',
        'only;three;fields',
      ].join('\n'),
    );
    expect(rows).toBeUndefined();
    expect(errors.map((e) => [e.line, e.code])).toEqual([
      [3, 'ORGANISME_CODE_INVALID'],
      [4, 'ORGANISME_CODE_INVALID'],
      [5, 'REGIME_NAME_CONFLICT'],
      [6, 'NAME_INVALID'],
      [7, 'DUPLICATE_ORGANISME'],
      [8, 'FIELD_COUNT'],
    ]);
  });

  it('loads an operator file all or nothing over HTTP', async () => {
    const bad = [HEADER, '049990001;Caisse SNCF;CPRP SNCF;Centre test;Marseille', '04999;x;y;z;w'].join('\n');
    const refused = await t
      .http()
      .post('/v1/reference/organismes')
      .set(bearer(t.operatorKey))
      .set('content-type', 'text/csv')
      .send(bad)
      .expect(422);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(refused.body.code).toBe('REFERENCE_FILE_INVALID');
    expect(refused.body.errors).toEqual([expect.objectContaining({ line: 3, code: 'ORGANISME_CODE_INVALID' })]);
    await t.http().get('/v1/organismes/049990001').set(bearer(fundKey)).expect(404);

    const good = [HEADER, '049990001;Caisse SNCF;CPRP SNCF;Centre test;Marseille'].join('\r\n');
    const ok = await t
      .http()
      .post('/v1/reference/organismes')
      .set(bearer(t.operatorKey))
      .set('content-type', 'text/csv')
      .send(good)
      .expect(201);
    expect(ok.body.written.organismes).toBe(1);
    await t.http().get('/v1/organismes/049990001').set(bearer(fundKey)).expect(200);

    const byFund = await t
      .http()
      .post('/v1/reference/organismes')
      .set(bearer(fundKey))
      .set('content-type', 'text/csv')
      .send(good)
      .expect(403);
    expect(byFund.body.code).toBe('PARTNER_KIND_FORBIDDEN');
  });

  it('answers malformed JSON with a problem document', async () => {
    const res = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .set('content-type', 'application/json')
      .send('{"kind":');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.code).toBe('MALFORMED_BODY');
  });
});
