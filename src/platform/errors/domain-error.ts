/**
 * A refusal the caller can act on. Services throw these (never HTTP exceptions), so jobs, crons and the CLI
 * share them; the problem filter maps them to RFC 9457 application/problem+json with the stable `code`.
 * Made only by the factories of a module's catalogue (`<module>.errors.ts`, `defineErrors`), never constructed
 * elsewhere: the code, its status and its description are declared once there.
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
