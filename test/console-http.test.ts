import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { allErrors } from '../src/app.errors.js';
import { CardsErrors } from '../src/cards/cards.errors.js';
import { EmissionErrors } from '../src/emission/emission.errors.js';
import { OppositionErrors } from '../src/opposition/opposition.errors.js';
import type { DomainError } from '../src/platform/errors/domain-error.js';
import { PlatformErrors } from '../src/platform/errors/platform.errors.js';
import { toProblem } from '../src/platform/errors/problem.filter.js';
import { AppConfig } from '../src/config/app-config.js';
import { AgentsService } from '../src/console/agents/agents.service.js';
import { TotpSealer } from '../src/console/auth/totp-sealer.js';
import { CONSOLE_MESSAGES, consoleMessage } from '../src/console/ui/messages.js';
import { readRoutePolicies } from '../src/platform/auth/route-policies.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const run = promisify(execFile);
import {
  base32Decode,
  cookieHeader,
  createAgent,
  csrfOf,
  nextCode,
  setCookies,
  signInHttp,
  type TestAgent,
} from './support/console.js';

/** The console's rules at the HTTP level: sessions, cookies, CSRF, the gate, lockout, expiry, headers. */
describe('console over HTTP', () => {
  let t: TestApp;
  let owner: pg.Client;
  let operator: TestAgent;
  beforeAll(async () => {
    t = await startTestApp({ consoleLockoutAttempts: 3, trustedProxies: 'loopback' });
    owner = new pg.Client(t.ownerUrl);
    await owner.connect();
    operator = await createAgent(t);
  });
  afterAll(async () => {
    await owner?.end();
    await t?.close();
  });

  it('sends a browser without a session to the sign-in page, and refuses a form post without one', async () => {
    const page = await t.http().get('/console');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/console/connexion');
    const post = await t.http().post('/console/deconnexion').type('form').send({ _csrf: 'x' });
    expect(post.status).toBe(403);
    expect(post.headers['content-type']).toMatch(/^text\/html/);
    expect(post.text).toContain('CONSOLE_SIGNIN_REQUIRED');
  });

  it('refuses a form post without a session before reading its body (403, not 413)', async () => {
    const res = await t
      .http()
      .post('/console/agents')
      .type('form')
      .send('x=' + 'a'.repeat(100_000));
    expect(res.status).toBe(403);
    expect(res.text).toContain('CONSOLE_SIGNIN_REQUIRED');
  });

  it('signs in with password and TOTP: a session cookie HttpOnly, SameSite=Strict, path /console, Secure only over TLS', async () => {
    const form = await t.http().get('/console/connexion');
    expect(form.status).toBe(200);
    const pre = setCookies(form);
    const res = await t
      .http()
      .post('/console/connexion')
      .set('cookie', cookieHeader(pre))
      .type('form')
      .send({
        _csrf: csrfOf(form.text),
        login: operator.login,
        password: operator.password,
        code: await nextCode(operator),
      });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/console');
    const session = ([] as string[]).concat(res.headers['set-cookie']).find((c) => c.startsWith('vitale_console='))!;
    expect(session).toMatch(/; Path=\/console; HttpOnly; SameSite=Strict$/);
    const home = await t
      .http()
      .get('/console')
      .set('cookie', cookieHeader({ ...pre, ...setCookies(res) }));
    expect(home.status).toBe(200);
    expect(home.text).toContain('<html lang="fr"');
    // Behind a trusted proxy that terminated TLS: Secure.
    const tls = await t.http().get('/console/connexion').set('x-forwarded-proto', 'https');
    expect(([] as string[]).concat(tls.headers['set-cookie'])[0]).toMatch(/; Secure/);
  });

  it('refuses a wrong TOTP code, a wrong password and a code used twice, saying only "refused"', async () => {
    const wrongCode = await signInHttp(t, operator, '000000');
    expect(wrongCode.status).toBe(401);
    expect(wrongCode.body).toContain('Connexion refusée');
    const ok = await signInHttp(t, operator);
    expect(ok.status).toBe(303);
    // The same code again (replayed): refused.
    const replay = await signInHttp(
      t,
      operator,
      (await import('../src/console/auth/totp.js')).totpAt(operator.totpSecret, operator.lastStep * 30),
    );
    expect(replay.status).toBe(401);
    const wrongPassword = await signInHttp(t, { ...operator, password: 'wrong password!!' });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).not.toContain('wrong password!!');
  });

  it('locks an agent after CONSOLE_LOCKOUT_ATTEMPTS failures in a row; then even the right credentials are refused', async () => {
    const a = await createAgent(t);
    expect((await signInHttp(t, a, '000000')).status).toBe(401);
    expect((await signInHttp(t, a, '000000')).status).toBe(401);
    const third = await signInHttp(t, a, '000000');
    expect(third.status).toBe(429);
    expect(third.body).toContain('Compte verrouillé');
    const right = await signInHttp(t, a);
    expect(right.status).toBe(429);
    // Once the lock has run out, the agent signs in again.
    await owner.query(`UPDATE console_agent SET locked_until = now() - interval '1 second' WHERE id = $1`, [a.id]);
    expect((await signInHttp(t, a)).status).toBe(303);
    const audit = await owner.query(`SELECT action FROM audit_entry WHERE entity_id = $1 ORDER BY id`, [a.id]);
    expect(audit.rows.map((r) => r.action)).toContain('console.locked');
  });

  it("refuses every form posted without the CSRF token, or with another session's", async () => {
    const operator = await createAgent(t);
    const s = await signInHttp(t, operator);
    const other = await signInHttp(t, operator);
    const none = await t.http().post('/console/deconnexion-partout').set('cookie', s.cookie).type('form').send({});
    expect(none.status).toBe(403);
    expect(none.text).toContain('CONSOLE_CSRF_INVALID');
    const wrong = await t
      .http()
      .post('/console/deconnexion-partout')
      .set('cookie', s.cookie)
      .type('form')
      .send({ _csrf: other.csrf });
    expect(wrong.status).toBe(403);
    // Nothing happened: the session is still open.
    expect((await t.http().get('/console').set('cookie', s.cookie)).status).toBe(200);
    // The sign-in form too: its token must match the pre-session cookie.
    const signIn = await t
      .http()
      .post('/console/connexion')
      .type('form')
      .send({ login: operator.login, password: operator.password, code: await nextCode(operator) });
    expect(signIn.status).toBe(403);
    expect(signIn.text).toContain('CONSOLE_CSRF_INVALID');
  });

  it('takes url-encoded forms only, within a small limit, on console actions', async () => {
    const operator = await createAgent(t);
    const s = await signInHttp(t, operator);
    const json = await t
      .http()
      .post('/console/deconnexion')
      .set('cookie', s.cookie)
      .set('content-type', 'application/json')
      .send(JSON.stringify({ _csrf: s.csrf }));
    expect(json.status).toBe(415);
    const big = await t
      .http()
      .post('/console/deconnexion')
      .set('cookie', s.cookie)
      .type('form')
      .send(`_csrf=${s.csrf}&x=${'a'.repeat(20_000)}`);
    expect(big.status).toBe(413);
    const twice = await t
      .http()
      .post('/console/deconnexion')
      .set('cookie', s.cookie)
      .type('form')
      .send(`_csrf=${s.csrf}&_csrf=${s.csrf}`);
    expect(twice.status).toBe(400);
    expect(twice.text).toContain('CONSOLE_FORM_INVALID');
  });

  it('a bearer key never opens a console route, a session cookie never opens an API route', async () => {
    const operator = await createAgent(t);
    const key = await t.http().get('/console').set(bearer(t.operatorKey));
    expect(key.status).toBe(303);
    const keyPost = await t.http().post('/console/agents').set(bearer(t.operatorKey)).type('form').send({ login: 'x' });
    expect(keyPost.status).toBe(403);
    const s = await signInHttp(t, operator);
    const api = await t.http().get('/v1/partners').set('cookie', s.cookie);
    expect(api.status).toBe(401);
    expect(api.headers['content-type']).toMatch(/problem\+json/);
  });

  it('applies the gate to every console route of the catalogue: no session, a bearer key, the wrong partner kind, a JSON body', async () => {
    const fund = await createAgent(t, { kind: 'fund' });
    const fundSession = await signInHttp(t, fund);
    const routes = [...readRoutePolicies(t.app).values()].filter((p) => p.console);
    expect(routes.length).toBeGreaterThan(5);
    for (const r of routes) {
      const path = r.path.replace(/:\w+/g, '00000000-0000-4000-8000-000000000000');
      const call = () =>
        r.method === 'GET' ? t.http().get(path) : t.http().post(path).type('form').send({ _csrf: 'x' });
      if (r.console!.signedOut) continue;
      const anonymous = await call();
      const withKey = await call().set(bearer(t.operatorKey));
      for (const res of [anonymous, withKey]) {
        if (r.method === 'GET') expect([res.status, res.headers.location], path).toEqual([303, '/console/connexion']);
        else expect([res.status, res.text.includes('CONSOLE_SIGNIN_REQUIRED')], path).toEqual([403, true]);
      }
      if (!r.console!.roles.includes('fund')) {
        const res = await call().set('cookie', fundSession.cookie);
        expect([res.status, res.text.includes('CONSOLE_ROLE_FORBIDDEN')], path).toEqual([403, true]);
      }
      if (r.method === 'POST') {
        const json = await t
          .http()
          .post(path)
          .set('cookie', fundSession.cookie)
          .set('content-type', 'application/json')
          .send('{}');
        expect(json.status, path).toBe(r.console!.roles.includes('fund') ? 415 : 403);
      }
    }
  });

  it('has a French message for every error a console route declares (the API catalogue speaks to programs, in English)', () => {
    // French where declared: the console's own catalogues and the gate's CONSOLE_* codes.
    const frenchAtSource = (e: { code: string; module: string }) =>
      e.module === 'console' || e.module === 'consoleForms' || e.code.startsWith('CONSOLE_');
    const routes = [...readRoutePolicies(t.app).values()].filter((p) => p.console);
    const missing = new Set<string>();
    for (const r of routes)
      for (const e of r.answers)
        if (!frenchAtSource(e) && !Object.hasOwn(CONSOLE_MESSAGES, e.code)) missing.add(e.code);
    expect([...missing].sort()).toEqual([]);
    // No stale entry: each is a code something can answer.
    const known = new Set(allErrors().map((e) => e.code));
    expect(Object.keys(CONSOLE_MESSAGES).filter((c) => !known.has(c))).toEqual([]);
    // Messages built from the problem's members read whole without them (a member the bounding dropped).
    for (const code of Object.keys(CONSOLE_MESSAGES)) {
      const shown = consoleMessage({ status: 409, code, detail: 'English detail' });
      expect(shown, code).not.toMatch(/undefined|null|English detail|\$\{/);
      expect(shown.length, code).toBeGreaterThan(15);
    }
    // Built from the members the real errors carry (a member misnamed here would fall back silently).
    const shownFor = (e: DomainError) =>
      consoleMessage(toProblem(e, 'req').problem as Parameters<typeof consoleMessage>[0]);
    const until = new Date('2026-03-01T09:30:00Z');
    expect(
      shownFor(CardsErrors.CARD_TRANSITION_NOT_ALLOWED({ state: 'opposed', action: 'x', allowedActions: [] })),
    ).toContain('« En opposition »');
    expect(shownFor(EmissionErrors.REQUEST_NOT_CANCELLABLE('ordered'))).toContain('« Carte commandée »');
    expect(shownFor(EmissionErrors.REQUEST_TOO_YOUNG(12))).toContain('à partir de 12 ans');
    expect(shownFor(OppositionErrors.OPPOSITION_WITHDRAWAL_TOO_LATE(48, until, until))).toContain(
      "jusqu'au 01/03/2026 10:30",
    );
    expect(shownFor(PlatformErrors.DATABASE_UNAVAILABLE())).toMatch(/réessayez dans \d+ secondes/);
  });

  it('shows operator pages to operators only (a fund agent gets the HTML 403 page)', async () => {
    const fund = await createAgent(t, { kind: 'fund' });
    const s = await signInHttp(t, fund);
    expect(s.status).toBe(303);
    const res = await t.http().get('/console/agents').set('cookie', s.cookie);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('CONSOLE_ROLE_FORBIDDEN');
    expect(res.text).not.toContain('Agents de la console');
  });

  it('answers console pages with the security headers; DSFR files are public, cached and only those', async () => {
    const operator = await createAgent(t);
    const s = await signInHttp(t, operator);
    const page = await t.http().get('/console').set('cookie', s.cookie);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(page.headers['cache-control']).toBe('no-store');
    const css = await t.http().get('/console/dsfr/dsfr.min.css?v=1.15.3');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.headers['cache-control']).toMatch(/max-age=31536000/);
    expect((await t.http().get('/console/dsfr/fonts/Marianne-Regular.woff2')).status).toBe(200);
    expect((await t.http().get('/console/dsfr/dsfr.css.map')).status).toBe(404);
    for (const path of ['/console/dsfr/../package.json', '/console/dsfr/%2e%2e/package.json']) {
      const res = await t.http().get(path);
      expect([403, 404]).toContain(res.status);
      expect(res.text).not.toContain('"name"');
    }
    expect((await t.http().post('/console/dsfr/dsfr.min.css')).status).toBe(404);
  });

  it('ends every session of the agent on sign-out everywhere, and one on sign-out', async () => {
    const a = await createAgent(t);
    const one = await signInHttp(t, a);
    const two = await signInHttp(t, a);
    const out = await t
      .http()
      .post('/console/deconnexion')
      .set('cookie', one.cookie)
      .type('form')
      .send({ _csrf: one.csrf });
    expect(out.status).toBe(303);
    expect((await t.http().get('/console').set('cookie', one.cookie)).status).toBe(303);
    expect((await t.http().get('/console').set('cookie', two.cookie)).status).toBe(200);
    const three = await signInHttp(t, a);
    const all = await t
      .http()
      .post('/console/deconnexion-partout')
      .set('cookie', two.cookie)
      .type('form')
      .send({ _csrf: two.csrf });
    expect(all.status).toBe(303);
    expect((await t.http().get('/console').set('cookie', two.cookie)).status).toBe(303);
    expect((await t.http().get('/console').set('cookie', three.cookie)).status).toBe(303);
  });

  it('ends a session after the idle time and at its absolute expiry', async () => {
    const a = await createAgent(t);
    const idle = await signInHttp(t, a);
    const idleMinutes = t.config.consoleIdleMinutes;
    await owner.query(
      `UPDATE console_session SET last_seen_at = now() - make_interval(mins => $2 + 1) WHERE agent_id = $1`,
      [a.id, idleMinutes],
    );
    expect((await t.http().get('/console').set('cookie', idle.cookie)).status).toBe(303);
    const absolute = await signInHttp(t, a);
    expect((await t.http().get('/console').set('cookie', absolute.cookie)).status).toBe(200);
    await owner.query(`UPDATE console_session SET expires_at = now() - interval '1 second' WHERE agent_id = $1`, [
      a.id,
    ]);
    expect((await t.http().get('/console').set('cookie', absolute.cookie)).status).toBe(303);
  });

  it('leads an agent with a one-time password to the password change before anything else', async () => {
    const a = await createAgent(t, { keepOneTimePassword: true });
    const s = await signInHttp(t, a);
    expect(s.status).toBe(303);
    const home = await t.http().get('/console').set('cookie', s.cookie);
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/console/mot-de-passe');
    const page = await t.http().get('/console/mot-de-passe').set('cookie', s.cookie);
    const change = await t
      .http()
      .post('/console/mot-de-passe')
      .set('cookie', s.cookie)
      .type('form')
      .send({ _csrf: csrfOf(page.text), current: a.password, next: 'my own long password' });
    expect(change.status).toBe(303);
    expect((await t.http().get('/console').set('cookie', s.cookie)).status).toBe(200);
  });

  it('operators create agents in the console (secrets shown once), audited with the agent; errors are HTML pages', async () => {
    const operator = await createAgent(t);
    const s = await signInHttp(t, operator);
    const fund = await t.partner(PartnerKind.Fund, '017510001');
    const created = await t
      .http()
      .post('/console/agents')
      .set('cookie', s.cookie)
      .type('form')
      .send({ _csrf: s.csrf, partnerId: fund.id, login: 'Marie.Curie', displayName: 'Marie <Curie>' });
    expect(created.status).toBe(200);
    expect(created.text).toContain('marie.curie');
    expect(created.text).toContain('Marie &lt;Curie&gt;');
    expect(created.text).toMatch(/id="one-time-password">[A-Za-z0-9]{16}</);
    expect(created.text).toContain('otpauth://totp/');
    const [row] = (
      await owner.query(
        `SELECT actor_agent_id, actor_kind, actor_partner_id FROM audit_entry WHERE action = 'console_agent.created' ORDER BY id DESC LIMIT 1`,
      )
    ).rows;
    expect(row).toEqual({ actor_agent_id: operator.id, actor_kind: 'operator', actor_partner_id: operator.partnerId });
    const list = await t.http().get('/console/agents').set('cookie', s.cookie);
    expect(list.text).toContain('marie.curie');
    expect(list.text).not.toMatch(/[A-Za-z0-9]{16}<\/code>/);
    const again = await t
      .http()
      .post('/console/agents')
      .set('cookie', s.cookie)
      .type('form')
      .send({ _csrf: s.csrf, partnerId: fund.id, login: 'marie.curie', displayName: 'Marie' });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toMatch(/^text\/html/);
    expect(again.text).toContain('AGENT_LOGIN_TAKEN');
    // A vendor's people never get a console account (the database refuses it too).
    const vendor = await t.partner(PartnerKind.PersonalisationVendor);
    const refused = await t
      .http()
      .post('/console/agents')
      .set('cookie', s.cookie)
      .type('form')
      .send({ _csrf: s.csrf, partnerId: vendor.id, login: 'vendor.person', displayName: 'V' });
    expect(refused.status).toBe(422);
    await expect(
      owner.query(
        `INSERT INTO console_agent (partner_id, login, display_name, password_hash, totp_secret) VALUES ($1, 'v2', 'V', 'x', '\\x00')`,
        [vendor.id],
      ),
    ).rejects.toThrow(/operator or a fund/);
  });

  it('creates the first operator agent with the CLI, whose one-time credentials sign in once', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        path.resolve('dist/src/cli/main.js'),
        'console:agent:create',
        '--login',
        'First.Operator',
        '--name',
        'Première Opératrice',
      ],
      // The CLI shares the server's DATA_DIR (its keys: the TOTP secret is sealed with console-totp.key).
      { env: { ...process.env, DATABASE_URL: t.url, DATA_DIR: t.app.get(AppConfig).dataDir, LOG_LEVEL: 'silent' } },
    );
    const created = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(created.login).toBe('first.operator');
    expect(created.otpauthUri).toMatch(/^otpauth:\/\/totp\/.*secret=[A-Z2-7]{32}/);
    const [row] = (
      await owner.query(
        `SELECT p.kind, a.must_change_password, a.password_hash FROM console_agent a JOIN partner p ON p.id = a.partner_id WHERE a.login = 'first.operator'`,
      )
    ).rows;
    expect(row.kind).toBe('operator');
    expect(row.must_change_password).toBe(true);
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.password_hash).not.toContain(created.oneTimePassword);
    const agent = {
      id: created.id,
      login: created.login,
      password: created.oneTimePassword,
      totpSecret: base32Decode(created.totpSecret),
      partnerId: '',
      lastStep: 0,
    };
    const s = await signInHttp(t, agent);
    expect(s.status).toBe(303);
    expect((await t.http().get('/console').set('cookie', s.cookie)).headers.location).toBe('/console/mot-de-passe');
  });

  it('keeps no TOTP secret in clear: sealed under DATA_DIR/keys/console-totp.key, bound to the agent; old ones sealed at start', async () => {
    const a = await createAgent(t);
    const [row] = (await owner.query(`SELECT totp_secret, totp_sealed FROM console_agent WHERE id = $1`, [a.id])).rows;
    expect(row.totp_secret).toBeNull();
    expect(row.totp_sealed.includes(a.totpSecret)).toBe(false);
    const keyFile = path.join(t.app.get(AppConfig).dataDir, 'keys', 'console-totp.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // Another agent's sealed secret does not open for this one (bound to the id): refused, and said only "refused".
    const b = await createAgent(t);
    await owner.query(
      `UPDATE console_agent SET totp_sealed = (SELECT totp_sealed FROM console_agent WHERE id = $2) WHERE id = $1`,
      [a.id, b.id],
    );
    expect((await signInHttp(t, { ...a, totpSecret: b.totpSecret })).status).toBe(401);
    // An agent made before secrets were sealed (the secret in clear) signs in, and is sealed by the next start.
    const c = await createAgent(t);
    await owner.query(`UPDATE console_agent SET totp_secret = $2, totp_sealed = NULL WHERE id = $1`, [
      c.id,
      c.totpSecret,
    ]);
    expect((await signInHttp(t, c)).status).toBe(303);
    expect(await t.app.get(AgentsService).sealClearTotpSecrets()).toBe(1);
    const [sealed] = (await owner.query(`SELECT totp_secret, totp_sealed FROM console_agent WHERE id = $1`, [c.id]))
      .rows;
    expect(sealed.totp_secret).toBeNull();
    expect(sealed.totp_sealed.includes(c.totpSecret)).toBe(false);
    expect(t.app.get(TotpSealer).open(c.id, sealed.totp_sealed)).toEqual(c.totpSecret);
    // Never both, never neither: the database refuses it.
    await expect(
      owner.query(`UPDATE console_agent SET totp_secret = $2 WHERE id = $1`, [c.id, c.totpSecret]),
    ).rejects.toThrow(/console_agent_totp_once/);
  });

  it('disabling an agent ends their sessions', async () => {
    const operator = await createAgent(t);
    const a = await createAgent(t);
    const theirs = await signInHttp(t, a);
    const s = await signInHttp(t, operator);
    const res = await t
      .http()
      .post(`/console/agents/${a.id}/desactivation`)
      .set('cookie', s.cookie)
      .type('form')
      .send({ _csrf: s.csrf });
    expect(res.status).toBe(303);
    expect((await t.http().get('/console').set('cookie', theirs.cookie)).status).toBe(303);
    expect((await signInHttp(t, a)).status).toBe(401);
  });
});
