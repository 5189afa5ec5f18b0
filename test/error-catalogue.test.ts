import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { allErrors, ERROR_CATALOGUES } from '../src/app.errors.js';
import { ERRORS_DOC, renderErrorsDoc } from '../src/platform/errors/errors-doc.js';
import { FASTIFY_ERRORS, HTTP_STATUS_ERRORS, PlatformErrors } from '../src/platform/errors/platform.errors.js';
import { ANSWERS_CONFIG, CHECK_PROBLEM_CODES_ENV, sendProblem } from '../src/platform/errors/problem.filter.js';

/*
 * The error catalogues are the one place codes are declared: nothing else makes a DomainError or names a code as a
 * free string, every catalogue is in the registry, every code is unique, documented in docs/errors.md and answered
 * somewhere.
 */

const root = process.cwd();
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : name.endsWith('.ts') ? [p] : [];
  });
const files = sources(path.join(root, 'src')).map((file) => ({
  file: path.relative(root, file),
  text: readFileSync(file, 'utf8'),
}));
const isCatalogue = (file: string) => file.endsWith('.errors.ts');
/** The mechanism: the only files that may construct a DomainError. */
const MECHANISM = new Set(['src/platform/errors/catalogue.ts']);

describe('the error catalogues', () => {
  it('a DomainError is constructed only by the catalogue mechanism, never with a free code', () => {
    const offenders = files
      .filter((f) => !MECHANISM.has(f.file) && /new\s+DomainError\s*\(/.test(f.text))
      .map((f) => f.file);
    expect(offenders).toEqual([]);
    // The old helpers took a free code string; they are gone and stay gone.
    const helpers = files
      .filter((f) => /\b(notFound|conflict|badRequest|unprocessable)\s*\(\s*['`]/.test(f.text))
      .map((f) => f.file);
    expect(helpers).toEqual([]);
  });

  it('no code is compared or passed as a free string outside the catalogues', () => {
    const codes = new Set(allErrors().map((e) => e.code));
    const offenders: string[] = [];
    for (const f of files.filter((x) => !isCatalogue(x.file))) {
      for (const m of f.text.matchAll(/\bcode\s*(?:===|!==|==|!=)\s*'([A-Z][A-Z0-9_]+)'/g)) {
        if (codes.has(m[1])) offenders.push(`${f.file}: ${m[0]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every module catalogue (src/**/<module>.errors.ts) is in the registry, and codes are unique across modules', async () => {
    const registered = new Set<object>(Object.values(ERROR_CATALOGUES));
    const missing: string[] = [];
    for (const f of files.filter((x) => isCatalogue(x.file))) {
      const mod = (await import(pathToFileURL(path.join(root, f.file)).href)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) {
        if (typeof value === 'object' && value !== null && name.endsWith('Errors') && !registered.has(value))
          missing.push(`${f.file}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    for (const [module, catalogue] of Object.entries(ERROR_CATALOGUES)) {
      for (const e of Object.values(catalogue) as { code: string; module: string }[]) {
        expect(e.module, e.code).toBe(module);
        if (seen.has(e.code)) duplicates.push(`${e.code} in ${seen.get(e.code)} and ${module}`);
        seen.set(e.code, module);
      }
    }
    expect(duplicates).toEqual([]);
  });

  it('each factory builds its own code and status, with a message and no undefined member', () => {
    for (const e of allErrors()) {
      expect(e.description.length, e.code).toBeGreaterThan(10);
      expect([400, 401, 403, 404, 405, 406, 409, 410, 413, 414, 415, 416, 422, 429, 431, 500, 503], e.code).toContain(
        e.status,
      );
    }
    const err = PlatformErrors.PATH_PARAMETER_INVALID('serial');
    expect(err).toMatchObject({ code: 'PATH_PARAMETER_INVALID', status: 400, details: { parameter: 'serial' } });
  });

  it(`${ERRORS_DOC} is what the catalogues generate (npm run docs:errors)`, () => {
    expect(readFileSync(path.join(root, ERRORS_DOC), 'utf8')).toBe(renderErrorsDoc(ERROR_CATALOGUES));
  });

  it('no catalogued code is dead: each factory is called somewhere in src outside the catalogues', () => {
    const text = files
      .filter((f) => !isCatalogue(f.file) && f.file !== 'src/app.errors.ts')
      .map((f) => f.text)
      .join('\n');
    // What the problem filter answers through the platform catalogue's tables.
    const mapped = new Set([
      ...Object.values(FASTIFY_ERRORS).map((f) => f().code),
      ...Object.values(HTTP_STATUS_ERRORS).map((f) => f('x').code),
    ]);
    // A reference to its factory (`CardsErrors.CARD_NOT_FOUND(`, or passed as one), declarations (@Answers) aside, or the
    // code as the typed literal a rule returns (`'NIR_KEY_MISMATCH'`, picked by `RegisterErrors[code]`).
    const uses = text.replace(/@Answers\([^)]*\)/g, '');
    const dead = allErrors()
      .map((e) => e.code)
      .filter((code) => !mapped.has(code) && !new RegExp(`Errors\\.${code}\\b(?!\\.code)|'${code}'`).test(uses));
    expect(dead).toEqual([]);
  });
});

describe('the codes a route declares', () => {
  const answer = (code: string, declared: string[]) => {
    const sent: { status?: number; body?: Record<string, unknown> } = {};
    const reply = {
      header: () => reply,
      status: (s: number) => {
        sent.status = s;
        return reply;
      },
      type: () => reply,
      send: (b: Record<string, unknown>) => {
        sent.body = b;
        return reply;
      },
    } as unknown as FastifyReply;
    const req = {
      id: 'r1',
      params: {},
      query: {},
      body: undefined,
      routeOptions: {
        url: '/v1/x',
        config: { [ANSWERS_CONFIG]: { route: 'XController.get', codes: new Set(declared) } },
      },
    } as unknown as FastifyRequest;
    const logged: unknown[] = [];
    sendProblem(
      code === 'CARD_NOT_FOUND' ? ERROR_CATALOGUES.cards.CARD_NOT_FOUND() : PlatformErrors.AUTH_INVALID(),
      req,
      reply,
      { error: (m: unknown) => logged.push(m), warn: () => {} },
    );
    return { ...sent, logged };
  };

  it('in tests, a code the route does not declare answers 500 UNDECLARED_PROBLEM_CODE naming the route and the code', () => {
    expect(process.env[CHECK_PROBLEM_CODES_ENV]).toBe('1');
    const undeclared = answer('CARD_NOT_FOUND', ['AUTH_INVALID']);
    expect(undeclared.status).toBe(500);
    expect(undeclared.body).toMatchObject({ code: 'UNDECLARED_PROBLEM_CODE' });
    expect(String(undeclared.body?.detail)).toContain('XController.get answered CARD_NOT_FOUND');
    expect(undeclared.logged).toHaveLength(1);
    const declared = answer('CARD_NOT_FOUND', ['CARD_NOT_FOUND']);
    expect(declared).toMatchObject({ status: 404, body: { code: 'CARD_NOT_FOUND' } });
  });

  it('without the test setting, the route answers its problem as it is', () => {
    const saved = process.env[CHECK_PROBLEM_CODES_ENV];
    delete process.env[CHECK_PROBLEM_CODES_ENV];
    try {
      expect(answer('CARD_NOT_FOUND', [])).toMatchObject({ status: 404, body: { code: 'CARD_NOT_FOUND' } });
    } finally {
      process.env[CHECK_PROBLEM_CODES_ENV] = saved;
    }
  });
});
