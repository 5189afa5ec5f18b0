import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `vk_<prefix>_<secret>`: the prefix (12 hex chars) finds the row, the secret (32 random
 * bytes, base64url) is checked against its SHA-256. A fast hash is right here: the secret has 256 bits of
 * entropy, so it cannot be guessed from its hash, and verification stays cheap on the kiosk hot path.
 */
const FORMAT = /^vk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedKey {
  prefix: string;
  secret: string;
}

export function generateApiKey(): { key: string; prefix: string; secretHash: Buffer } {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `vk_${prefix}_${secret}`, prefix, secretHash: hashSecret(secret) };
}

export function parseApiKey(key: string): ParsedKey | null {
  const m = FORMAT.exec(key);
  return m ? { prefix: m[1], secret: m[2] } : null;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function secretMatches(secret: string, hash: Buffer): boolean {
  const candidate = hashSecret(secret);
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}
