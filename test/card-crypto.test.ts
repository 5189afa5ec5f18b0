import { ECDH, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ackMessage,
  cardSign,
  generateCardKeys,
  hkdfSha256,
  isP256Point,
  openRecord,
  proofMessage,
  sealRecords,
  verifyCardSignature,
} from '../src/update/card-crypto.js';

const b = (s: string) => Buffer.from(s, 'base64');

describe('kiosk/2 card cryptography', () => {
  const card = generateCardKeys();
  const other = generateCardKeys();
  const proof = { challenge: 'c1', serial: '100000000042', readVersion: 3, writeInProgress: false, kioskId: 'k1' };

  it('generates two P-256 key pairs as 65-byte points', () => {
    expect(b(card.authPublic)).toHaveLength(65);
    expect(isP256Point(b(card.encPublic))).toBe(true);
    expect(isP256Point(Buffer.alloc(65, 4))).toBe(false);
    expect(isP256Point(Buffer.alloc(33))).toBe(false);
  });

  it('a key imported once (kept for the next verify) answers for its own point only; a point off the curve is refused every time', () => {
    const point = b(card.authPublic);
    const sig = b(cardSign(card, proofMessage(proof)));
    expect(verifyCardSignature(point, proofMessage(proof), sig)).toBe(true);
    expect(verifyCardSignature(Buffer.from(point), proofMessage(proof), sig)).toBe(true);
    // One bit of Y changed: not a point of the curve, however recently its neighbour was imported.
    const bent = Buffer.from(point);
    bent[64] ^= 1;
    for (let i = 0; i < 2; i++) {
      expect(isP256Point(bent)).toBe(false);
      expect(verifyCardSignature(bent, proofMessage(proof), sig)).toBe(false);
    }
    // X beyond the field, and the other card's point, are their own keys or none.
    expect(isP256Point(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 0xff)]))).toBe(false);
    expect(verifyCardSignature(b(other.authPublic), proofMessage(proof), sig)).toBe(false);
  });

  it('takes a point exactly when OpenSSL decodes it as a P-256 point', () => {
    const openssl = (point: Buffer) => {
      try {
        ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'compressed');
        return true;
      } catch {
        return false;
      }
    };
    const points = Array.from({ length: 200 }, (_, i) =>
      b(i % 2 ? generateCardKeys().authPublic : generateCardKeys().encPublic),
    );
    // Off the curve: one bit of X or Y flipped.
    const bent = points.flatMap((p) => [33, 64].map((at) => Object.assign(Buffer.from(p), { [at]: p[at] ^ 1 })));
    for (const p of [...points, ...bent]) expect(isP256Point(p)).toBe(openssl(p));
    expect(points.every((p) => isP256Point(p))).toBe(true);
    expect(bent.some((p) => isP256Point(p))).toBe(false);

    // A point with a small X, then the same X plus p (beyond the field, the same point modulo p): refused by both.
    const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
    const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
    const pow = (x: bigint, e: bigint) => {
      let r = 1n;
      for (x %= P; e > 0n; e >>= 1n, x = (x * x) % P) if (e & 1n) r = (r * x) % P;
      return r;
    };
    const enc = (x: bigint, y: bigint) =>
      Buffer.concat([
        Buffer.from([4]),
        Buffer.from(x.toString(16).padStart(64, '0'), 'hex'),
        Buffer.from(y.toString(16).padStart(64, '0'), 'hex'),
      ]);
    const rhs = (x: bigint) => (((x * x * x - 3n * x + B) % P) + P) % P;
    const root = (x: bigint) => pow(rhs(x), (P + 1n) / 4n); // p ≡ 3 (mod 4): a square root when there is one
    let x = 0n;
    while ((root(x) * root(x)) % P !== rhs(x)) x++;
    const y = root(x);
    expect([isP256Point(enc(x, y)), openssl(enc(x, y))]).toEqual([true, true]);
    expect([isP256Point(enc(x + P, y)), openssl(enc(x + P, y))]).toEqual([false, false]);
    expect([isP256Point(enc(x, P - y)), isP256Point(enc(x, y + 1n))]).toEqual([true, false]);
  });

  it('a proof verifies with the card auth key only, for exactly what was signed', () => {
    const sig = b(cardSign(card, proofMessage(proof)));
    expect(sig).toHaveLength(64);
    expect(verifyCardSignature(b(card.authPublic), proofMessage(proof), sig)).toBe(true);
    expect(verifyCardSignature(b(other.authPublic), proofMessage(proof), sig)).toBe(false);
    for (const changed of [
      { serial: '100000000043' },
      { kioskId: 'k2' },
      { readVersion: 4 },
      { writeInProgress: true },
      { challenge: 'c2' },
    ]) {
      expect(verifyCardSignature(b(card.authPublic), proofMessage({ ...proof, ...changed }), sig)).toBe(false);
    }
    expect(verifyCardSignature(b(card.authPublic), proofMessage(proof), Buffer.alloc(64))).toBe(false);
    expect(verifyCardSignature(Buffer.alloc(3), proofMessage(proof), sig)).toBe(false);
  });

  it('an acknowledgement covers the records written, in any order', () => {
    const ack = { exchangeId: 'e1', serial: proof.serial, writtenRecords: ['coverage@5', 'ald_periods@4'] };
    const sig = b(cardSign(card, ackMessage(ack)));
    expect(
      verifyCardSignature(
        b(card.authPublic),
        ackMessage({ ...ack, writtenRecords: ['ald_periods@4', 'coverage@5'] }),
        sig,
      ),
    ).toBe(true);
    expect(verifyCardSignature(b(card.authPublic), ackMessage({ ...ack, writtenRecords: ['coverage@5'] }), sig)).toBe(
      false,
    );
  });

  it('records open only with the right card key, for their serial, exchange, type and version; a tampered envelope is refused', () => {
    const ctx = { serial: proof.serial, exchangeId: 'e1' };
    const content = [{ aldDigit: 4, situation: '0300' }];
    const sealed = sealRecords(b(card.encPublic), ctx, [
      { recordType: 'coverage', version: 5, content },
      { recordType: 'maternity', version: 6, content: null },
    ]);
    expect(JSON.stringify(sealed)).not.toContain('0300');
    const open = (keys = card, c = { ...ctx, ephemeralKey: sealed.ephemeralKey }, r = sealed.records[0]) =>
      openRecord(keys, c, r);
    expect(open()).toEqual({ content });
    expect(openRecord(card, { ...ctx, ephemeralKey: sealed.ephemeralKey }, sealed.records[1])).toEqual({
      content: null,
    });
    expect(open(other)).toBeNull();
    expect(open(card, { ...ctx, serial: '100000000043', ephemeralKey: sealed.ephemeralKey })).toBeNull();
    expect(open(card, { ...ctx, exchangeId: 'e2', ephemeralKey: sealed.ephemeralKey })).toBeNull();
    expect(open(card, undefined, { ...sealed.records[0], version: 4 })).toBeNull();
    expect(open(card, undefined, { ...sealed.records[0], recordType: 'ald_periods' })).toBeNull();
    const bytes = b(sealed.records[0].ciphertext);
    bytes[0] ^= 1;
    expect(open(card, undefined, { ...sealed.records[0], ciphertext: bytes.toString('base64') })).toBeNull();
    expect(open(card, undefined, { ...sealed.records[0], ciphertext: 'AA==' })).toBeNull();
  });

  it('seals every exchange under an ephemeral key of its own, from the one sealing context', () => {
    const ctx = { serial: proof.serial, exchangeId: 'e1' };
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const sealed = sealRecords(b(card.encPublic), ctx, [{ recordType: 'coverage', version: 1, content: i }]);
      keys.add(sealed.ephemeralKey);
      expect(openRecord(card, { ...ctx, ephemeralKey: sealed.ephemeralKey }, sealed.records[0])).toEqual({
        content: i,
      });
    }
    expect(keys.size).toBe(20);
  });

  it("derives the records' key as HKDF-SHA-256 does (RFC 5869, one block)", () => {
    for (let i = 0; i < 50; i++) {
      const [ikm, salt, info] = [randomBytes(32), randomBytes(i * 3), randomBytes(i)];
      expect(hkdfSha256(ikm, salt, info)).toEqual(Buffer.from(hkdfSync('sha256', ikm, salt, info, 32)));
    }
  });
});
