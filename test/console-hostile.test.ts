import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { CSRF_FIELD, PRE_SESSION_COOKIE, SESSION_COOKIE } from '../src/platform/auth/console-principal.js';
import { readRoutePolicies, type RoutePolicy } from '../src/platform/auth/route-policies.js';
import { cardIn } from './support/card-fixtures.js';
import { type RawAnswer, sendRaw, stateDigest } from './support/hostile.js';
import { cookieHeader, createAgent, csrfOf, setCookies, signInHttp, type TestAgent } from './support/console.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/*
 * A hostile agent's corpus sent to every console route (discovered from the route policies, as the gate reads them,
 * so a new console page or form is swept without being listed), signed in as an agent of each role the route
 * allows, with a live session and the session's CSRF token; then the same corpus without a session and without the
 * right token. Every answer must be a 4xx HTML page (or the sign-in redirect for a page without a session), small,
 * never a 5xx, never the canary unescaped, the canary's text never in an error message (only, escaped, as the value
 * of a field the agent typed when a form is shown again), and must leave the database and the data folder as they
 * were.
 */

/** In every hostile value: it must never come back, unescaped anywhere, escaped outside a form field's value. */
const MARK = 'VITALECANARY';
const CANARY = `<script>alert("${MARK}")</script>`;
const QUOTES = `"'><svg onload=${MARK}>`;
const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';
/** An answer bigger than this repeats something it was sent. */
const MAX_PAGE = 64 * 1024;
const enc = encodeURIComponent;

type Role = 'operator' | 'fund';
interface Case {
  label: string;
  path: string;
  /** A page's search criterion of a value its field may hold or not: the page may answer (200), or refuse it. */
  criterion?: boolean;
  contentType?: string;
  body?: string | Buffer;
}
type Answer = RawAnswer;
interface Session {
  cookie: string;
  csrf: string;
}

