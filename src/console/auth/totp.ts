import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** RFC 6238 TOTP as every authenticator app does it by default: HMAC-SHA1, 6 digits, 30-second steps. */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of now: a phone clock a little off, a code typed as it turned. */
const WINDOW = 1;

/** RFC 4226 HOTP of a counter (the RFC's algorithm, dynamic truncation), as `digits` decimal digits. */
export function hotp(secret: Buffer, counter: bigint, digits = TOTP_DIGITS, algorithm = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm, secret).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, '0');
}

/** The time step of a moment (seconds since the epoch). */
export const totpStep = (unixSeconds: number): bigint => BigInt(Math.floor(unixSeconds / TOTP_STEP_SECONDS));

/** The code of a moment (for the CLI's and the tests' own use). */
export const totpAt = (secret: Buffer, unixSeconds: number, digits = TOTP_DIGITS, algorithm = 'sha1'): string =>
  hotp(secret, totpStep(unixSeconds), digits, algorithm);

/**
 * The step a code matches around now (±1 step), or null. The caller accepts it only if it is later than the last
 * step accepted for the agent (recorded in the database): a code is never used twice.
 */
export function matchTotp(secret: Buffer, code: string, nowSeconds: number): bigint | null {
  if (!/^\d{6}$/.test(code)) return null;
  const now = totpStep(nowSeconds);
  let found: bigint | null = null;
  // Every candidate is computed and compared in constant time, so timing says nothing of which matched.
  for (let d = -WINDOW; d <= WINDOW; d++) {
    const step = now + BigInt(d);
    if (timingSafeEqual(Buffer.from(hotp(secret, step)), Buffer.from(code)) && found === null) found = step;
  }
  return found;
}

/** A new secret: 160 bits, as RFC 4226 recommends for SHA-1. */
export const newTotpSecret = (): Buffer => randomBytes(20);

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding: how authenticator apps take a secret typed by hand. */
export function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The enrolment URI an authenticator app reads (Key Uri Format). */
export function otpauthUri(secret: Buffer, login: string, issuer = 'Carte Vitale console'): string {
  const label = encodeURIComponent(`${issuer}:${login}`);
  const params = new URLSearchParams({
    secret: base32(secret),
    issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_STEP_SECONDS),
  });
  return `otpauth://totp/${label}?${params.toString()}`;
}
