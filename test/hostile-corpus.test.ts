import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { ALL_PARTNER_KINDS, PartnerKind } from '../src/partners/partner-kind.enum.js';
import { cardIn } from './support/card-fixtures.js';
import { type HostileCase, type RawAnswer, sendRaw, stateDigest } from './support/hostile.js';
import { dtoProperties, discoverRoutes, type RouteInfo } from './support/routes.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/*
 * A hostile partner's corpus sent to every route Nest knows (discovered from its metadata, as the auth test does,
 * so a new controller is swept without being listed), with a valid key of a kind the route allows. Every request
 * must be refused with a 4xx problem document carrying a code, small, that does not repeat what was sent, and
 * must leave the database and the data folder as they were.
 */

const CANARY = 'CANARY';
const NIR = '185057512345678';
const MAX_PROBLEM = 16 * 1024;
const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

type Case = HostileCase;
type Answer = RawAnswer;

describe('a hostile corpus on every route', () => {
  let t: TestApp;
  let port: number;
  let routes: RouteInfo[];
  const keys = new Map<PartnerKind, string>();
  let serial: string;
  let beneficiaryId: string;
  const problems: string[] = [];

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false, bulkImportMaxBytes: 256 * 1024, photoMaxBytes: 64 * 1024 });
    for (const kind of ALL_PARTNER_KINDS)
      keys.set(kind, (await t.partner(kind, kind === PartnerKind.Fund ? '017510001' : undefined)).key);
    const card = await cardIn(t.dataSource, CardState.Active, { organismeCode: '017510001' });
    serial = card.serial12;
    beneficiaryId = card.beneficiaryId;
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    routes = discoverRoutes(t);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const send = (method: string, c: Case, key: string | undefined): Promise<Answer> =>
    sendRaw(port, method, c, key ? { authorization: `Bearer ${key}` } : {});

  const value = (param: string, routePath: string): string => {
    if (param === 'serial') return serial;
    if (param === 'id' && routePath.startsWith('/v1/beneficiaries/:id')) return beneficiaryId;
    if (param === 'code') return '017510001';
    if (param === 'number') return '1';
    if (param === 'recordType') return 'identity';
    if (param === 'token') return 'A'.repeat(43);
    return PLACEHOLDER_ID;
  };
  const pathWith = (r: RouteInfo, replace: Record<string, string> = {}) =>
    r.path.replace(/:(\w+)/g, (_, name: string) => replace[name] ?? value(name, r.path));
  const keyFor = (r: RouteInfo) =>
    r.isPublic ? undefined : keys.get(r.allowed.includes(PartnerKind.Fund) ? PartnerKind.Fund : r.allowed[0]);

  const digest = () => stateDigest(t);

  function check(r: RouteInfo, c: Case, a: Answer): void {
    const where = `${r.method} ${r.path} [${c.label}] → ${a.status}`;
    const faults: string[] = [];
    if (a.status < 400 || a.status > 499) faults.push(`status ${a.status}`);
    if (!/^application\/problem\+json/.test(a.contentType)) faults.push(`content-type ${a.contentType}`);
    if (a.text.length >= MAX_PROBLEM) faults.push(`${a.text.length} bytes`);
    if (a.text.toUpperCase().includes(CANARY) || a.text.includes(NIR)) faults.push('echoes the input');
    let code: unknown;
    try {
      code = JSON.parse(a.text).code;
    } catch {
      faults.push('not JSON');
    }
    if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]+$/.test(code)) faults.push(`code ${String(code)}`);
    if (faults.length) problems.push(`${where}: ${faults.join(', ')} ${a.text.slice(0, 160)}`);
  }

  async function sweep(build: (r: RouteInfo) => Case[]): Promise<number> {
    let sent = 0;
    for (const r of routes) {
      const cases = build(r);
      if (cases.length === 0) continue;
      const before = await digest();
      for (const c of cases) {
        check(r, c, await send(r.method, c, keyFor(r)));
        sent++;
      }
      const after = await digest();
      if (after !== before) {
        const changed = after
          .split('\n')
          .filter((line) => !before.split('\n').includes(line))
          .map((l) => l.split(':')[0]);
        problems.push(`${r.method} ${r.path}: state changed (${changed.join(', ')})`);
      }
    }
    return sent;
  }

  it('discovers the routes to sweep', () => {
    expect(routes.length).toBeGreaterThan(60);
  });

  it('refuses overlong, control-character and wrong path parameters', async () => {
    problems.length = 0;
    const sent = await sweep((r) =>
      r.params.flatMap((p) => [
        { label: `overlong ${p}`, path: pathWith(r, { [p]: CANARY + 'x'.repeat(300) }) },
        { label: `control ${p}`, path: pathWith(r, { [p]: `${CANARY}%00%1B%E2%80%AE` }) },
        { label: `wrong ${p}`, path: pathWith(r, { [p]: `${CANARY}-${NIR}` }) },
      ]),
    );
    expect(sent).toBeGreaterThan(50);
    expect(problems).toEqual([]);
  }, 300_000);

  it('refuses unknown, prototype, control-character, overlong and repeated query parameters', async () => {
    problems.length = 0;
    const sent = await sweep((r) => {
      const base = pathWith(r);
      return [
        { label: 'unknown query', path: `${base}?${CANARY}=${NIR}` },
        { label: 'prototype query', path: `${base}?__proto__=${CANARY}&constructor=${CANARY}` },
        ...r.queryProperties.flatMap((q) => [
          { label: `control ${q}`, path: `${base}?${q}=${CANARY}%00%E2%80%AE` },
          { label: `overlong ${q}`, path: `${base}?${q}=${CANARY}${'x'.repeat(5000)}` },
          { label: `repeated ${q}`, path: `${base}?${q}=${CANARY}&${q}=${NIR}` },
        ]),
      ];
    });
    expect(sent).toBeGreaterThan(150);
    expect(problems).toEqual([]);
  }, 300_000);

  it('refuses deep, large, control-character, mistyped, duplicate-key, prototype-key and mis-labelled bodies', async () => {
    problems.length = 0;
    const sent = await sweep((r) => {
      if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)) return [];
      const p = pathWith(r);
      const props = r.bodyDto ? dtoProperties(r.bodyDto) : ['content'];
      const all = (v: unknown) => JSON.stringify(Object.fromEntries(props.map((k) => [k, v])));
      const json = (label: string, body: string): Case => ({ label, path: p, contentType: 'application/json', body });
      const accepted = r.consumes[0] ?? 'application/json';
      const large = accepted.startsWith('multipart/')
        ? multipart('file', Buffer.alloc(2 * 1024 * 1024, 0x41))
        : {
            contentType: accepted,
            body:
              accepted === 'application/json'
                ? `{"${CANARY}":"${'x'.repeat(2 * 1024 * 1024)}"}`
                : `${CANARY};${'x'.repeat(2 * 1024 * 1024)}`,
          };
      return [
        json('deep', `{"${CANARY}":${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
        { label: 'large', path: p, ...large },
        json('control characters', all(`${CANARY}\u0000\u001b\u202e${NIR}`)),
        json('wrong types', all({ [CANARY]: [Number(NIR)] })),
        json('array', `["${CANARY}", ${NIR}]`),
        json('string', `"${CANARY}"`),
        json('number', NIR),
        json('null', 'null'),
        json('duplicate keys', `{"${props[0]}":"${CANARY}","${props[0]}":"${NIR}"}`),
        json('duplicate unknown keys', `{"${CANARY}":1,"${CANARY}":2}`),
        json('__proto__', `{"__proto__":{"${CANARY}":${NIR}}}`),
        json('constructor', `{"constructor":{"prototype":{"${CANARY}":${NIR}}}}`),
        json('not JSON', `{"${CANARY}": ${NIR}xx`),
        { label: 'csv', path: p, contentType: 'text/csv', body: `${CANARY}\u0000;\u202e${NIR}\n` },
        {
          label: 'form',
          path: p,
          contentType: 'application/x-www-form-urlencoded',
          body: `{"nir":"${NIR}","${CANARY}":1}`,
        },
        { label: 'xml', path: p, contentType: 'application/xml', body: `<${CANARY}>${NIR}</${CANARY}>` },
        { label: 'text', path: p, contentType: 'text/plain', body: `${CANARY} ${NIR}`.repeat(1000) },
        { label: 'no content type', path: p, body: `{"${CANARY}":"${NIR}"}` },
        {
          label: 'garbage multipart',
          path: p,
          contentType: 'multipart/form-data; boundary=zz',
          body: `--zz\r\n${CANARY}${NIR}\r\n`,
        },
      ];
    });
    expect(sent).toBeGreaterThan(400);
    expect(problems).toEqual([]);
  }, 600_000);
});

function multipart(field: string, content: Buffer): { contentType: string; body: Buffer } {
  const boundary = 'hostileboundary';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${CANARY}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}
