import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Schema[];
  allOf?: Schema[];
  required?: string[];
};
type Operation = { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> };

/**
 * The API description (/docs-json) keeps its promises: every operation says what it answers, and every list answers
 * the one list shape, `{ items, next }` (`next` null on the last page), never a bare array.
 */
describe('the OpenAPI description', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    doc = (await t.http().get('/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await t?.close();
  });

  const resolve = (s: Schema | undefined): Schema | undefined =>
    s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()!] : s;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method, path, op })),
    );
  /** The schemas of an operation's success answers (2xx), by content type. */
  const successSchemas = (op: Operation) =>
    Object.entries(op.responses ?? {})
      .filter(([code]) => /^2\d\d$/.test(code))
      .flatMap(([code, r]) =>
        Object.entries(r.content ?? {}).map(([type, c]) => ({ code, type, schema: resolve(c.schema) })),
      );

  it('gives every operation a success answer with a schema (204 alone has no body)', () => {
    const lacking = operations()
      .filter(({ op }) => {
        const codes = Object.keys(op.responses ?? {}).filter((c) => /^2\d\d$/.test(c));
        if (codes.length === 1 && codes[0] === '204') return false;
        const schemas = successSchemas(op);
        return (
          schemas.length === 0 ||
          schemas.some(
            (s) => !s.schema || (!s.schema.type && !s.schema.properties && !s.schema.oneOf && !s.schema.allOf),
          )
        );
      })
      .map((o) => o.name);
    expect(lacking).toEqual([]);
  });

  it("lists each operation's error codes by status, as problem documents, from @Answers and the route's policy", () => {
    type Problem = {
      description?: string;
      content?: Record<string, { schema?: { allOf?: { properties?: { code?: { enum?: string[] } } }[] } }>;
    };
    const codesOf = (path: string, method: string, status: number): string[] | undefined => {
      const r = (doc.paths[path]?.[method]?.responses as Record<string, Problem> | undefined)?.[String(status)];
      return r?.content?.['application/problem+json']?.schema?.allOf?.[1]?.properties?.code?.enum;
    };
    // Its own (@Answers) ...
    expect(codesOf('/v1/cards/{serial}', 'get', 404)).toEqual(['CARD_NOT_FOUND']);
    expect(codesOf('/v1/cards/{serial}/transitions', 'post', 409)).toEqual([
      'CARD_HOLDER_HAS_USABLE_CARD',
      'CARD_TRANSITION_NOT_ALLOWED',
    ]);
    // ... and its policy's: credentials and kinds, rate, path parameters, body, validation, the database.
    expect(codesOf('/v1/card-status/{serial}', 'get', 401)).toEqual(['AUTH_INVALID', 'AUTH_REQUIRED']);
    expect(codesOf('/v1/card-status/{serial}', 'get', 403)).toEqual(['PARTNER_KIND_FORBIDDEN']);
    expect(codesOf('/v1/card-status/{serial}', 'get', 429)).toEqual(['RATE_LIMITED']);
    expect(codesOf('/v1/card-status/{serial}', 'get', 400)).toContain('PATH_PARAMETER_INVALID');
    expect(codesOf('/v1/card-status/{serial}', 'get', 400)).toContain('QUERY_NOT_ACCEPTED');
    expect(codesOf('/v1/card-status/{serial}', 'get', 503)).toEqual(['DATABASE_UNAVAILABLE']);
    expect(codesOf('/v1/beneficiaries', 'post', 400)).toContain('VALIDATION_FAILED');
    expect(codesOf('/v1/beneficiaries', 'post', 422)).toContain('NIR_KEY_MISMATCH');
    // Public routes answer no 401; the description of each code is given.
    expect(codesOf('/health', 'get', 401)).toBeUndefined();
    expect((doc.paths['/v1/cards/{serial}'].get.responses as Record<string, Problem>)['404'].description).toContain(
      '`CARD_NOT_FOUND`: No card',
    );
  });

  it('answers every list as { items, next }, never as a bare array', () => {
    const wrong: string[] = [];
    for (const { name, op } of operations()) {
      for (const { schema } of successSchemas(op)) {
        if (schema?.type === 'array') wrong.push(`${name}: a bare array`);
        const items = schema?.properties?.items;
        if (items && resolve(items)?.type === 'array' && !schema!.properties!.next)
          wrong.push(`${name}: items without next`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lists answer that shape for real (every GET route without a path parameter, as an operator)', async () => {
    const wrong: string[] = [];
    for (const { name, method, path } of operations()) {
      if (method !== 'get' || path.includes('{')) continue;
      const res = await t.http().get(path).set(bearer(t.operatorKey));
      if (res.status !== 200 || !/json/.test(String(res.headers['content-type']))) continue;
      if (Array.isArray(res.body)) wrong.push(`${name}: a bare array`);
      else if (Array.isArray(res.body?.items) && !('next' in res.body)) wrong.push(`${name}: items without next`);
    }
    expect(wrong).toEqual([]);
  });

  it('the kiosk check: the fields docs/formats/kiosk-protocol.md calls required are the ones the API requires', async () => {
    const text = readFileSync('docs/formats/kiosk-protocol.md', 'utf8');
    const section = text.slice(text.indexOf('## 1. Check'), text.indexOf('## 2.'));
    const rows = [...section.matchAll(/^\| `(\w+)` \| [^|]+ \| (yes|no) \|/gm)].map((m) => [m[1], m[2]]);
    const documented = rows
      .filter(([, r]) => r === 'yes')
      .map(([f]) => f)
      .sort();
    expect(rows.length).toBeGreaterThan(0);
    expect(documented).toEqual([...(doc.components.schemas.KioskCheckDto.required ?? [])].sort());
    const kiosk = (await t.partner((await import('../src/partners/partner-kind.enum.js')).PartnerKind.Kiosk)).key;
    const full = { serial: '100000000042', readVersion: 0, writeInProgress: false };
    for (const field of documented) {
      const { [field as keyof typeof full]: _, ...body } = full;
      const res = await t.http().post('/v1/kiosk/check').set(bearer(kiosk)).send(body).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });
});

/**
 * The API description names each schema after its class: two exported classes of one name (two modules' `WaveView`)
 * make one schema stand for both, and one route is then described with the other's fields. Every exported class
 * name is therefore unique in src.
 */
describe('class names', () => {
  it('are unique across src, so no two DTOs share one OpenAPI schema name', () => {
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (file.endsWith('.ts'))
          for (const m of readFileSync(file, 'utf8').matchAll(/^export (?:abstract )?class (\w+)/gm)) {
            const first = seen.get(m[1]);
            if (first) duplicates.push(`${m[1]}: ${first} and ${file}`);
            else seen.set(m[1], file);
          }
      }
    };
    walk('src');
    expect(duplicates).toEqual([]);
  });
});
