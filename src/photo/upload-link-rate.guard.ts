import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { PhotoIntakeService } from './photo-intake.service.js';

/** Uploads per minute from one address on the public upload route: an insured needs one or two. */
export const UPLOAD_LINK_REQUESTS_PER_MINUTE = 20;

/**
 * Fixed one-minute windows per key. The table is emptied when the minute changes, so its memory is bounded by
 * one minute of traffic whatever the number of keys (a token bucket per key would keep every key ever seen).
 */
export class FixedWindowLimiter {
  private window = -1;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; 0 when allowed, else the seconds until the window ends. */
  take(key: string): number {
    const t = this.now();
    const w = Math.floor(t / 60_000);
    if (w !== this.window) {
      this.window = w;
      this.counts.clear();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n <= this.perMinute ? 0 : Math.max(1, Math.ceil(((w + 1) * 60_000 - t) / 1000));
  }
}

/**
 * Rate limit of the public online upload route. The platform limiter keys on an API key, which the insured does
 * not have, so this one keys on the client address (req.ip: the connection's, or the one a proxy listed in
 * TRUSTED_PROXIES saw; a client's own X-Forwarded-For is not believed), then checks the link itself. A guard runs
 * before the decorator that reads the body.
 */
@Injectable()
export class UploadLinkRateGuard implements CanActivate {
  private readonly limiter = new FixedWindowLimiter(UPLOAD_LINK_REQUESTS_PER_MINUTE);

  constructor(private readonly intake: PhotoIntakeService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest<{ Params: { token?: string } }>>();
    const wait = this.limiter.take(req.ip ?? 'unknown');
    if (wait > 0) throw PlatformErrors.RATE_LIMITED('address', wait);
    // The link is this route's only credential: checked here, before the photo's bytes are read.
    await this.intake.checkUploadLink(String(req.params.token ?? ''));
    return true;
  }
}
