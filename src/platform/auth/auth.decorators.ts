import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import type { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from './actor.js';

export const PUBLIC_ROUTE = 'auth:public';
export const ALLOWED_KINDS = 'auth:kinds';
export const RATE_LIMITED = 'auth:rate-limited';
export const CONSUMES = 'http:consumes';
export const BULK_UPLOAD = 'http:bulk-upload';
export const STREAMED_UPLOAD = 'http:streamed-upload';

/** Open without a credential. Only health and the API description are. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The partner kinds that may call a controller or a handler. A route with neither this nor @Public refuses to start. */
export const Allow = (...kinds: PartnerKind[]) => applyDecorators(SetMetadata(ALLOWED_KINDS, kinds), ApiBearerAuth());

/** Rate-limited per credential (kiosk and pharmacy endpoints). */
export const RateLimited = () => SetMetadata(RATE_LIMITED, true);

/**
 * The media types a route's body may have (JSON when absent). Anything else is refused with 415 before the body
 * is read; the OpenAPI description says the same.
 */
export const Consumes = (...types: string[]) =>
  applyDecorators(
    SetMetadata(
      CONSUMES,
      types.map((t) => t.toLowerCase()),
    ),
    ApiConsumes(...types),
  );

/**
 * A file upload kept as raw bytes (bulk imports, reference data): the only routes with the BULK_IMPORT_MAX_BYTES
 * body limit and the CSV/NDJSON parsers; every other route reads at most 1 MiB.
 */
export const BulkUpload = (...types: string[]) => applyDecorators(Consumes(...types), SetMetadata(BULK_UPLOAD, true));

/**
 * A file upload of any size handed to the handler as the request's byte stream (never buffered, no body limit):
 * the handler reads it as it goes (the card-base import). Like every body, not a byte is read before the caller is
 * authenticated and allowed: the stream reaches only the handler, which runs after the guard.
 */
export const StreamedUpload = (...types: string[]) =>
  applyDecorators(Consumes(...types), SetMetadata(STREAMED_UPLOAD, true));

/** The authenticated caller, as the guard resolved it. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return (ctx.switchToHttp().getRequest() as { actor: Actor }).actor;
});
