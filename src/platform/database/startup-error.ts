/**
 * A start-up failure the operator fixes by following its message: printed as it is, without a stack trace (the
 * stack says where the check is, not what to do).
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
    this.stack = message;
  }
}
