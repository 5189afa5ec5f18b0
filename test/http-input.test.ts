import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { ALL_PARTNER_KINDS, PartnerKind } from '../src/partners/partner-kind.enum.js';
import { readRoutePolicies } from '../src/platform/auth/route-policies.js';
import { toProblem } from '../src/platform/errors/problem.filter.js';
import { cardIn } from './support/card-fixtures.js';
import { makeNir } from './support/factories.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const ORG = '017510001';
const NIR = '185057512345678';
const MIB = 1024 * 1024;

/** Sends the request head only (no body bytes) and returns what the server answers within `ms`, or null. */
function headOnly(port: number, head: string, ms = 5000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const done = (v: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(got || null), ms);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n') && /"code"/.test(got)) done(got);
    });
    socket.on('error', () => done(got || null));
    socket.on('close', () => done(got || null));
    socket.write(head);
  });
}

describe('requests are authenticated, typed and bounded before their body is read', () => {
  let t: TestApp;
  let port: number;
  let fund: string;

  beforeAll(async () => {
    t = await startTestApp({ bulkImportMaxBytes: 4 * MIB });
    fund = (await t.partner(PartnerKind.Fund, ORG)).key;
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 to a caller without a valid key before reading a byte of its body', async () => {
    // Bodies within every limit, announced and never sent: only a server that authenticates first can answer.
    for (const [auth, code] of [
      ['', 'AUTH_REQUIRED'],
      ['Authorization: Bearer vk_000000000000_' + 'A'.repeat(43) + '\r\n', 'AUTH_INVALID'],
    ]) {
      for (const [path, type] of [
        ['/v1/beneficiaries/imports', 'text/csv'],
        ['/v1/beneficiaries', 'application/json'],
        ['/v1/beneficiaries', 'text/csv'],
      ]) {
        const answer = await headOnly(
          port,
          `POST ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: ${type}\r\nContent-Length: ${MIB - 1}\r\n\r\n`,
        );
        expect(answer, `${path} ${type} ${code}`).not.toBeNull();
        expect(answer).toMatch(/^HTTP\/1\.1 401/);
        expect(answer).toContain(`"code":"${code}"`);
      }
    }
  });

  it('refuses an unknown or malformed photo upload link before reading a byte of the photo', async () => {
    for (const token of ['A'.repeat(43), 'not-a-token']) {
      const answer = await headOnly(
        port,
        `POST /v1/photo-uploads/${token} HTTP/1.1\r\nHost: x\r\n` +
          `Content-Type: multipart/form-data; boundary=b\r\nContent-Length: ${MIB - 1}\r\n\r\n`,
      );
      expect(answer, token).toMatch(/^HTTP\/1\.1 404/);
      expect(answer).toContain('"code":"UPLOAD_LINK_INVALID"');
    }
  });

  it("answers what Node's HTTP parser refuses with a problem document too, and closes the connection", async () => {
    for (const head of [
      'GARBAGE\r\n\r\n',
      'FOO /v1/me HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /v1/me HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'POST /v1/me HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    ]) {
      const answer = await headOnly(port, head);
      expect(answer, head).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toMatch(/content-type: application\/problem\+json/i);
      expect(answer).toContain('"code":"HTTP_REQUEST_MALFORMED"');
    }
    const big = await headOnly(port, `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(big).toContain('"code":"REQUEST_HEADERS_TOO_LARGE"');
  });

  it('reads the Bearer scheme in any case, and refuses two Authorization headers (which partner is asking?)', async () => {
    const get = (headers: string) => headOnly(port, `GET /v1/me HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/me`, { headers: { authorization: `${scheme} ${fund}` } });
      expect(res.status, scheme).toBe(200);
    }
    const other = (await t.partner(PartnerKind.Kiosk)).key;
    for (const pair of [
      [fund, other],
      [fund, fund],
    ]) {
      const answer = await get(pair.map((k) => `Authorization: Bearer ${k}\r\n`).join(''));
      expect(answer).toMatch(/^HTTP\/1\.1 401/);
      expect(answer).toContain('"code":"AUTH_INVALID"');
    }
  });

  it('answers 403 to a key of a kind the route does not take before reading a byte of its body, whatever the media type', async () => {
    // Uploads included: a kiosk's key on a fund's import once had its 128 MB body read, kept, and then refused.
    const keys = new Map<PartnerKind, string>([[PartnerKind.Fund, fund]]);
    for (const kind of ALL_PARTNER_KINDS.filter((k) => k !== PartnerKind.Fund))
      keys.set(kind, (await t.partner(kind)).key);
    const routes = [...readRoutePolicies(t.app).values()].filter((r) => !r.isPublic && !r.console && r.takesBody);
    let checked = 0;
    for (const r of routes) {
      const kind = ALL_PARTNER_KINDS.find((k) => !r.allowed.includes(k));
      if (!kind) continue;
      const path = r.path.replace(/:[a-zA-Z]+/g, '00000000-0000-4000-8000-000000000000');
      for (const type of [r.consumes[0], 'application/x-not-declared']) {
        const answer = await headOnly(
          port,
          `${r.method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keys.get(kind)}\r\n` +
            `Content-Type: ${type}\r\nContent-Length: ${MIB - 1}\r\n\r\n`,
        );
        expect(answer, `${r.name} as ${kind}, ${type}`).toMatch(/^HTTP\/1\.1 403/);
        expect(answer).toContain('"code":"PARTNER_KIND_FORBIDDEN"');
        checked++;
      }
    }
    expect(routes.filter((r) => r.bulkUpload).length).toBeGreaterThan(2);
    expect(checked).toBeGreaterThan(40);
  });

  it('refuses a media type the route does not declare with 415 naming the one it takes, before reading the body', async () => {
    const csv = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .set('content-type', 'text/csv')
      .send('kind,name\nfund,x\n')
      .expect(415);
    expect(csv.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(csv.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', accepted: ['application/json'] });
    expect(csv.body.detail).toContain('application/json');

    const json = await t.http().post('/v1/beneficiaries/imports').set(bearer(fund)).send({ rows: [] }).expect(415);
    expect(json.body).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      accepted: ['text/csv', 'application/x-ndjson', 'application/jsonl'],
    });
    expect(json.body.detail).toContain('text/csv');

    const photo = await t
      .http()
      .post('/v1/photos')
      .set(bearer((await t.partner(PartnerKind.DigitisationCentre)).key))
      .send({ formNumber: '10000016' })
      .expect(415);
    expect(photo.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', accepted: ['multipart/form-data'] });

    // A body without a Content-Type, and one labelled as a form, are not guessed at.
    const none = await headOnly(
      port,
      `POST /v1/partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.operatorKey}\r\nContent-Length: ${MIB - 1}\r\n\r\n`,
    );
    expect(none).toMatch(/^HTTP\/1\.1 415/);
    const form = await t
      .http()
      .post('/v1/beneficiaries/lookup')
      .set(bearer(fund))
      .type('form')
      .send(`{"nir":"${NIR}"}`)
      .expect(415);
    expect(JSON.stringify(form.body)).not.toContain(NIR);
  });

  it('reads 1 MiB on JSON routes and BULK_IMPORT_MAX_BYTES only on the file uploads', async () => {
    const big = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .set('content-type', 'application/json')
      .send(JSON.stringify({ kind: 'kiosk', name: 'x', pad: 'x'.repeat(1.5 * MIB) }))
      .expect(413);
    expect(big.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', maxBytes: MIB });

    const header =
      'nir;first_name;birth_name;usage_name;birth_date;birth_rank;address_line_1;address_line_2;address_line_3;address_line_4;address_line_5;address_line_6;affiliated_from';
    const line = `${makeNir()};JEAN;DUPONT;;1985-05-14;1;1 RUE A;75011 PARIS;;;;;\n`;
    const file = `${header}\n${line.repeat(Math.ceil((1.5 * MIB) / line.length))}`;
    expect(file.length).toBeGreaterThan(1.5 * MIB);
    const upload = await t
      .http()
      .post('/v1/beneficiaries/imports')
      .set(bearer(fund))
      .set('content-type', 'text/csv')
      .send(file);
    expect(upload.status, JSON.stringify(upload.body)).not.toBe(413);
    expect(upload.status).toBeLessThan(500);
  });

  it('refuses a body on a route that reads none, and a query string on a route that reads none', async () => {
    await t.http().post('/v1/personalisation/batches/run').set(bearer(t.operatorKey)).send({}).expect(202);
    const body = await t
      .http()
      .post('/v1/personalisation/batches/run')
      .set(bearer(t.operatorKey))
      .send({ kind: 'full' })
      .expect(400);
    expect(body.body.code).toBe('BODY_NOT_ACCEPTED');
    const query = await t.http().get('/v1/me').query({ debug: 1 }).set(bearer(fund)).expect(400);
    expect(query.body.code).toBe('QUERY_NOT_ACCEPTED');
    await t.http().get('/v1/me').set(bearer(fund)).expect(200);
  });

  it('keeps error documents small and free of the input: a 1 MB text body, 5,000 unknown properties, 1,000 bad entries', async () => {
    const text = await t
      .http()
      .post('/v1/beneficiaries/lookup')
      .set(bearer(fund))
      .set('content-type', 'text/plain')
      .send(`${NIR} `.repeat(60_000));
    expect(text.status).toBe(415);
    expect(text.text.length).toBeLessThan(2048);

    const unknown = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`${NIR}_${i}`, i]));
    const many = await t
      .http()
      .post('/v1/beneficiaries/lookup')
      .set(bearer(fund))
      .send({ nir: NIR, ...unknown })
      .expect(400);
    expect(many.text.length).toBeLessThan(2048);
    expect(many.text).not.toContain(NIR);
    expect(many.body.errors).toEqual([{ field: '', messages: ['5000 unknown properties: the body takes only nir'] }]);
    // A query parameter the route does not take is the query string's, not the body's.
    const query = await t.http().get('/v1/events?since=5').set(bearer(fund)).expect(400);
    expect(query.body.errors[0].messages[0]).toMatch(/^1 unknown property: the query string takes only /);

    const mappings = Array.from({ length: 499 }, () => ({ fromOrganismeCode: 'x', toOrganismeCode: 'y' }));
    const capped = await t
      .http()
      .post('/v1/regime-transfers')
      .set(bearer(t.operatorKey))
      .send({ effectiveDate: '2030-01-01', mappings: [...mappings, { [NIR]: 1 }] })
      .expect(400);
    expect(capped.body.errors).toHaveLength(20);
    // 998 bad codes, then the unknown property (counted, not named) and the two missing codes of the last mapping.
    expect(capped.body.errorCount).toBe(1001);
    expect(capped.body.errors[0]).toEqual({
      field: 'mappings[0].fromOrganismeCode',
      messages: ['mappings[0].fromOrganismeCode must be 9 digits'],
    });
    expect(capped.text).not.toContain(NIR);
    expect(capped.text.length).toBeLessThan(16 * 1024);
  });

  it('never repeats a path parameter a message would quote', async () => {
    const card = await cardIn(t.dataSource, CardState.Active, { organismeCode: ORG });
    const res = await t.http().get(`/v1/cards/${card.serial12}/data/SECRET${NIR}`).set(bearer(fund));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toContain(NIR);
  });

  it('refuses 10,000 levels of nesting with 400 JSON_TOO_DEEP before validation', async () => {
    const deep = `{"nir":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const res = await t
      .http()
      .post('/v1/beneficiaries/lookup')
      .set(bearer(fund))
      .set('content-type', 'application/json')
      .send(deep)
      .expect(400);
    expect(res.body).toMatchObject({ code: 'JSON_TOO_DEEP', maxDepth: 32 });
  });

  it('refuses NUL and other control characters anywhere: JSON text, query strings, path parameters (never a 500)', async () => {
    const card = await cardIn(t.dataSource, CardState.Active, { organismeCode: ORG });
    const identity = { nir: makeNir(), firstName: 'JEAN\u0000', birthName: 'DUPONT', birthDate: '1985-05-14' };
    const chip = await t
      .http()
      .put(`/v1/cards/${card.serial12}/data/identity`)
      .set(bearer(fund))
      .send({ content: identity })
      .expect(400);
    expect(chip.body.code).toBe('TEXT_NOT_PRINTABLE');

    const partner = await t
      .http()
      .post('/v1/partners')
      .set(bearer(t.operatorKey))
      .send({ kind: 'kiosk', name: 'Pharmacie \u202Etxet' })
      .expect(400);
    expect(partner.body.code).toBe('TEXT_NOT_PRINTABLE');

    const query = await t.http().get('/v1/beneficiaries').query({ after: 'abc\u0000' }).set(bearer(fund)).expect(400);
    expect(query.body.errors).toEqual([
      {
        field: 'after',
        messages: [
          'after must hold printable characters only (no control, zero-width or bidirectional-override characters)',
        ],
      },
    ]);

    const param = await t.http().get(`/v1/cards/${card.serial12}/data/identity%00`).set(bearer(fund)).expect(400);
    expect(param.body).toMatchObject({ code: 'PATH_PARAMETER_INVALID', parameter: 'recordType' });
  });

  it("answers a PostgreSQL data exception (class 22) with 400 INVALID_INPUT, without the database's message", async () => {
    const error = await t.dataSource.query(`SELECT $1::int`, [`${NIR}x`]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    const { problem, cause } = toProblem(error, 'r1');
    expect(problem).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect(JSON.stringify(problem)).not.toContain(NIR);
    expect(cause).toBeUndefined();
    // Other database errors stay server faults.
    const other = await t.dataSource.query(`SELECT * FROM no_such_table`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(toProblem(other).problem.status).toBe(500);
  });

  it('says a missing field "is required", one clear message per field, with the limits of the register', async () => {
    const missing = await t.http().post('/v1/beneficiaries/lookup').set(bearer(fund)).send({}).expect(400);
    expect(missing.body.errors).toEqual([{ field: 'nir', messages: ['nir is required'] }]);

    const typed = await t.http().get('/v1/beneficiaries').query({ limit: 'abc' }).set(bearer(fund)).expect(400);
    expect(typed.body.errors).toEqual([{ field: 'limit', messages: ['limit must be an integer number'] }]);

    const person = {
      nir: makeNir(),
      firstName: 'A'.repeat(250),
      birthName: 'DUPONT',
      birthDate: '1985-05-14',
      addressLines: ['1 RUE A', '75011 PARIS'],
    };
    const long = await t.http().post('/v1/beneficiaries').set(bearer(fund)).send(person).expect(422);
    expect(long.body).toMatchObject({ code: 'NAME_TOO_LONG', field: 'firstName' });
    expect(long.body.detail).toContain('45');
    const doc = await t.http().get('/docs-json').expect(200);
    expect(doc.body.components.schemas.CreateBeneficiaryDto.properties.firstName.maxLength).toBe(45);

    const noName = await t
      .http()
      .post('/v1/beneficiaries')
      .set(bearer(fund))
      .send({ ...person, firstName: undefined })
      .expect(400);
    expect(noName.body.errors).toEqual([{ field: 'firstName', messages: ['firstName is required'] }]);
  });
});
