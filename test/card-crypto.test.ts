import { describe, expect, it } from 'vitest';
import {
  ackMessage,
  cardSign,
  generateCardKeys,
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
});
