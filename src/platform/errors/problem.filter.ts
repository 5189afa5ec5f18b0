import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { databaseUnavailableProblem } from './database-unavailable.js';
import { DomainError } from './domain-error.js';

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

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'AUTH_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/**
 * Fastify's own errors (URL, body reading) as stable problem codes with fixed messages: fastify's messages quote
 * the URL or the Content-Type header, which are the caller's input.
 */
const FASTIFY_ERRORS: Record<string, { code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', detail: 'The body is larger than this endpoint accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'This endpoint does not accept a body of that media type' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_BODY', detail: 'The body is empty; send a JSON object' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'MALFORMED_BODY', detail: 'The body is not as long as its Content-Length says' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_BODY', detail: 'The body is not valid JSON (RFC 8259)' },
  FST_ERR_BAD_URL: { code: 'URL_INVALID', detail: 'The URL holds an invalid percent-encoding' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URI_TOO_LONG', detail: 'A path parameter is longer than 100 characters; no identifier of this API is that long' },
};

/** Most entries of a list in an error document (validation errors, bad file lines...); the total is given beside. */
export const PROBLEM_MAX_LIST = 20;
/** Longest `detail`. */
const MAX_DETAIL = 500;
/** Largest error document; a larger one keeps its standard members only. */
export const PROBLEM_MAX_BYTES = 8 * 1024;

export function toProblem(exception: unknown, requestId?: string, instance?: string): { problem: Problem; cause?: unknown; sqlState?: string } {
  exception = databaseUnavailableProblem(exception) ?? exception;
  let status = 500;
  let code = 'INTERNAL_ERROR';
  let detail = 'An unexpected error occurred; quote the request id to the operators.';
  let extra: Record<string, unknown> = {};
  let cause: unknown;
  let sqlState: string | undefined;

  if (exception instanceof DomainError) {
    status = exception.status;
    code = exception.code;
    detail = exception.message;
    extra = exception.details ?? {};
  } else if (exception instanceof HttpException) {
    status = exception.getStatus();
    const body = exception.getResponse();
    // Nest wraps fastify's own errors (body parsing, limits); their code says more than the status.
    const known = isFastifyError(exception.cause) ? FASTIFY_ERRORS[exception.cause.code] : undefined;
    code = known?.code ?? STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
    if (status === 404) {
      detail = 'No such resource.';
    } else if (known) {
      detail = known.detail;
    } else if (isFastifyError(exception.cause)) {
      detail = TITLES[status] ?? 'The request cannot be processed';
    } else if (status < 500) {
      const msg = typeof body === 'object' && body && 'message' in body ? (body as { message: unknown }).message : body;
      detail = Array.isArray(msg) ? msg.join('; ') : String(msg);
    } else {
      cause = exception;
    }
  } else if (isFastifyError(exception)) {
    status = exception.statusCode;
    const known = FASTIFY_ERRORS[exception.code];
    code = known?.code ?? STATUS_CODES[status] ?? 'BAD_REQUEST';
    detail = known?.detail ?? TITLES[status] ?? 'The request cannot be processed';
  } else if ((sqlState = inputDataException(exception)) !== undefined) {
    status = 400;
    code = 'INVALID_INPUT';
    detail = 'A value of the request is out of range or holds characters that cannot be stored; check numbers, dates and text against the API description';
  } else {
    cause = exception;
  }
  // Details come first so they can never overwrite the standard members (a detail named `status`...).
  const problem: Problem = {
    ...extra,
    type: `urn:vitale:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
  };
  if (instance) problem.instance = instance;
  if (requestId) problem.requestId = requestId;
  return { problem, cause, sqlState };
}

function isFastifyError(e: unknown): e is { statusCode: number; code: string; message: string } {
  return (
    typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number' &&
    typeof (e as { code?: unknown }).code === 'string' && /^FST_/.test((e as { code: string }).code) &&
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
const HARMLESS = /^(?:[a-z][a-zA-Z0-9_.]{0,39}|\d{1,12}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

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
  const bounded: Problem = { ...problem, detail: scrub(problem.detail.length > MAX_DETAIL ? `${problem.detail.slice(0, MAX_DETAIL)}…` : problem.detail) };
  for (const [k, v] of Object.entries(problem)) {
    if (STANDARD.has(k)) continue;
    if (Array.isArray(v) && v.length > PROBLEM_MAX_LIST) bounded[`${k}Count`] = v.length;
    bounded[k] = NAMES.has(k) ? v : walk(v, 0);
  }
  if (Buffer.byteLength(JSON.stringify(bounded)) <= PROBLEM_MAX_BYTES) return bounded;
  const small: Problem = { type: bounded.type, title: bounded.title, status: bounded.status, code: bounded.code, detail: bounded.detail, truncated: true };
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
      else for (const [k, x] of Object.entries(v)) { out.push(k); add(x, depth + 1); }
    }
  };
  // Path parameter values only: their names are the route's.
  for (const v of Object.values((req.params ?? {}) as Record<string, unknown>)) add(v, 1);
  add(req.query, 0);
  add(req.body, 0);
  return out;
}

/** Sends an exception as a bounded problem document; the one way errors leave the HTTP application. */
export function sendProblem(exception: unknown, req: FastifyRequest | undefined, reply: FastifyReply, logger: Pick<Logger, 'error' | 'warn'>): void {
  const { problem: raw, cause, sqlState } = toProblem(exception, req?.id);
  if (cause) logger.error({ msg: 'unhandled error', requestId: req?.id, err: describe(cause) });
  // The SQLSTATE only: the database's message quotes the value.
  if (sqlState) logger.warn({ msg: 'input refused by the database', requestId: req?.id, sqlState });
  if (raw.code === 'PAYLOAD_TOO_LARGE' && typeof req?.routeOptions?.bodyLimit === 'number' && raw.maxBytes === undefined) {
    raw.maxBytes = req.routeOptions.bodyLimit;
    raw.detail = `The body is larger than the ${req.routeOptions.bodyLimit} bytes this endpoint accepts`;
  }
  const problem = boundProblem(raw, requestInputs(req));
  if (problem.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="vitale"');
  if (typeof problem.retryAfterSeconds === 'number') {
    reply.header('Retry-After', String(problem.retryAfterSeconds));
  }
  void reply.status(problem.status).type('application/problem+json').send(problem);
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
