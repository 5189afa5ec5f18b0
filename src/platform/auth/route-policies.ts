import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import type { INestApplicationContext } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ALL_PARTNER_KINDS, type PartnerKind } from '../../partners/partner-kind.enum.js';
import { ANSWERS } from '../errors/answers.decorator.js';
import type { ErrorSpec } from '../errors/catalogue.js';
import { PlatformErrors } from '../errors/platform.errors.js';
import {
  ALLOWED_KINDS,
  BULK_UPLOAD,
  CONSOLE_FIELDS,
  CONSOLE_ROUTE,
  type ConsoleRouteSpec,
  CONSUMES,
  PUBLIC_ROUTE,
  RATE_LIMITED,
  STREAMED_UPLOAD,
} from './auth.decorators.js';

/** What a route lets in, read from its controller's decorators. */
export interface RoutePolicy {
  /** `Controller.method`, for messages. */
  name: string;
  method: string;
  /** The route pattern as Fastify registers it (`/v1/cards/:serial`). */
  path: string;
  isPublic: boolean;
  allowed: PartnerKind[];
  rateLimited: boolean;
  /** Media types its body may have; JSON when the route declares none. */
  consumes: string[];
  /** A file upload: BULK_IMPORT_MAX_BYTES instead of 1 MiB, bytes kept raw. */
  bulkUpload: boolean;
  /** A file upload handed to the handler as a stream (@StreamedUpload): no body limit, nothing buffered. */
  streamedUpload: boolean;
  /** The handler reads a body (@Body, or a declared upload); a route that does not refuses one. */
  takesBody: boolean;
  /** The handler reads the query string (@Query); a route that does not refuses query parameters. */
  takesQuery: boolean;
  /** A path parameter goes through a pipe (ParseUUIDPipe, ParseIntPipe...), whose refusal is a 400 BAD_REQUEST. */
  parsesParams: boolean;
  /** A console route (@ConsolePage, @ConsoleAction...): session cookie instead of a bearer key; null for the API. */
  console: ConsoleRouteSpec | null;
  /**
   * A console route's form fields (@FormFields): a form post's body fields besides the CSRF token, a page's query
   * parameters (by default those its handler names); the gate refuses any other. Empty on API routes.
   */
  fields: string[];
  /** Every error the route may answer: its own (@Answers on the handler and its controller) and its policy's. */
  answers: ErrorSpec[];
}

export const JSON_MEDIA_TYPE = 'application/json';

/**
 * Every route of every controller with its policy, keyed `METHOD /path` (HEAD answers as GET). Read from Nest's
 * own metadata, as the start-up check and the tests do, so a new controller is covered without being listed.
 */
export function readRoutePolicies(app: INestApplicationContext): Map<string, RoutePolicy> {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const policies = new Map<string, RoutePolicy>();
  for (const wrapper of discovery.getControllers()) {
    const cls = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
    if (!cls) continue;
    const bases = ([] as string[]).concat(reflector.get<string | string[]>(PATH_METADATA, cls) ?? '');
    for (const methodName of scanner.getAllMethodNames(cls.prototype)) {
      const handler = (cls.prototype as Record<string, unknown>)[methodName] as (...args: unknown[]) => unknown;
      const subs = reflector.get<string | string[] | undefined>(PATH_METADATA, handler);
      if (subs === undefined) continue;
      const method = RequestMethod[reflector.get<number>(METHOD_METADATA, handler)];
      const targets = [handler, cls];
      const args = Object.entries(
        (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, methodName) ?? {}) as Record<string, unknown>,
      );
      const argOf = (type: RouteParamtypes) => args.some(([key]) => key.split(':')[0] === String(type));
      const namedQuery = args
        .filter(([key]) => key.split(':')[0] === String(RouteParamtypes.QUERY))
        .map(([, a]) => (a as { data?: unknown }).data)
        .filter((d): d is string => typeof d === 'string');
      const declaredFields = reflector.getAllAndOverride<string[] | undefined>(CONSOLE_FIELDS, targets);
      const declared = reflector.getAllAndOverride<string[] | undefined>(CONSUMES, targets);
      const bulkUpload = !!reflector.getAllAndOverride<boolean>(BULK_UPLOAD, targets);
      const consoleSpec = reflector.getAllAndOverride<ConsoleRouteSpec | undefined>(CONSOLE_ROUTE, targets) ?? null;
      for (const base of bases) {
        for (const sub of ([] as string[]).concat(subs)) {
          const path = ('/' + [base, sub].filter((p) => p && p !== '/').join('/'))
            .replace(/\/+/g, '/')
            .replace(/(.)\/$/, '$1');
          const policy: RoutePolicy = {
            name: `${cls.name}.${methodName}`,
            method,
            path,
            isPublic: !!reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets),
            allowed: reflector.getAllAndOverride<PartnerKind[] | undefined>(ALLOWED_KINDS, targets) ?? [],
            rateLimited: !!reflector.getAllAndOverride<boolean>(RATE_LIMITED, targets),
            // A console page takes no body at all; a console form only url-encoded (@ConsoleAction declares it).
            consumes: declared?.length ? declared : consoleSpec && !consoleSpec.action ? [] : [JSON_MEDIA_TYPE],
            bulkUpload,
            streamedUpload: !!reflector.getAllAndOverride<boolean>(STREAMED_UPLOAD, targets),
            takesBody: argOf(RouteParamtypes.BODY) || !!declared?.length,
            takesQuery: argOf(RouteParamtypes.QUERY),
            parsesParams: args.some(
              ([key, a]) =>
                key.split(':')[0] === String(RouteParamtypes.PARAM) &&
                ((a as { pipes?: unknown[] }).pipes?.length ?? 0) > 0,
            ),
            console: consoleSpec,
            fields: consoleSpec ? (declaredFields ?? (consoleSpec.action ? [] : namedQuery)) : [],
            answers: [],
          };
          const own = reflector.getAllAndMerge<ErrorSpec[]>(ANSWERS, targets) ?? [];
          policy.answers = [...new Set([...automaticAnswers(policy), ...own])];
          policies.set(`${method} ${path}`, policy);
        }
      }
    }
  }
  return policies;
}

