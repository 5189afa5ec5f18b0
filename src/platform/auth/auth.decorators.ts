import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import type { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from './actor.js';

export const PUBLIC_ROUTE = 'auth:public';
export const ALLOWED_KINDS = 'auth:kinds';
export const RATE_LIMITED = 'auth:rate-limited';

/** Open without a credential. Only health and the API description are. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The partner kinds that may call a controller or a handler. A route with neither this nor @Public refuses to start. */
export const Allow = (...kinds: PartnerKind[]) => applyDecorators(SetMetadata(ALLOWED_KINDS, kinds), ApiBearerAuth());

/** Rate-limited per credential (kiosk and pharmacy endpoints). */
export const RateLimited = () => SetMetadata(RATE_LIMITED, true);

/** The authenticated caller, as the guard resolved it. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return (ctx.switchToHttp().getRequest() as { actor: Actor }).actor;
});
