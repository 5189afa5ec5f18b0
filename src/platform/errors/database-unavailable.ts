import { Logger } from '@nestjs/common';
import type { DomainError } from './domain-error.js';
import { PlatformErrors } from './platform.errors.js';

export { DATABASE_RETRY_AFTER_SECONDS } from './platform.errors.js';

/** Socket-level failures to reach the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'EAI_AGAIN',
]);
/**
 * SQLSTATEs of a server that is away or going: class 08 (connection exception), 57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now (starting, stopping, recovering), 53300 too many connections.
 */
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
/** node-postgres and pg-pool say it in words only. */
const MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
  /^Connection is not established/,
];

/**
 * True when the error says the database cannot be reached (refused, terminated, shutting down, pool unable to
 * connect), looking through the wrappers TypeORM (`driverError`), Node (`cause`, AggregateError `errors`) put around it.
 * Anything else, a constraint or a syntax error, is not a database outage.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  // A client that hangs up in the middle of its request body: Node's request stream fails with ECONNRESET too, and
  // was taken for a database outage (a false alarm any caller could raise).
  if (e.code === 'ECONNRESET' && e.message === 'aborted') return false;
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || SQLSTATE.test(e.code))) return true;
  if (typeof e.message === 'string' && MESSAGES.some((m) => m.test(e.message as string))) return true;
  const inner = [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])];
  return inner.some((x) => x !== error && isDatabaseUnavailable(x, depth + 1));
}

const logger = new Logger('database');
const LOG_EVERY_MS = 10_000;
let lastLogged = 0;
let answered = 0;

/**
 * The problem filter's mapping: a database outage is a `503 DATABASE_UNAVAILABLE` with `Retry-After` (transient,
 * retry), not a `500 INTERNAL_ERROR`. Returns null for any other error. Logged as one warning per ten seconds with
 * the count answered meanwhile, not one line per request.
 */
export function databaseUnavailableProblem(error: unknown): DomainError | null {
  if (!isDatabaseUnavailable(error)) return null;
  answered += 1;
  const now = Date.now();
  if (now - lastLogged >= LOG_EVERY_MS) {
    logger.warn({
      msg: 'database unreachable: requests answered 503 DATABASE_UNAVAILABLE',
      requests: answered,
      err: describe(error),
    });
    lastLogged = now;
    answered = 0;
  }
  return PlatformErrors.DATABASE_UNAVAILABLE();
}

function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  return [typeof e.code === 'string' ? e.code : null, typeof e.message === 'string' ? e.message : null]
    .filter(Boolean)
    .join(': ');
}