/** The policy of the route a request matched (HEAD is answered by the GET route). */
export function policyOf(
  policies: Map<string, RoutePolicy>,
  method: string,
  url: string | undefined,
): RoutePolicy | undefined {
  if (!url) return undefined;
  return policies.get(`${method === 'HEAD' ? 'GET' : method} ${url}`);
}

const P = PlatformErrors;

/**
 * The errors a route answers because of its policy, whatever its handler does: the request gate's and the guard's
 * refusals (credentials, partner kind, rate), the checks of what it may be sent (path parameters, query string,
 * body and its media type, JSON reading, validation), and the database's absence.
 */
export function automaticAnswers(p: Omit<RoutePolicy, 'answers'>): ErrorSpec[] {
  const out: ErrorSpec[] = [P.DATABASE_UNAVAILABLE, P.URL_INVALID, P.UNSUPPORTED_MEDIA_TYPE, P.PAYLOAD_TOO_LARGE];
  if (p.console) {
    // A console form: its session (or pre-session) and its CSRF token; a signed-in page: the agent's partner kind.
    if (p.console.action) out.push(P.CONSOLE_SIGNIN_REQUIRED, P.CONSOLE_CSRF_INVALID, P.CONSOLE_FORM_INVALID);
    if (!p.console.signedOut) out.push(P.CONSOLE_ROLE_FORBIDDEN);
  } else {
    if (!p.isPublic) out.push(P.AUTH_REQUIRED, P.AUTH_INVALID);
    if (!p.isPublic && ALL_PARTNER_KINDS.some((k) => !p.allowed.includes(k))) out.push(P.PARTNER_KIND_FORBIDDEN);
  }
  if (p.rateLimited) out.push(P.RATE_LIMITED);
  const hasParams = p.path.includes(':');
  if (hasParams) out.push(P.PATH_PARAMETER_INVALID, P.URI_TOO_LONG);
  if (p.parsesParams) out.push(P.BAD_REQUEST);
  out.push(...(p.takesQuery ? [P.QUERY_RESERVED_KEY, P.VALIDATION_FAILED] : [P.QUERY_NOT_ACCEPTED]));
  // A console page's query string is read as its form: only its fields, each once, printable.
  if (p.console && p.takesQuery) out.push(P.QUERY_NOT_ACCEPTED, P.CONSOLE_FORM_INVALID);
  // A JSON body is read (and its reader's refusals answered) on every route that takes JSON or takes no body ({} is accepted).
  if (!p.console && (!p.takesBody || p.consumes.includes(JSON_MEDIA_TYPE))) {
    out.push(P.MALFORMED_BODY, P.JSON_TOO_DEEP, P.JSON_DUPLICATE_KEY, P.JSON_FORBIDDEN_KEY, P.TEXT_NOT_PRINTABLE);
  }
  out.push(p.takesBody ? P.VALIDATION_FAILED : P.BODY_NOT_ACCEPTED);
  if (hasParams || p.takesQuery || p.takesBody) out.push(P.INVALID_INPUT);
  return [...new Set(out)];
}
