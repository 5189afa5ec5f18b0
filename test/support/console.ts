import type { Response } from 'supertest';
import { AgentsService } from '../../src/console/agents/agents.service.js';
import { totpAt, TOTP_STEP_SECONDS } from '../../src/console/auth/totp.js';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { cliActor } from '../../src/platform/auth/actor.js';
import type { TestApp } from './test-app.js';

/** A console agent ready to sign in (their own password set, no one-time password left). */
export interface TestAgent {
  id: string;
  login: string;
  password: string;
  totpSecret: Buffer;
  partnerId: string;
  /** The last TOTP step this agent's sign-ins used (a code is accepted once). */
  lastStep: number;
}

/** RFC 4648 base32 (as the CLI and the agents page print TOTP secrets) to bytes. */
export const base32Decode = (s: string): Buffer => {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of s) {
    value = (value << 5) | A.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
};

let seq = 0;

/**
 * Creates an agent through the service (as the CLI does) and replaces the one-time password with `password` (as
 * the agent does at first sign-in), so tests sign in straight to the pages. `kind` fund registers a fund partner.
 */
export async function createAgent(
  t: TestApp,
  o: { kind?: 'operator' | 'fund'; organismeCode?: string; login?: string; keepOneTimePassword?: boolean } = {},
): Promise<TestAgent & { oneTimePassword: string }> {
  const kind = o.kind ?? 'operator';
  const partnerId =
    kind === 'fund'
      ? (await t.partner(PartnerKind.Fund, o.organismeCode ?? '017510001')).id
      : (await t.partner(PartnerKind.Operator)).id;
  const agents = t.app.get(AgentsService);
  const login = o.login ?? `agent.${process.pid}.${++seq}`;
  const created = await agents.create(cliActor(), { partnerId, login, displayName: `Agent ${seq}` });
  const password = 'correct horse battery staple';
  if (!o.keepOneTimePassword) {
    await agents.changePassword(
      { ...cliActor(), agentId: created.id },
      '00000000-0000-0000-0000-000000000000',
      created.oneTimePassword,
      password,
    );
  }
  return {
    id: created.id,
    login,
    password: o.keepOneTimePassword ? created.oneTimePassword : password,
    oneTimePassword: created.oneTimePassword,
    totpSecret: base32Decode(created.totpSecret),
    partnerId,
    lastStep: 0,
  };
}

/**
 * The next valid code for an agent: a step after the last one used, the current one or the next (waits for the next
 * step when two sign-ins used them both).
 */
export async function nextCode(agent: TestAgent): Promise<string> {
  for (;;) {
    const now = Math.floor(Date.now() / 1000 / TOTP_STEP_SECONDS);
    // Never the step before now: the server takes it only until the clock reaches the next step, which a slow
    // browser (a loaded machine) may let happen between the code's making and its arrival. The current step and the
    // next one stay good for 30 to 60 seconds.
    const step = Math.max(now, agent.lastStep + 1);
    if (step <= now + 1) {
      agent.lastStep = step;
      return totpAt(agent.totpSecret, step * TOTP_STEP_SECONDS);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Cookies a response sets, as `name=value` pairs for the next request's Cookie header. */
export const setCookies = (res: Response): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
};

export const cookieHeader = (cookies: Record<string, string>) =>
  Object.entries(cookies)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');

/** The value of the `_csrf` field of a page's first form. */
export const csrfOf = (page: string): string => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

/**
 * Signs in over HTTP as a browser does (sign-in page, then its form with password and code); returns the cookies
 * and the session's CSRF token, read from the home page.
 */
export async function signInHttp(
  t: TestApp,
  agent: TestAgent,
  code?: string,
): Promise<{ cookie: string; csrf: string; status: number; body: string }> {
  const form = await t.http().get('/console/connexion');
  const pre = setCookies(form);
  const res = await t
    .http()
    .post('/console/connexion')
    .set('cookie', cookieHeader(pre))
    .type('form')
    .send({
      _csrf: csrfOf(form.text),
      login: agent.login,
      password: agent.password,
      code: code ?? (await nextCode(agent)),
    });
  const cookies = { ...pre, ...setCookies(res) };
  const cookie = cookieHeader(cookies);
  if (res.status !== 303) return { cookie, csrf: '', status: res.status, body: res.text };
  const home = await t.http().get('/console').set('cookie', cookie);
  return { cookie, csrf: csrfOf(home.text), status: res.status, body: home.text };
}