describe('a hostile corpus on every console route', () => {
  let t: TestApp;
  let port: number;
  let routes: RoutePolicy[];
  let serial: string;
  let beneficiaryId: string;
  const sessions = new Map<Role, Session>();
  const agents = new Map<Role, TestAgent>();
  /** Which role a signed-in cookie is (to sign them in again if a case ended the session). */
  const sessionsByCookie = new Map<string, Role>();
  async function renew(role: Role): Promise<void> {
    const s = await signInHttp(t, agents.get(role)!);
    expect(s.status).toBe(303);
    for (const [cookie, r] of sessionsByCookie) if (r === role) sessionsByCookie.delete(cookie);
    sessions.set(role, { cookie: s.cookie, csrf: s.csrf });
    sessionsByCookie.set(s.cookie, role);
  }
  const problems: string[] = [];
  /** How many answers carried each code (the page's `Code :`), per sweep. */
  const codes = new Map<string, number>();

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    const operator = await createAgent(t);
    const fund = await createAgent(t, { kind: 'fund', organismeCode: '017510001' });
    const card = await cardIn(t.dataSource, CardState.Active, { organismeCode: '017510001' });
    serial = card.serial12;
    beneficiaryId = card.beneficiaryId;
    agents.set('operator', operator);
    agents.set('fund', fund);
    await renew('operator');
    await renew('fund');
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    routes = [...readRoutePolicies(t.app).values()].filter((p) => p.console);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  const send = (method: string, c: Case, cookie?: string): Promise<Answer> =>
    sendRaw(port, method, c, cookie ? { accept: 'text/html', cookie } : { accept: 'text/html' });

  const value = (param: string, r: RoutePolicy): string => {
    if (param === 'serial') return serial;
    if (param === 'id' && r.path.startsWith('/console/assures/')) return beneficiaryId;
    if (param === 'number') return '1';
    if (param === 'mode') return 'simulation';
    if (param === 'action') return 'pause';
    if (param === 'kind') return 'scan';
    return PLACEHOLDER_ID;
  };
  const paramsOf = (r: RoutePolicy) => [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const pathWith = (r: RoutePolicy, replace: Record<string, string> = {}) =>
    r.path.replace(/:(\w+)/g, (_, name: string) => replace[name] ?? value(name, r));
  const rolesOf = (r: RoutePolicy): Role[] => r.console!.roles.filter((x): x is Role => sessions.has(x as Role));
  /** The sign-in form's own "session": its pre-session cookie and the token bound to it. */
  async function preSession(): Promise<Session> {
    const page = await t.http().get('/console/connexion');
    return { cookie: cookieHeader(setCookies(page)), csrf: csrfOf(page.text) };
  }

  const digest = () => stateDigest(t);

  /**
   * The rules every answer follows. `allowed` are the statuses this sweep accepts (4xx by default); an answer
   * never carries the canary but, escaped, as the value of a form field shown again to the agent who typed it.
   */
  function check(where: string, a: Answer, allowed: (status: number) => boolean = (s) => s >= 400 && s < 500): void {
    const faults: string[] = [];
    if (!allowed(a.status)) faults.push(`status ${a.status}`);
    if (a.status !== 303 && !/^text\/html/.test(a.contentType)) faults.push(`content-type ${a.contentType}`);
    if (a.text.length >= MAX_PAGE) faults.push(`${a.text.length} bytes`);
    // A field's value shown again (escaped: an attribute value holds no raw quote) is the agent's own text.
    const rest = a.text.replace(/ value="[^"]*"/g, '');
    if (a.text.includes(CANARY) || a.text.includes(QUOTES) || a.text.includes('<svg onload')) {
      faults.push('echoes the canary unescaped');
    } else if (rest.toUpperCase().includes(MARK)) faults.push('echoes the canary');
    if (
      a.status >= 400 &&
      /^text\/html/.test(a.contentType) &&
      !/Code : <code>[A-Z][A-Z0-9_]+<\/code>|<form/.test(a.text)
    )
      faults.push('no code');
    const code = /Code : <code>([A-Z0-9_]+)<\/code>/.exec(a.text)?.[1] ?? String(a.status);
    codes.set(code, (codes.get(code) ?? 0) + 1);
    if (faults.length) problems.push(`${where} → ${a.status}: ${faults.join(', ')} ${snippet(a.text)}`);
  }

  /** Sends each route's cases (as `who`), checks every answer and that nothing changed. */
  async function sweep(
    who: (r: RoutePolicy) => { label: string; cookie?: string; csrf?: string }[],
    build: (r: RoutePolicy, csrf: string) => Case[],
    allowed?: (r: RoutePolicy, c: Case) => (status: number) => boolean,
  ): Promise<number> {
    let sent = 0;
    for (const r of routes) {
      for (const w of who(r)) {
        const cases = build(r, w.csrf ?? '');
        if (cases.length === 0) continue;
        const before = await digest();
        for (const c of cases) {
          check(`${r.method} ${r.path} as ${w.label} [${c.label}]`, await send(r.method, c, w.cookie), allowed?.(r, c));
          sent++;
        }
        // A signed-in agent's session is still open: a case that signed them out would leave the next ones untried.
        if (w.cookie && sessionsByCookie.has(w.cookie)) {
          const home = await send('GET', { label: 'home', path: '/console' }, w.cookie);
          if (home.status !== 200) {
            problems.push(`${r.method} ${r.path} as ${w.label}: the session ended`);
            await renew(sessionsByCookie.get(w.cookie)!);
          }
        }
        const after = await digest();
        if (after !== before) {
          const changed = after
            .split('\n')
            .filter((line) => !before.split('\n').includes(line))
            .map((l) => l.split(':')[0]);
          problems.push(`${r.method} ${r.path} as ${w.label}: state changed (${changed.join(', ')})`);
        }
      }
    }
    return sent;
  }

  const signedIn = (r: RoutePolicy) =>
    r.console!.signedOut ? [] : rolesOf(r).map((role) => ({ label: role, ...sessions.get(role)! }));

  /** The bad bodies of a form post; `csrf` is the token the form carries. */
  function formCases(r: RoutePolicy, csrf: string): Case[] {
    if (r.method !== 'POST') return [];
    const p = pathWith(r);
    const fields = r.fields.length ? r.fields : ['champ'];
    const token = `${CSRF_FIELD}=${enc(csrf)}`;
    const form = (label: string, body: string): Case => ({
      label,
      path: p,
      contentType: 'application/x-www-form-urlencoded',
      body,
    });
    const each = (v: string) => fields.map((f) => `${enc(f)}=${v}`).join('&');
    // The longest value that keeps the whole form within its 16 KiB limit.
    const room = Math.floor((15 * 1024) / fields.length) - 64;
    return [
      {
        label: 'JSON',
        path: p,
        contentType: 'application/json',
        body: JSON.stringify({ [CSRF_FIELD]: csrf, ...Object.fromEntries(fields.map((f) => [f, CANARY])) }),
      },
      {
        label: 'multipart',
        path: p,
        contentType: 'multipart/form-data; boundary=zz',
        body: `--zz\r\nContent-Disposition: form-data; name="${CSRF_FIELD}"\r\n\r\n${csrf}\r\n--zz\r\nContent-Disposition: form-data; name="${fields[0]}"\r\n\r\n${CANARY}\r\n--zz--\r\n`,
      },
      { label: 'text', path: p, contentType: 'text/plain', body: `${token}&${each(enc(CANARY))}` },
      { label: 'no content type', path: p, body: `${token}&${each(enc(CANARY))}` },
      form('malformed %zz', `${token}&${each(`%zz${enc(CANARY)}`)}`),
      form('lone %', `${token}&${each(`${enc(CANARY)}%`)}`),
      form('not UTF-8', `${token}&${each(`%ff%fe${enc(MARK)}`)}`),
      form('malformed key', `${token}&%zz${MARK}=1`),
      ...fields.map((f) => form(`duplicated ${f}`, `${token}&${enc(f)}=${enc(CANARY)}&${enc(f)}=${enc(QUOTES)}`)),
      form('duplicated token', `${token}&${token}&${each('1')}`),
      form('array field', `${token}&${fields.map((f) => `${enc(f)}%5B%5D=${MARK}&${enc(f)}%5B%5D=2`).join('&')}`),
      ...(r.fields.length ? [form('missing fields', token)] : []),
      form('64 KiB value', `${token}&${each(MARK + 'x'.repeat(64 * 1024))}`),
      form('long values', `${token}&${each(enc(CANARY) + 'x'.repeat(Math.max(room - 60, 1)))}`),
      form('NUL', `${token}&${each(`${MARK}%00`)}`),
      form('control characters', `${token}&${each(`${MARK}%1B%07%7F`)}`),
      form('bidi override', `${token}&${each(`${MARK}%E2%80%AE`)}`),
      form('script canary', `${token}&${each(enc(CANARY))}`),
      form('quote-breaking canary', `${token}&${each(enc(QUOTES))}`),
      form('unknown field', `${token}&${each('1')}&${MARK}=${enc(CANARY)}`),
      form('prototype field', `${token}&__proto__=${MARK}&constructor=${MARK}`),
      form('body over the limit', `${token}&${fields[0]}=${'a'.repeat(2 * 1024 * 1024)}`),
    ];
  }

  /** The bad path parameters of any route and the bad query strings of a page. */
  function urlCases(r: RoutePolicy): Case[] {
    const params = paramsOf(r).flatMap((p) => [
      { label: `non-UUID ${p}`, path: pathWith(r, { [p]: `${MARK}-not-an-id` }) },
      { label: `overflowing ${p}`, path: pathWith(r, { [p]: '9'.repeat(40) }) },
      { label: `past int4 ${p}`, path: pathWith(r, { [p]: '2147483648' }) },
      { label: `negative ${p}`, path: pathWith(r, { [p]: '-1' }) },
      { label: `overlong ${p}`, path: pathWith(r, { [p]: MARK + 'x'.repeat(300) }) },
      { label: `NUL ${p}`, path: pathWith(r, { [p]: `${MARK}%00` }) },
      { label: `control ${p}`, path: pathWith(r, { [p]: `${MARK}%1B%E2%80%AE` }) },
      { label: `canary ${p}`, path: pathWith(r, { [p]: enc(CANARY) }) },
      { label: `quotes ${p}`, path: pathWith(r, { [p]: enc(QUOTES) }) },
      { label: `malformed encoding ${p}`, path: pathWith(r, { [p]: `${MARK}%zz` }) },
    ]);
    if (r.method !== 'GET') return params;
    const base = pathWith(r);
    const keys = r.fields;
    return [
      ...params,
      { label: 'unknown query', path: `${base}?${MARK}=${enc(CANARY)}` },
      { label: 'prototype query', path: `${base}?__proto__=${MARK}&constructor=${MARK}` },
      { label: 'malformed query', path: `${base}?${keys[0] ?? 'x'}=%zz${MARK}%` },
      ...keys.flatMap((q) => [
        { label: `canary ${q}`, path: `${base}?${q}=${enc(CANARY)}`, criterion: true },
        { label: `quotes ${q}`, path: `${base}?${q}=${enc(QUOTES)}`, criterion: true },
        { label: `NUL ${q}`, path: `${base}?${q}=${MARK}%00%E2%80%AE` },
        { label: `overlong ${q}`, path: `${base}?${q}=${MARK}${'x'.repeat(5000)}`, criterion: true },
        { label: `repeated ${q}`, path: `${base}?${q}=${MARK}&${q}=${enc(CANARY)}` },
        { label: `array ${q}`, path: `${base}?${q}%5B%5D=${MARK}` },
        { label: `malformed ${q}`, path: `${base}?${q}=${MARK}%zz` },
      ]),
    ];
  }

  it('discovers the console routes to sweep, forms with the fields they take', () => {
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((r) => r.method === 'POST').length).toBeGreaterThan(20);
    const agents = routes.find((r) => r.method === 'POST' && r.path === '/console/agents')!;
    expect(agents.fields).toEqual(['partnerId', 'login', 'displayName']);
  });

  it('refuses bad form bodies signed in with a live session and its token: 4xx pages, nothing changed', async () => {
    problems.length = 0;
    codes.clear();
    const sent = await sweep(signedIn, formCases);
    expect(sent).toBeGreaterThan(600);
    expect(problems).toEqual([]);
    // The gate took the session and its token: the bodies reached the form's reader, its fields and the handlers.
    expect(codes.get('CONSOLE_SIGNIN_REQUIRED') ?? 0).toBe(0);
    expect(codes.get('CONSOLE_CSRF_INVALID') ?? 0).toBe(0);
    for (const code of ['CONSOLE_FORM_INVALID', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'CONSOLE_FIELD_INVALID'])
      expect(codes.get(code), code).toBeGreaterThan(0);
  }, 600_000);

  it('refuses bad bodies on the sign-in form with its pre-session token', async () => {
    problems.length = 0;
    const pre = await preSession();
    const sent = await sweep((r) => (r.console!.signedOut ? [{ label: 'signed out', ...pre }] : []), formCases);
    expect(sent).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  }, 120_000);

  it('refuses bad path parameters and query strings on every page and form', async () => {
    problems.length = 0;
    const sent = await sweep(
      (r) => (r.console!.signedOut ? [{ label: 'signed out' }] : signedIn(r)),
      (r, csrf) =>
        urlCases(r).map((c) =>
          r.method === 'POST'
            ? { ...c, contentType: 'application/x-www-form-urlencoded', body: `${CSRF_FIELD}=${enc(csrf)}` }
            : c,
        ),
      (_, c) => (status) => (status >= 400 && status < 500) || (!!c.criterion && status === 200),
    );
    expect(sent).toBeGreaterThan(300);
    expect(problems).toEqual([]);
  }, 600_000);

  it('refuses the whole corpus without a session (forms: 403; pages: to the sign-in page)', async () => {
    problems.length = 0;
    const stranger = [
      { label: 'no session' },
      { label: 'unknown session', cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}`, csrf: 'A'.repeat(43) },
      { label: 'hostile cookie', cookie: `${SESSION_COOKIE}=${enc(CANARY)}; ${PRE_SESSION_COOKIE}=x`, csrf: 'x' },
    ];
    const sent = await sweep(
      (r) => (r.console!.signedOut ? [] : stranger),
      (r, csrf) => [...formCases(r, csrf), ...urlCases(r)],
      (r, c) => (status) =>
        r.method === 'GET'
          ? // A path parameter or query Fastify itself refuses (414, a bad encoding) is answered before the gate.
            status === 303 || (status >= 400 && status < 500)
          : status === 403 || status === 414 || (status === 400 && /malformed encoding/.test(c.label)),
    );
    expect(sent).toBeGreaterThan(1000);
    expect(problems).toEqual([]);
  }, 600_000);

  it('refuses the corpus with a session but without its CSRF token, or with another session’s', async () => {
    problems.length = 0;
    const other = sessions.get('fund')!.csrf;
    const sent = await sweep(
      (r) =>
        r.console!.signedOut || r.method !== 'POST'
          ? []
          : rolesOf(r).flatMap((role) => [
              { label: `${role} without token`, cookie: sessions.get(role)!.cookie, csrf: '' },
              {
                label: `${role} with another token`,
                cookie: sessions.get(role)!.cookie,
                csrf: role === 'fund' ? sessions.get('operator')!.csrf : other,
              },
            ]),
      formCases,
    );
    expect(sent).toBeGreaterThan(600);
    expect(problems).toEqual([]);
  }, 600_000);

  it("answers an unknown console URL with the console's HTML 404 page (with the layout when signed in); the API keeps problem+json", async () => {
    const operator = sessions.get('operator')!;
    for (const [method, url] of [
      ['GET', '/console/nulle-part'],
      ['GET', `/console/assures/${beneficiaryId}/inconnu?x=1`],
      ['PUT', '/console/agents'],
    ]) {
      const signedInPage = await send(method, { label: 'unknown', path: url }, operator.cookie);
      const plain = await send(method, { label: 'unknown', path: url });
      for (const [who, a] of [
        ['signed in', signedInPage],
        ['signed out', plain],
      ] as const) {
        expect([a.status, a.contentType], `${method} ${url} ${who}`).toEqual([404, 'text/html; charset=utf-8']);
        expect(a.text).toContain('<html lang="fr"');
        expect(a.text).toContain('Page introuvable');
        expect(a.text).toContain('Code : <code>NOT_FOUND</code>');
        expect(a.text, `${method} ${url} ${who}`).toContain(
          who === 'signed in' ? 'Se déconnecter' : 'Aller à la connexion',
        );
        if (who === 'signed out') expect(a.text).not.toContain('Se déconnecter');
      }
    }
    // The DSFR's files are public and never look up a session: a missing one is the plain page.
    const asset = await send('GET', { label: 'unknown', path: '/console/dsfr/inconnu.css' }, operator.cookie);
    expect([asset.status, asset.contentType]).toEqual([404, 'text/html; charset=utf-8']);
    expect(asset.text).toContain('Code : <code>NOT_FOUND</code>');
    const api = await send('GET', { label: 'unknown', path: '/v1/nulle-part' });
    expect([api.status, api.contentType]).toEqual([404, 'application/problem+json; charset=utf-8']);
    expect(JSON.parse(api.text).code).toBe('NOT_FOUND');
    // A request no route answers has none of its body read: a slow, huge one is answered at once.
    expect(await headOfAnswer('/console/nulle-part', 'text/plain')).toMatch(/^HTTP\/1\.1 404 /);
  });

  /** The status line and headers answered to a post whose announced 100 MiB body never comes (5 s at most). */
  const headOfAnswer = (target: string, contentType: string, cookie?: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no answer while the body was still coming'));
      }, 5_000);
      socket.on('data', (d) => {
        got += d.toString('utf8');
        if (got.includes('\r\n\r\n')) {
          clearTimeout(timer);
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
      socket.write(
        `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n` +
          (cookie ? `Cookie: ${cookie}\r\n` : '') +
          `Content-Length: ${100 * 1024 * 1024}\r\n\r\n${CSRF_FIELD}=x&`,
      );
    });

  it('answers every form post without a session before reading its body: a slow, huge body is never waited for', async () => {
    const forms = routes.filter((r) => r.method === 'POST' && !r.console!.signedOut);
    for (const r of forms) {
      for (const cookie of [undefined, `${SESSION_COOKIE}=${'A'.repeat(43)}`]) {
        const head = await headOfAnswer(pathWith(r), 'application/x-www-form-urlencoded', cookie);
        expect(head.split('\r\n')[0], r.path).toMatch(/^HTTP\/1\.1 403 /);
      }
    }
    // A signed-in agent's form over the limit is refused from its announced length, without waiting for it either.
    const agents = forms.find((r) => r.path === '/console/agents')!;
    const head = await headOfAnswer(
      pathWith(agents),
      'application/x-www-form-urlencoded',
      sessions.get('operator')!.cookie,
    );
    expect(head.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 413 /);
  });
});

const snippet = (s: string) =>
  (/<div class="fr-alert[^]*?<\/div>/.exec(s)?.[0] ?? s.slice(0, 200)).replace(/\s+/g, ' ').slice(0, 240);
