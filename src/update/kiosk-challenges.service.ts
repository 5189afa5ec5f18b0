import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { readOrCreateSecret } from '../platform/crypto/key-file.js';

const KEY_BYTES = 32;
const RANDOM_BYTES = 16;
const EXPIRY_BYTES = 8;
const MAC_BYTES = 32;
/** random ‖ expiry ‖ MAC: 56 bytes, 75 characters of base64url. */
export const CHALLENGE_BYTES = RANDOM_BYTES + EXPIRY_BYTES + MAC_BYTES;
const LABEL = 'vitale-kiosk/2 challenge';

export interface IssuedChallenge {
  challenge: string;
  expiresAt: number;
  digest: Buffer;
}
export type ChallengeCheck =
  { ok: true; digest: Buffer } | { ok: false; code: 'KIOSK_CHALLENGE_INVALID' | 'KIOSK_CHALLENGE_EXPIRED' };

/**
 * kiosk/2 challenges, stateless: a check writes nothing. A challenge is random ‖ expiry (ms since 1970, 8 bytes
 * big-endian) ‖ HMAC-SHA256(key, label ‖ random ‖ expiry ‖ serial ‖ kiosk partner id), base64url; a fetch proves
 * it is ours, for this card and this kiosk, and not expired, with no read. Single use is the database's: the
 * exchange a fetch opens stores the challenge's SHA-256 under a unique index (KioskRepository).
 *
 * The MAC key is 32 random bytes in DATA_DIR/keys/kiosk-challenge.key (mode 0600), made at the first start: every
 * instance already shares DATA_DIR/keys (the signing keys), so a challenge answered by one is accepted by all, and
 * the key stays out of the database and its backups. Replacing it only voids the challenges in flight (60 s).
 */
@Injectable()
export class KioskChallenges implements OnModuleInit {
  private readonly file: string;
  private key: Buffer | null = null;
  private readonly ttlMs: number;

  constructor(config: AppConfig) {
    this.file = path.resolve(config.dataDir, 'keys', 'kiosk-challenge.key');
    this.ttlMs = config.kioskChallengeSeconds * 1000;
  }

  onModuleInit(): void {
    this.key = readOrCreateSecret(this.file, KEY_BYTES, 'issue kiosk challenges');
  }

  /** A fresh challenge for this card (12-digit serial) and kiosk. Costs one HMAC and 16 random bytes. */
  issue(serial: string, kioskPartnerId: string, now = Date.now()): IssuedChallenge {
    const expiresAt = now + this.ttlMs;
    const head = Buffer.allocUnsafe(RANDOM_BYTES + EXPIRY_BYTES);
    randomBytes(RANDOM_BYTES).copy(head, 0);
    head.writeBigUInt64BE(BigInt(expiresAt), RANDOM_BYTES);
    const raw = Buffer.concat([head, this.mac(head, serial, kioskPartnerId)]);
    return { challenge: raw.toString('base64url'), expiresAt, digest: digestOf(raw) };
  }

  /** Whether a challenge is one of ours for this card and kiosk (else INVALID), and still valid (else EXPIRED). */
  verify(challenge: string, serial: string, kioskPartnerId: string, now = Date.now()): ChallengeCheck {
    const raw = Buffer.from(challenge, 'base64url');
    if (raw.length !== CHALLENGE_BYTES || raw.toString('base64url') !== challenge)
      return { ok: false, code: 'KIOSK_CHALLENGE_INVALID' };
    const head = raw.subarray(0, RANDOM_BYTES + EXPIRY_BYTES);
    if (!timingSafeEqual(raw.subarray(RANDOM_BYTES + EXPIRY_BYTES), this.mac(head, serial, kioskPartnerId)))
      return { ok: false, code: 'KIOSK_CHALLENGE_INVALID' };
    if (Number(head.readBigUInt64BE(RANDOM_BYTES)) <= now) return { ok: false, code: 'KIOSK_CHALLENGE_EXPIRED' };
    return { ok: true, digest: digestOf(raw) };
  }

  private mac(head: Buffer, serial: string, kioskPartnerId: string): Buffer {
    if (!this.key) throw new Error('kiosk challenge key not loaded');
    return createHmac('sha256', this.key)
      .update(LABEL)
      .update('\n')
      .update(head)
      .update(`\n${serial}\n${kioskPartnerId}`)
      .digest();
  }
}

/** What the database keeps of a redeemed challenge: its SHA-256. */
export const digestOf = (raw: Buffer): Buffer => createHash('sha256').update(raw).digest();
