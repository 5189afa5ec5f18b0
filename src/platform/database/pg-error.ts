import { QueryFailedError } from 'typeorm';

/** PostgreSQL's SQLSTATE codes repositories turn into domain errors (services never see them). */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_CHECK_VIOLATION = '23514';
export const PG_EXCLUSION_VIOLATION = '23P01';

export interface PgError {
  code: string;
  constraint?: string;
  detail?: string;
}

/**
 * The PostgreSQL error behind `e` (TypeORM's QueryFailedError keeps it as `driverError`; a prepared statement on the
 * pool throws it bare), or null when `e` is not one.
 */
export function pgError(e: unknown): PgError | null {
  const inner =
    e instanceof QueryFailedError ? ((e as QueryFailedError & { driverError?: unknown }).driverError ?? e) : e;
  const code = (inner as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? (inner as PgError) : null;
}
