import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { parseApiKey, secretMatches } from '../platform/auth/api-key.codec.js';
import type { KeyPrincipal } from './key-principal.js';
import { PartnerRepository } from './partner.repository.js';

/**
 * Resolves a presented API key to its partner. Verified keys are trusted for API_KEY_CACHE_SECONDS
 * (the longest a revocation takes to bite) so the hot paths do not pay a lookup per request.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly cache = new Map<string, { principal: KeyPrincipal | null; until: number }>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly partners: PartnerRepository,
    private readonly config: AppConfig,
  ) {}

  async verify(presented: string): Promise<KeyPrincipal | null> {
    const parsed = parseApiKey(presented);
    if (!parsed) return null;
    const now = Date.now();
    let entry = this.cache.get(parsed.prefix);
    if (!entry || entry.until < now) {
      const principal = await this.partners.findActiveKeyByPrefix(parsed.prefix);
      entry = { principal, until: now + this.config.apiKeyCacheSeconds * 1000 };
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(parsed.prefix, entry);
    }
    const principal = entry.principal;
    if (!principal || !secretMatches(parsed.secret, principal.secretHash)) return null;
    this.touch(principal.apiKeyId, now);
    return principal;
  }

  /** Forget cached keys (after a revocation in this instance, revocation is immediate here). */
  invalidate(): void {
    this.cache.clear();
  }

  /** Records last use at most once a minute per key, off the request path. */
  private touch(apiKeyId: string, now: number): void {
    const last = this.touched.get(apiKeyId) ?? 0;
    if (now - last < 60_000) return;
    this.touched.set(apiKeyId, now);
    this.partners.touchKey(apiKeyId).catch(() => this.touched.delete(apiKeyId));
  }
}
