import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppConfig } from '../../config/app-config.js';
import { ApiKeyVerifier } from '../../partners/api-key-verifier.js';
import type { PartnerKind } from '../../partners/partner-kind.enum.js';
import { PlatformErrors } from '../errors/platform.errors.js';
import type { Actor } from './actor.js';
import { ALLOWED_KINDS, CONSOLE_ROUTE, type ConsoleRouteSpec, PUBLIC_ROUTE, RATE_LIMITED } from './auth.decorators.js';
import { RateLimiter } from './rate-limiter.js';
import { authenticate, type GatedRequest } from './request-gate.js';

/**
 * Global guard: the partner kinds a route allows, and its rate. The credential itself was verified by the request
 * gate before the body was read (src/platform/auth/request-gate.ts); it is verified here only if no gate ran.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyVerifier,
    config: AppConfig,
  ) {
    this.limiter = new RateLimiter(config.rateLimitPerMinute);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<GatedRequest & { actor?: Actor }>();
    const consoleRoute = this.reflector.getAllAndOverride<ConsoleRouteSpec | undefined>(CONSOLE_ROUTE, targets);
    if (consoleRoute) {
      if (consoleRoute.signedOut) return true;
      // The gate resolved the session (and checked the role) before the body was read; no gate, no agent.
      const agent = req.consoleAgent;
      if (!agent) throw PlatformErrors.CONSOLE_SIGNIN_REQUIRED();
      req.actor = {
        kind: agent.kind,
        partnerId: agent.partnerId,
        organismeCode: agent.organismeCode,
        apiKeyId: null,
        agentId: agent.agentId,
        requestId: String(req.id),
      };
      return true;
    }
    const principal = req.principal ?? (await authenticate(req, this.keys));
    const kinds = this.reflector.getAllAndOverride<PartnerKind[] | undefined>(ALLOWED_KINDS, targets) ?? [];
    if (!kinds.includes(principal.kind)) {
      throw PlatformErrors.PARTNER_KIND_FORBIDDEN(principal.kind);
    }
    if (this.reflector.getAllAndOverride<boolean>(RATE_LIMITED, targets)) {
      const wait = this.limiter.take(principal.apiKeyId);
      if (wait > 0) throw PlatformErrors.RATE_LIMITED('credential', wait);
    }
    req.actor = {
      kind: principal.kind,
      partnerId: principal.partnerId,
      organismeCode: principal.organismeCode,
      apiKeyId: principal.apiKeyId,
      agentId: null,
      requestId: String(req.id),
    };
    return true;
  }
}
