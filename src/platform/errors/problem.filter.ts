import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { databaseUnavailableProblem } from './database-unavailable.js';
import { DomainError } from './domain-error.js';
import { FASTIFY_ERRORS, HTTP_STATUS_ERRORS, PlatformErrors } from './platform.errors.js';

/** Where a console route's HTML error renderer sits in its Fastify config (set by the request gate). */
export const HTML_ERRORS_CONFIG = 'vitaleHtmlErrors';
/**
 * The Fastify decoration that renders, as HTML, the errors of requests no route answers (an unknown URL, a bad
 * percent-encoding, an overlong path parameter) under a prefix: `{ prefix, render }`, set by the request gate.
 */
export const HTML_ERRORS_UNDER = 'vitaleHtmlErrorsUnder';
type HtmlRenderer = (p: Problem, req: unknown) => string;

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  requestId?: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  431: 'Request Header Fields Too Large',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Most entries of a list in an error document (validation errors, bad file lines...); the total is given beside. */
export const PROBLEM_MAX_LIST = 20;
/** Longest `detail`. */
const MAX_DETAIL = 500;
/** Largest error document; a larger one keeps its standard members only. */
export const PROBLEM_MAX_BYTES = 8 * 1024;

export function toProblem(
  exception: unknown,
  requestId?: string,
  instance?: string,
): { problem: Problem; cause?: unknown; sqlState?: string } {
  const { error, cause, sqlState } = asDomainError(exception);
  // Details come first so they can never overwrite the standard members (a detail named `status`...).
  const problem: Problem = {
    ...(error.details ?? {}),
    type: `urn:vitale:problem:${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    detail: error.message,
  };
  if (instance) problem.instance = instance;
  if (requestId) problem.requestId = requestId;
  return { problem, cause, sqlState };
}

/**
 * Any exception as one of the catalogue's errors: ours as they are; the database away, Fastify's and Nest's own
 * refusals through the platform catalogue's tables; input the database refuses as data; anything else internal.
 */
function asDomainError(exception: unknown): { error: DomainError; cause?: unknown; sqlState?: string } {
  const unavailable = databaseUnavailableProblem(exception);
  if (unavailable) return { error: unavailable };
  if (exception instanceof DomainError) return { error: exception };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Nest wraps fastify's own errors (body parsing, limits); their code says more than the status.
    const fastify = isFastifyError(exception.cause) ? exception.cause : undefined;
    const known = fastify ? FASTIFY_ERRORS[fastify.code] : undefined;
    if (known) return { error: known() };
    const byStatus = HTTP_STATUS_ERRORS[status];
    if (!byStatus)
      return status >= 500
        ? { error: PlatformErrors.INTERNAL_ERROR(), cause: exception }
        : { error: PlatformErrors.BAD_REQUEST(TITLES[status] ?? 'The request cannot be processed') };
    if (fastify) return { error: byStatus(TITLES[status] ?? 'The request cannot be processed') };
    const body = exception.getResponse();
    const msg = typeof body === 'object' && body && 'message' in body ? (body as { message: unknown }).message : body;
    return { error: byStatus(Array.isArray(msg) ? msg.join('; ') : String(msg)) };
  }
  if (isFastifyError(exception)) {
    const known = FASTIFY_ERRORS[exception.code];
    if (known) return { error: known() };
    const title = TITLES[exception.statusCode] ?? 'The request cannot be processed';
    return { error: (HTTP_STATUS_ERRORS[exception.statusCode] ?? PlatformErrors.BAD_REQUEST)(title) };
  }
  const sqlState = inputDataException(exception);
  if (sqlState !== undefined) return { error: PlatformErrors.INVALID_INPUT(), sqlState };
  return { error: PlatformErrors.INTERNAL_ERROR(), cause: exception };
}

function isFastifyError(e: unknown): e is { statusCode: number; code: string; message: string } {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { statusCode?: unknown }).statusCode === 'number' &&
    typeof (e as { code?: unknown }).code === 'string' &&
    /^FST_/.test((e as { code: string }).code) &&
    (e as { statusCode: number }).statusCode < 500
  );
}

/**
 * The SQLSTATE of a PostgreSQL data exception (class 22: invalid text representation, value out of range,
 * untranslatable character...), which input that slipped past validation causes; undefined for anything else.
 * Read from the error's fields (TypeORM's QueryFailedError carries the driver's), never from its message, which
 * quotes the value.
 */
export function inputDataException(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const candidates = [e, (e as { driverError?: unknown }).driverError];
  for (const c of candidates) {
    if (typeof c !== 'object' || c === null) continue;
    const state = (c as { code?: unknown }).code;
    const fromDatabase = 'severity' in c || (e as { name?: unknown }).name === 'QueryFailedError';
    if (fromDatabase && typeof state === 'string' && /^22[0-9A-Z]{3}$/.test(state)) return state;
  }
  return undefined;
}

/**
 * Enum values, event types and field names (identifiers that start lower-case), codes and serials (up to 12
 * digits) and ids: repeating them hides nothing, and says which one a refusal is about. Names (upper case once
 * normalised), NIRs (13 to 15 characters) and free text are what must not come back.
 */
const HARMLESS =
  /^(?:[a-z][a-zA-Z0-9_.]{0,39}|\d{1,12}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

/** Members that name fields or parameters of the API (from the code, never from the input). */
const NAMES = new Set(['field', 'parameter', 'accepted', 'known']);

const STANDARD = new Set(['type', 'title', 'status', 'code', 'detail', 'instance', 'requestId']);

/**
 * Keeps an error document small and free of the caller's input whatever produced it: lists are cut to
 * PROBLEM_MAX_LIST entries (with the total beside), `detail` to 500 characters, the whole to PROBLEM_MAX_BYTES;
 * and any text of the request (path parameters, query values, body keys and text values) that a message would
 * repeat is replaced by "(value sent)". Lower-case identifiers (enum values, field names) and short numbers are not
 * input worth hiding and stay, so "the action activate takes no reason" reads as written.
 */
export function boundProblem(problem: Problem, inputs: string[] = []): Problem {
  const fragments = inputs.filter((s) => s.length >= 4 && !HARMLESS.test(s)).sort((a, b) => b.length - a.length);
  const scrub = (s: string): string => {
    let out = s;
    for (const f of fragments) if (out.includes(f)) out = out.split(f).join('(value sent)');
    return out;
  };
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return scrub(v.length > MAX_DETAIL ? `${v.slice(0, MAX_DETAIL)}…` : v);
    if (typeof v !== 'object' || v === null || depth > 6) return typeof v === 'object' && v !== null ? '…' : v;
    if (Array.isArray(v)) return v.slice(0, PROBLEM_MAX_LIST).map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = NAMES.has(k) ? x : walk(x, depth + 1);
    return out;
  };
  const bounded: Problem = {
    ...problem,
    detail: scrub(problem.detail.length > MAX_DETAIL ? `${problem.detail.slice(0, MAX_DETAIL)}…` : problem.detail),
  };
  for (const [k, v] of Object.entries(problem)) {
    if (STANDARD.has(k)) continue;
    if (Array.isArray(v) && v.length > PROBLEM_MAX_LIST) bounded[`${k}Count`] = v.length;
    bounded[k] = NAMES.has(k) ? v : walk(v, 0);
  }
  if (Buffer.byteLength(JSON.stringify(bounded)) <= PROBLEM_MAX_BYTES) return bounded;
  const small: Problem = {
    type: bounded.type,
    title: bounded.title,
    status: bounded.status,
    code: bounded.code,
    detail: bounded.detail,
    truncated: true,
  };
  if (bounded.instance) small.instance = bounded.instance;
  if (bounded.requestId) small.requestId = bounded.requestId;
  return small;
}

/** The texts a request carried, to be kept out of its error document (bounded: a few thousand at most). */
export function requestInputs(req: FastifyRequest | undefined): string[] {
  if (!req) return [];
  const out: string[] = [];
  const MAX = 2000;
  const add = (v: unknown, depth: number): void => {
    if (out.length >= MAX) return;
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'bigint') out.push(String(v));
    else if (typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && depth < 40) {
      if (Array.isArray(v)) for (const x of v) add(x, depth + 1);
      else
        for (const [k, x] of Object.entries(v)) {
          out.push(k);
          add(x, depth + 1);
        }
    }
  };
  // Path parameter values only: their names are the route's.
  for (const v of Object.values((req.params ?? {}) as Record<string, unknown>)) add(v, 1);
  add(req.query, 0);
  add(req.body, 0);
  return out;
}

/** Sends an exception as a bounded problem document; the one way errors leave the HTTP application. */
export function sendProblem(
  exception: unknown,
  req: FastifyRequest | undefined,
  reply: FastifyReply,
  logger: Pick<Logger, 'error' | 'warn'>,
): void {
  let { problem: raw, cause, sqlState } = toProblem(exception, req?.id);
  const undeclared = undeclaredAnswer(raw.code, req);
  if (undeclared) {
    logger.error({
      msg: 'problem code not declared by its route',
      requestId: req?.id,
      code: raw.code,
      route: undeclared.route,
    });
    ({
      problem: raw,
      cause,
      sqlState,
    } = toProblem(PlatformErrors.UNDECLARED_PROBLEM_CODE(undeclared.route, raw.code), req?.id));
  }
  if (cause) logger.error({ msg: 'unhandled error', requestId: req?.id, err: describe(cause) });
  // The SQLSTATE only: the database's message quotes the value.
  if (sqlState) logger.warn({ msg: 'input refused by the database', requestId: req?.id, sqlState });
  if (
    raw.code === PlatformErrors.PAYLOAD_TOO_LARGE.code &&
    typeof req?.routeOptions?.bodyLimit === 'number' &&
    raw.maxBytes === undefined
  ) {
    const sized = PlatformErrors.PAYLOAD_TOO_LARGE(req.routeOptions.bodyLimit);
    raw.maxBytes = req.routeOptions.bodyLimit;
    raw.detail = sized.message;
  }
  const problem = boundProblem(raw, requestInputs(req));
  // A console route answers its errors as the console's HTML page (same status, code and message); the request
  // gate puts the renderer in the route's config.
  const renderHtml =
    ((req?.routeOptions?.config as Record<string, unknown> | undefined)?.[HTML_ERRORS_CONFIG] as
      HtmlRenderer | undefined) ?? unroutedRenderer(req);
  if (renderHtml) {
    void reply.status(problem.status).type('text/html; charset=utf-8').send(renderHtml(problem, req));
    return;
  }
  if (problem.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="vitale"');
  if (typeof problem.retryAfterSeconds === 'number') {
    reply.header('Retry-After', String(problem.retryAfterSeconds));
  }
  void reply.status(problem.status).type('application/problem+json').send(problem);
}

/** The HTML renderer of a request no route answered, when its URL is under the decorated prefix. */
function unroutedRenderer(req: FastifyRequest | undefined): HtmlRenderer | undefined {
  if (!req || req.routeOptions?.url) return undefined;
  const under = (req.server as unknown as Record<string, unknown> | undefined)?.[HTML_ERRORS_UNDER] as
    { prefix: string; render: HtmlRenderer } | undefined;
  const path = (req.url ?? '').split('?')[0];
  return under && (path === under.prefix || path.startsWith(`${under.prefix}/`)) ? under.render : undefined;
}

/** What the request gate puts in each route's Fastify config: the codes it declares (@Answers and its policy's). */
export interface DeclaredAnswers {
  route: string;
  codes: ReadonlySet<string>;
}
export const ANSWERS_CONFIG = 'vitaleAnswers';

/** Test-only: the route's declared codes are checked at every answer, so that the lists cannot drift from the code. */
export const CHECK_PROBLEM_CODES_ENV = 'VITALE_CHECK_PROBLEM_CODES';

/**
 * With VITALE_CHECK_PROBLEM_CODES=1 (the test suite sets it; never in production), a route that answers a code it
 * does not declare answers 500 UNDECLARED_PROBLEM_CODE instead: the test that provoked it fails at that request,
 * naming the route and the code, whichever app (in-process or a spawned product) answered. INTERNAL_ERROR is never
 * declared, and requests that matched no route have nothing to check.
 */
function undeclaredAnswer(code: string, req: FastifyRequest | undefined): { route: string } | null {
  if (process.env[CHECK_PROBLEM_CODES_ENV] !== '1' || code === PlatformErrors.INTERNAL_ERROR.code) return null;
  const declared = (req?.routeOptions?.config as Record<string, unknown> | undefined)?.[ANSWERS_CONFIG] as
    DeclaredAnswers | undefined;
  if (!declared || declared.codes.has(code)) return null;
  return { route: declared.route };
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendProblem(exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>(), this.logger);
  }
}

function describe(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { value: String(e) };
}

/**
 * Fastify's clientErrorHandler: what Node's HTTP parser refuses before any request exists (a malformed request line,
 * Content-Length or Transfer-Encoding, headers over 16 KiB) answered as a problem document on the raw socket, then
 * the connection closed (Fastify's own answer is a bare `{"error":"Bad Request"}`). A socket already gone or
 * written to is only destroyed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (socket.destroyed || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  if (err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.destroy();
    return;
  }
  const error =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? PlatformErrors.REQUEST_HEADERS_TOO_LARGE()
      : PlatformErrors.HTTP_REQUEST_MALFORMED();
  const body = JSON.stringify(toProblem(error).problem);
  socket.end(
    `HTTP/1.1 ${error.status} ${TITLES[error.status] ?? 'Bad Request'}\r\n` +
      'Content-Type: application/problem+json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
