/**
 * A refusal the caller can act on. Services throw these (never HTTP exceptions), so jobs, crons and the CLI
 * share them; the problem filter maps them to RFC 9457 application/problem+json with the stable `code`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, code = 'NOT_FOUND') => new DomainError(code, 404, `${what} not found`);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError(code, 409, message, details);
export const badRequest = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError(code, 400, message, details);
export const unprocessable = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError(code, 422, message, details);
