import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { ApiKeyVerifier } from '../../partners/api-key-verifier.js';
import type { KeyPrincipal } from '../../partners/key-principal.js';
import { PlatformErrors } from '../errors/platform.errors.js';
import {
  ANSWERS_CONFIG,
  type DeclaredAnswers,
  HTML_ERRORS_CONFIG,
  HTML_ERRORS_UNDER,
} from '../errors/problem.filter.js';
import { decodeFormComponent } from '../validation/form-body.js';
import { RESERVED_KEYS } from '../validation/json-body.js';
import { isPrintable } from '../validation/text.js';
import {
  CONSOLE_ASSETS_PREFIX,
  CONSOLE_FORM_MAX_BYTES,
  CONSOLE_PASSWORD_PATH,
  CONSOLE_PREFIX,
  CONSOLE_SIGN_IN_PATH,
  CONSOLE_SIGN_OUT_PATHS,
  type ConsoleGate,
  type ConsolePrincipal,
  CSRF_FIELD,
  PRE_SESSION_COOKIE,
  readCookie,
  SESSION_COOKIE,
} from './console-principal.js';
import { policyOf, type RoutePolicy } from './route-policies.js';

/**
 * A request once the gate let it through: the credential it presented, verified (absent on public routes): an API
 * key on API routes, an agent's session on console routes.
 */
export type GatedRequest = FastifyRequest & { principal?: KeyPrincipal; consoleAgent?: ConsolePrincipal };

/** Routes Fastify serves that are no controller's: the API description, public. */
const isApiDescription = (url: string) => url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs-');
/**
 * The DSFR's static files (@fastify/static registers `/console/dsfr/*`, GET and HEAD only): public, no body, no
 * query read. Nothing else under /console is exempt.
 */
export const isConsoleAsset = (url: string) => url === `${CONSOLE_ASSETS_PREFIX}*`;

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The API key of the Authorization header, verified; 401 when missing, malformed, unknown or revoked. */
export async function authenticate(req: FastifyRequest, keys: ApiKeyVerifier): Promise<KeyPrincipal> {
  const header = req.headers.authorization;
  // The scheme is case-insensitive (RFC 9110); Node keeps only the first of two Authorization headers, so a second
  // one (two keys: which partner is asking?) is looked for in the raw headers and refused.
  const scheme = typeof header === 'string' ? /^bearer[ \t]+/i.exec(header) : null;
  const token = header && scheme ? header.slice(scheme[0].length).trim() : undefined;
  if (!token) throw PlatformErrors.AUTH_REQUIRED();
  const raw = req.raw.rawHeaders;
  let sent = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'authorization') sent++;
  if (sent > 1) throw PlatformErrors.AUTH_INVALID();
  const principal = await keys.verify(token);
  if (!principal) throw PlatformErrors.AUTH_INVALID();
  return principal;
}

export const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0].trim().toLowerCase();

const hasBody = (req: FastifyRequest): boolean => {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
};

const isConsolePath = (url: string): boolean => {
  const path = url.split('?')[0];
  return path === CONSOLE_PREFIX || path.startsWith(`${CONSOLE_PREFIX}/`);
};

/**
 * A console page's query string, read as its form: the parameters the page takes (@FormFields, or those its handler
 * names), each once, well-formed percent-encoding of printable text (QUERY_NOT_ACCEPTED for another parameter,
 * CONSOLE_FORM_INVALID otherwise). Fastify's own reader keeps `%zz` as it is and makes a list of a repeated name.
 */
