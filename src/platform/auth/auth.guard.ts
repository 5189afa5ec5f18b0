import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/app-config.js';
import { ApiKeyVerifier } from '../../partners/api-key-verifier.js';
import type { PartnerKind } from '../../partners/partner-kind.enum.js';
import { DomainError } from '../errors/domain-error.js';
import type { Actor } from './actor.js';
import { ALLOWED_KINDS, PUBLIC_ROUTE, RATE_LIMITED } from './auth.decorators.js';
import { RateLimiter } from './rate-limiter.js';

/** Global guard: a credential on every route but the public ones, of a kind the route allows, within its rate. */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly limiter: RateLimiter;

  constructor(private readonly reflector: Reflector, private readonly keys: ApiKeyVerifier, config: AppConfig) {
    this.limiter = new RateLimiter(config.rateLimitPerMinute);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { actor?: Actor }>();
    const header = req.headers.authorization;
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) throw new DomainError('AUTH_REQUIRED', 401, 'This endpoint needs an API key: Authorization: Bearer <key>');
    const principal = await this.keys.verify(token);
    if (!principal) throw new DomainError('AUTH_INVALID', 401, 'The API key is unknown, malformed or revoked');
    const kinds = this.reflector.getAllAndOverride<PartnerKind[] | undefined>(ALLOWED_KINDS, targets) ?? [];
    if (!kinds.includes(principal.kind)) {
      throw new DomainError('PARTNER_KIND_FORBIDDEN', 403, `This endpoint is not open to ${principal.kind} partners`);
    }
    if (this.reflector.getAllAndOverride<boolean>(RATE_LIMITED, targets)) {
      const wait = this.limiter.take(principal.apiKeyId);
      if (wait > 0) throw new DomainError('RATE_LIMITED', 429, 'Too many requests for this credential; retry later', { retryAfterSeconds: wait });
    }
    req.actor = {
      kind: principal.kind,
      partnerId: principal.partnerId,
      organismeCode: principal.organismeCode,
      apiKeyId: principal.apiKeyId,
      requestId: String(req.id),
    };
    return true;
  }
}
