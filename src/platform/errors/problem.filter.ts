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
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** Maps fastify's own error codes (body parsing, limits) to stable problem codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_BODY',
};

export function toProblem(exception: unknown, requestId?: string, instance?: string): { problem: Problem; cause?: unknown } {
  exception = databaseUnavailableProblem(exception) ?? exception;
  let status = 500;
  let code = 'INTERNAL_ERROR';
  let detail = 'An unexpected error occurred; quote the request id to the operators.';
  let extra: Record<string, unknown> = {};
  let cause: unknown;

  if (exception instanceof DomainError) {
    status = exception.status;
    code = exception.code;
    detail = exception.message;
    extra = exception.details ?? {};
  } else if (exception instanceof HttpException) {
    status = exception.getStatus();
    const body = exception.getResponse();
    // Nest wraps fastify's own errors (body parsing, limits); their code says more than the status.
    const fastifyCode = isFastifyError(exception.cause) ? FASTIFY_CODES[exception.cause.code] : undefined;
    code = fastifyCode ?? STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
    if (status === 404) {
      detail = 'No such resource.';
    } else if (status < 500) {
      const msg = typeof body === 'object' && body && 'message' in body ? (body as { message: unknown }).message : body;
      detail = Array.isArray(msg) ? msg.join('; ') : String(msg);
    } else {
      cause = exception;
    }
  } else if (isFastifyError(exception)) {
    status = exception.statusCode;
    code = FASTIFY_CODES[exception.code] ?? STATUS_CODES[status] ?? 'BAD_REQUEST';
    detail = exception.message;
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
  return { problem, cause };
}

function isFastifyError(e: unknown): e is { statusCode: number; code: string; message: string } {
  return (
    typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number' &&
    typeof (e as { code?: unknown }).code === 'string' && (e as { statusCode: number }).statusCode < 500
  );
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const { problem, cause } = toProblem(exception, req?.id, req?.routeOptions?.url ? undefined : undefined);
    if (cause) {
      this.logger.error({ msg: 'unhandled error', requestId: req?.id, err: describe(cause) });
    }
    if (problem.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="vitale"');
    if (typeof problem.retryAfterSeconds === 'number') {
      reply.header('Retry-After', String(problem.retryAfterSeconds));
    }
    void reply.status(problem.status).type('application/problem+json').send(problem);
  }
}

function describe(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { value: String(e) };
}