function checkConsoleQuery(url: string, policy: RoutePolicy): void {
  const q = url.indexOf('?');
  if (q < 0) return;
  const seen = new Set<string>();
  for (const pair of url.slice(q + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeFormComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeFormComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (!policy.fields.includes(key)) throw PlatformErrors.QUERY_NOT_ACCEPTED();
    if (seen.has(key) || !isPrintable(value)) throw PlatformErrors.CONSOLE_FORM_INVALID();
    seen.add(key);
  }
}

/**
 * What every request passes before Fastify reads its body (onRequest, right after routing):
 *   1. the credential and its partner kind, on every route but the public ones (the guard then checks the rate): a
 *      caller without a valid key, or with a key of a kind the route does not take, never gets a byte of its body
 *      read or parsed;
 *   2. path parameters hold printable text (the length is Fastify's, 100 characters: 414 beyond);
 *   3. query parameters only on routes that read them;
 *   4. a body only of a media type the route declares (415 naming it); the 1 MiB limit, or BULK_IMPORT_MAX_BYTES
 *      on file uploads, is set per route when it is registered.
 * A route that reads no body accepts none but an empty JSON object (checked once parsed, before validation).
 * Every route must have a policy: one that has none (no controller's, not the API description) stops the start.
 */
export function installRequestGate(
  fastify: FastifyInstance,
  policies: Map<string, RoutePolicy>,
  keys: ApiKeyVerifier,
  bulkMaxBytes: number,
  consoleGate: ConsoleGate,
): void {
  // Errors answered before any route matched (an unknown URL, a bad percent-encoding, an overlong path) under
  // /console are the console's HTML page too.
  fastify.decorate(HTML_ERRORS_UNDER, { prefix: CONSOLE_PREFIX, render: consoleGate.renderError });

  fastify.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url;
    if (isApiDescription(url) || isConsoleAsset(url)) return;
    for (const method of ([] as string[]).concat(route.method)) {
      const policy = policyOf(policies, method, url);
      if (!policy) throw new Error(`Route ${method} ${url} has no access policy (is it a controller's?)`);
      if (policy.bulkUpload) route.bodyLimit = bulkMaxBytes;
      if (policy.console) {
        route.bodyLimit = CONSOLE_FORM_MAX_BYTES;
        route.config = {
          ...(route.config as object | undefined),
          [HTML_ERRORS_CONFIG]: consoleGate.renderError,
        } as typeof route.config;
      }
      // The codes it declares, where the problem filter finds them (checked in tests).
      const declared: DeclaredAnswers = { route: policy.name, codes: new Set(policy.answers.map((e) => e.code)) };
      route.config = { ...(route.config as object | undefined), [ANSWERS_CONFIG]: declared } as typeof route.config;
    }
  });

  fastify.addHook('onRequest', async (req: GatedRequest, reply: FastifyReply) => {
    const url = req.routeOptions.url;
    if (!url) {
      // No route matched: the not-found handler answers, and no body is read for it. Under /console, the page
      // carries the console's layout when the browser has a live session (never a refusal: it is a 404 either way).
      if (hasBody(req)) throw PlatformErrors.NOT_FOUND();
      const token = isConsolePath(req.url) ? readCookie(req.headers.cookie, SESSION_COOKIE) : undefined;
      // The database away, the page is still a 404 (plain).
      const agent = token ? await consoleGate.authenticate(token).catch(() => null) : null;
      if (agent && !agent.mustChangePassword) req.consoleAgent = agent;
      return;
    }
    if (isApiDescription(url) || isConsoleAsset(url)) return;
    const policy = policyOf(policies, req.method, url);
    if (!policy) throw PlatformErrors.AUTH_REQUIRED();
    if (policy.console) {
      // A console route opens with an agent's session cookie only (an Authorization header is ignored); an API
      // route never reads the cookie. Checked before any body byte is read, like a key.
      if (!policy.console.signedOut) {
        const token = readCookie(req.headers.cookie, SESSION_COOKIE);
        const agent = token ? await consoleGate.authenticate(token) : null;
        if (!agent) {
          if (policy.console.action) throw PlatformErrors.CONSOLE_SIGNIN_REQUIRED();
          return reply.redirect(CONSOLE_SIGN_IN_PATH, 303);
        }
        if (!(policy.console.roles as string[]).includes(agent.kind)) throw PlatformErrors.CONSOLE_ROLE_FORBIDDEN();
        req.consoleAgent = agent;
        // A one-time password is replaced before anything else is done.
        if (agent.mustChangePassword && url !== CONSOLE_PASSWORD_PATH && !CONSOLE_SIGN_OUT_PATHS.includes(url)) {
          if (policy.console.action) throw PlatformErrors.CONSOLE_ROLE_FORBIDDEN();
          return reply.redirect(CONSOLE_PASSWORD_PATH, 303);
        }
      }
    } else if (!policy.isPublic) {
      req.principal = await authenticate(req, keys);
      // The partner kind too, before a byte of the body is read: a key of another kind never gets an upload parsed
      // (the guard checks it again for routes no gate ran on).
      if (!policy.allowed.includes(req.principal.kind)) throw PlatformErrors.PARTNER_KIND_FORBIDDEN(req.principal.kind);
    }

    for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
      if (typeof value === 'string' && !isPrintable(value)) {
        throw PlatformErrors.PATH_PARAMETER_INVALID(name);
      }
    }
    const queryKeys = Object.keys((req.query ?? {}) as object);
    if (!policy.takesQuery && queryKeys.length > 0) {
      throw PlatformErrors.QUERY_NOT_ACCEPTED();
    }
    if (policy.console && queryKeys.length > 0) checkConsoleQuery(req.url, policy);
    // class-transformer drops these silently instead of refusing them as unknown.
    if (queryKeys.some((k) => RESERVED_KEYS.has(k))) {
      throw PlatformErrors.QUERY_RESERVED_KEY();
    }
    if (hasBody(req)) {
      const type = mediaType(req.headers['content-type']);
      if (!policy.consumes.includes(type)) {
        throw PlatformErrors.UNSUPPORTED_MEDIA_TYPE(policy.consumes, policy.takesBody);
      }
    }
  });

  fastify.addHook('preValidation', async (req: GatedRequest) => {
    const body = req.body as unknown;
    const policy = policyOf(policies, req.method, req.routeOptions.url);
    // Every console form carries the CSRF token: the session's, or on the sign-in form the pre-session cookie's.
    // Checked once the (small, url-encoded) body is parsed and before the handler runs; the field is then removed.
    if (policy?.console?.action) {
      const form = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      const sent = form[CSRF_FIELD];
      const expected = policy.console.signedOut
        ? readCookie(req.headers.cookie, PRE_SESSION_COOKIE)
        : req.consoleAgent?.csrfToken;
      if (typeof sent !== 'string' || !expected || !sameSecret(sent, expected)) {
        throw PlatformErrors.CONSOLE_CSRF_INVALID();
      }
      delete form[CSRF_FIELD];
      // Only the fields the form has (@FormFields): an unknown one is refused before anything is done.
      if (Object.keys(form).some((k) => !policy.fields.includes(k))) throw PlatformErrors.CONSOLE_FORM_INVALID();
      return;
    }
    if (body === undefined) return;
    if (!policy || policy.takesBody) return;
    if (
      typeof body === 'object' &&
      body !== null &&
      !Array.isArray(body) &&
      !Buffer.isBuffer(body) &&
      Object.keys(body).length === 0
    )
      return;
    throw PlatformErrors.BODY_NOT_ACCEPTED();
  });
}
