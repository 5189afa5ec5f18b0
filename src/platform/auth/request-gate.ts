import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { ApiKeyVerifier } from '../../partners/api-key-verifier.js';
import type { KeyPrincipal } from '../../partners/key-principal.js';
import { PlatformErrors } from '../errors/platform.errors.js';
import { ANSWERS_CONFIG, type DeclaredAnswers } from '../errors/problem.filter.js';
import { RESERVED_KEYS } from '../validation/json-body.js';
import { isPrintable } from '../validation/text.js';
import { policyOf, type RoutePolicy } from './route-policies.js';

/** A request once the gate let it through: the credential it presented, verified (absent on public routes). */
export type GatedRequest = FastifyRequest & { principal?: KeyPrincipal };

/** Routes Fastify serves that are no controller's: the API description, public. */
const isApiDescription = (url: string) => url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs-');

/** The API key of the Authorization header, verified; 401 when missing, malformed, unknown or revoked. */
export async function authenticate(req: FastifyRequest, keys: ApiKeyVerifier): Promise<KeyPrincipal> {
  const header = req.headers.authorization;
  const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  if (!token) throw PlatformErrors.AUTH_REQUIRED();
  const principal = await keys.verify(token);
  if (!principal) throw PlatformErrors.AUTH_INVALID();
  return principal;
}

export const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0].trim().toLowerCase();

const hasBody = (req: FastifyRequest): boolean => {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
};

/**
 * What every request passes before Fastify reads its body (onRequest, right after routing):
 *   1. the credential, on every route but the public ones (the guard then checks the partner kind and the rate):
 *      a caller without a valid key never gets a byte of its body read or parsed;
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
): void {
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url;
    if (isApiDescription(url)) return;
    for (const method of ([] as string[]).concat(route.method)) {
      const policy = policyOf(policies, method, url);
      if (!policy) throw new Error(`Route ${method} ${url} has no access policy (is it a controller's?)`);
      if (policy.bulkUpload) route.bodyLimit = bulkMaxBytes;
      // The codes it declares, where the problem filter finds them (checked in tests).
      const declared: DeclaredAnswers = { route: policy.name, codes: new Set(policy.answers.map((e) => e.code)) };
      route.config = { ...(route.config as object | undefined), [ANSWERS_CONFIG]: declared } as typeof route.config;
    }
  });

  fastify.addHook('onRequest', async (req: GatedRequest) => {
    const url = req.routeOptions.url;
    // No route matched: the not-found handler answers, nothing is read.
    if (!url || isApiDescription(url)) return;
    const policy = policyOf(policies, req.method, url);
    if (!policy) throw PlatformErrors.AUTH_REQUIRED();
    if (!policy.isPublic) req.principal = await authenticate(req, keys);

    for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
      if (typeof value === 'string' && !isPrintable(value)) {
        throw PlatformErrors.PATH_PARAMETER_INVALID(name);
      }
    }
    const queryKeys = Object.keys((req.query ?? {}) as object);
    if (!policy.takesQuery && queryKeys.length > 0) {
      throw PlatformErrors.QUERY_NOT_ACCEPTED();
    }
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

  fastify.addHook('preValidation', async (req: FastifyRequest) => {
    const body = req.body as unknown;
    if (body === undefined) return;
    const policy = policyOf(policies, req.method, req.routeOptions.url);
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
