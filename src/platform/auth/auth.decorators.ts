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
export const CONSOLE_ROUTE = 'console:route';
export const CONSOLE_FIELDS = 'console:fields';

/** The media type of every console form (plain HTML forms; no multipart, no JSON). */
export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** The partner kinds whose agents use the console. */
export type ConsoleRole = 'operator' | 'fund';

/** How a console route is let in (read by the route-policy reader, the request gate and the guard). */
export interface ConsoleRouteSpec {
  /** A form post (CSRF token checked, url-encoded body only) rather than a page. */
  action: boolean;
  /** Who may use it once signed in; empty on the signed-out routes. */
  roles: ConsoleRole[];
  /** The sign-in page and form: open without a session (the form's CSRF token is bound to a pre-session cookie). */
  signedOut: boolean;
}

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

/**
 * A console page (GET) for signed-in agents of these partner kinds: authenticated by the session cookie (never a
 * bearer key); without a session the browser is sent to the sign-in page (303).
 */
export const ConsolePage = (...roles: ConsoleRole[]) =>
  SetMetadata(CONSOLE_ROUTE, { action: false, roles, signedOut: false } satisfies ConsoleRouteSpec);

/**
 * A console form post for signed-in agents of these partner kinds: session cookie, url-encoded body only (small
 * limit), the session's CSRF token (field `_csrf`) checked before the handler runs; without a session: 403.
 */
export const ConsoleAction = (...roles: ConsoleRole[]) =>
  applyDecorators(
    SetMetadata(CONSOLE_ROUTE, { action: true, roles, signedOut: false } satisfies ConsoleRouteSpec),
    SetMetadata(CONSUMES, [FORM_MEDIA_TYPE]),
  );

/**
 * The fields a console form sends (a form post's body, besides `_csrf`; a page's query string): the request gate
 * refuses any other, before the handler runs. A form post without it takes no field but the token; a page without
 * it takes the query parameters its handler names (`@Query('apres')`).
 */
export const FormFields = (...names: string[]) => SetMetadata(CONSOLE_FIELDS, names);

/** The sign-in page: open without a session. */
export const ConsoleSignedOutPage = () =>
  SetMetadata(CONSOLE_ROUTE, { action: false, roles: [], signedOut: true } satisfies ConsoleRouteSpec);

/** The sign-in form: open without a session, its CSRF token checked against the pre-session cookie. */
export const ConsoleSignedOutAction = () =>
  applyDecorators(
    SetMetadata(CONSOLE_ROUTE, { action: true, roles: [], signedOut: true } satisfies ConsoleRouteSpec),
    SetMetadata(CONSUMES, [FORM_MEDIA_TYPE]),
  );

/** The authenticated caller, as the guard resolved it. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return (ctx.switchToHttp().getRequest() as { actor: Actor }).actor;
});
