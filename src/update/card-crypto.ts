import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
  type ECDH,
  type KeyObject,
} from 'node:crypto';

/**
 * The cryptography of kiosk protocol 2 (docs/formats/kiosk-protocol-2.md), both sides: what the server does
 * (verify a card's proof of presence and its acknowledgement, seal records to the card) and what the card does
 * (sign, open). The card side is used by the kiosk simulator and the tests; a real card does it in its chip.
 *
 * Every card holds two P-256 key pairs born in its chip at personalisation (the private halves never leave it):
 *   - `auth`: ECDSA P-256 / SHA-256 signatures (IEEE P1363 form, r ‖ s, 64 bytes), what smart cards produce;
 *   - `enc`:  ECDH P-256, the key records are sealed to.
 * Public keys travel as the 65-byte uncompressed point (0x04 ‖ X ‖ Y), base64 in files and JSON.
 *
 * Sealing (one ephemeral key per exchange, one envelope per record):
 *   shared = ECDH(ephemeral private, card enc public)
 *   key    = HKDF-SHA-256(shared, salt = ephemeral public ‖ card enc public, info = "vitale-kiosk/2 records" ‖ 0x00 ‖ serial ‖ 0x00 ‖ exchangeId), 32 bytes
 *   each record: AES-256-GCM, a random 12-byte nonce, AAD = recordAad(serial, exchangeId, recordType, version),
 *   plaintext = the record's content as UTF-8 JSON; `ciphertext` = encrypted bytes ‖ 16-byte tag.
 */

export const P256_POINT_BYTES = 65;
const PROOF_LABEL = 'vitale-kiosk/2 proof';
const ACK_LABEL = 'vitale-kiosk/2 ack';
const RECORDS_INFO = 'vitale-kiosk/2 records';

/**
 * Public keys already imported, by point: a fetch and its confirm verify with the same card key, and importing a
 * key costs about as much as verifying with it. Keyed by the point's bytes (never by card), so a hit is the very
 * key those bytes make, checked on the curve when it was first imported. Bounded; the oldest entry goes first.
 */
const KEY_CACHE_MAX = 4096;
const keyCache = new Map<string, KeyObject>();

/** A P-256 public key from its uncompressed point, or null when the bytes are not a point of the curve. */
export function p256PublicKey(point: Buffer): KeyObject | null {
  if (point.length !== P256_POINT_BYTES || point[0] !== 0x04) return null;
  const id = point.toString('latin1');
  const known = keyCache.get(id);
  if (known) return known;
  let key: KeyObject;
  try {
    // From JWK coordinates rather than an SPKI document: half the cost here (OpenSSL 3's DER decoder is the slow
    // part); the point is checked on the curve either way.
    key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: point.toString('base64url', 1, 33), y: point.toString('base64url', 33, 65) },
      format: 'jwk',
    });
  } catch {
    return null;
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(id, key);
  return key;
}

/** P-256 (FIPS 186-4, D.1.2.3): y² = x³ − 3x + b over the prime field p; cofactor 1, so a point of the curve is a key. */
const P256_P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/**
 * True when `point` is a valid P-256 public key: a 65-byte uncompressed point whose coordinates are field elements
 * (below p) satisfying the curve equation, which is what OpenSSL checks when it decodes a point (a test holds the two
 * equal). Computed here: a return file checks 10,000 keys it will not verify with, and the equation costs a few
 * microseconds where decoding the point through OpenSSL (ECDH.convertKey) cost 15 to 80.
 */
export function isP256Point(point: Buffer): boolean {
  if (point.length !== P256_POINT_BYTES || point[0] !== 0x04) return false;
  const x = BigInt('0x' + point.toString('hex', 1, 33));
  const y = BigInt('0x' + point.toString('hex', 33, 65));
  if (x >= P256_P || y >= P256_P) return false;
  return (y * y - (((x * x) % P256_P) + P256_P - 3n) * x - P256_B) % P256_P === 0n;
}

/** What the card signs to prove it is in the reader, for one challenge, one kiosk and what the kiosk read. */
export function proofMessage(p: {
  challenge: string;
  serial: string;
  readVersion: number;
  writeInProgress: boolean;
  kioskId: string;
}): Buffer {
  return Buffer.from(
    [PROOF_LABEL, p.challenge, p.serial, String(p.readVersion), p.writeInProgress ? '1' : '0', p.kioskId].join('\n'),
    'utf8',
  );
}

/** What the card signs once it has written the records: the exchange, the card and each record@version written. */
export function ackMessage(p: { exchangeId: string; serial: string; writtenRecords: string[] }): Buffer {
  return Buffer.from([ACK_LABEL, p.exchangeId, p.serial, [...p.writtenRecords].sort().join(',')].join('\n'), 'utf8');
}

/** The authenticated data of one record's envelope: the card, the exchange, the record type and its version. */
export function recordAad(serial: string, exchangeId: string, recordType: string, version: number): Buffer {
  return Buffer.from(['vitale-kiosk/2 record', serial, exchangeId, recordType, String(version)].join('\n'), 'utf8');
}

/** Verifies a card's ECDSA P-256 signature (P1363, 64 bytes) with its auth public key. Never throws. */
export function verifyCardSignature(authPublic: KeyObject | Buffer, message: Buffer, signature: Buffer): boolean {
  const key = Buffer.isBuffer(authPublic) ? p256PublicKey(authPublic) : authPublic;
  if (!key || signature.length !== 64) return false;
  try {
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

export interface SealedRecord {
  recordType: string;
  version: number;
  nonce: string;
  ciphertext: string;
}
export interface SealedRecords {
  ephemeralKey: string;
  records: SealedRecord[];
}

function recordsKey(
  shared: Buffer,
  ephemeralPublic: Buffer,
  cardEncPublic: Buffer,
  serial: string,
  exchangeId: string,
): Buffer {
  const info = Buffer.from([RECORDS_INFO, serial, exchangeId].join('\0'), 'utf8');
  return hkdfSha256(shared, Buffer.concat([ephemeralPublic, cardEncPublic]), info);
}

/**
 * HKDF-SHA-256 (RFC 5869) for one 32-byte output block: extract, PRK = HMAC(salt, ikm); expand, T(1) = HMAC(PRK,
 * info ‖ 0x01). The same bytes as `hkdfSync('sha256', ikm, salt, info, 32)` (a test holds them equal) at about half
 * its cost here (hkdfSync makes key objects for every call).
 */
export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  return createHmac('sha256', prk).update(info).update(ONE).digest();
}
const ONE = Buffer.of(1);

/**
 * The server's ECDH context for sealing: its key pair is generated anew for every exchange (generateKeys), used at
 * once and synchronously, so no two sealings share an ephemeral key. Making the context costs about as much as the
 * key generation itself; one is made once.
 */
let sealingContext: ECDH | undefined;

/** Seals each record to the card's enc key (server side). The kiosk relays the envelopes without reading them. */
export function sealRecords(
  cardEncPublic: Buffer,
  ctx: { serial: string; exchangeId: string },
  records: Array<{ recordType: string; version: number; content: unknown }>,
): SealedRecords {
  const ecdh = (sealingContext ??= createECDH('prime256v1'));
  const ephemeralPublic = ecdh.generateKeys();
  const key = recordsKey(ecdh.computeSecret(cardEncPublic), ephemeralPublic, cardEncPublic, ctx.serial, ctx.exchangeId);
  return {
    ephemeralKey: ephemeralPublic.toString('base64'),
    records: records.map((r) => {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(recordAad(ctx.serial, ctx.exchangeId, r.recordType, r.version));
      const body = Buffer.concat([
        cipher.update(JSON.stringify(r.content), 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return {
        recordType: r.recordType,
        version: r.version,
        nonce: nonce.toString('base64'),
        ciphertext: body.toString('base64'),
      };
    }),
  };
}

// ---- The card's side (simulator, tests) ----

/** A virtual card's keys: private scalars (32 bytes) and public points (65 bytes), base64. */
export interface CardKeys {
  authPrivate: string;
  authPublic: string;
  encPrivate: string;
  encPublic: string;
}

/** Generates a card's two key pairs, as the chip does at personalisation. */
export function generateCardKeys(): CardKeys {
  const auth = createECDH('prime256v1');
  const enc = createECDH('prime256v1');
  return {
    authPublic: auth.generateKeys().toString('base64'),
    authPrivate: scalar32(auth.getPrivateKey()).toString('base64'),
    encPublic: enc.generateKeys().toString('base64'),
    encPrivate: scalar32(enc.getPrivateKey()).toString('base64'),
  };
}

/** A private scalar on its 32 big-endian bytes (Node's ECDH drops leading zero bytes, one key in 256). */
export function scalar32(b: Buffer): Buffer {
  return b.length >= 32 ? b : Buffer.concat([Buffer.alloc(32 - b.length), b]);
}

function authPrivateKey(keys: Pick<CardKeys, 'authPrivate' | 'authPublic'>): KeyObject {
  const pub = Buffer.from(keys.authPublic, 'base64');
  const b64url = (b: Buffer) => b.toString('base64url');
  return createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: b64url(Buffer.from(keys.authPrivate, 'base64')),
      x: b64url(pub.subarray(1, 33)),
      y: b64url(pub.subarray(33, 65)),
    },
    format: 'jwk',
  });
}

/** The card signs a message with its auth key (ECDSA P-256, SHA-256, P1363): base64. */
export function cardSign(keys: Pick<CardKeys, 'authPrivate' | 'authPublic'>, message: Buffer): string {
  return sign('sha256', message, { key: authPrivateKey(keys), dsaEncoding: 'ieee-p1363' }).toString('base64');
}

/**
 * The card opens one envelope of an exchange: `{ content }`, or null when the envelope was not sealed to this card,
 * for this serial and exchange, as this record type and version, or was altered on the way.
 */
export function openRecord(
  keys: Pick<CardKeys, 'encPrivate' | 'encPublic'>,
  ctx: { serial: string; exchangeId: string; ephemeralKey: string },
  record: SealedRecord,
): { content: unknown } | null {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(keys.encPrivate, 'base64'));
    const ephemeralPublic = Buffer.from(ctx.ephemeralKey, 'base64');
    const key = recordsKey(
      ecdh.computeSecret(ephemeralPublic),
      ephemeralPublic,
      Buffer.from(keys.encPublic, 'base64'),
      ctx.serial,
      ctx.exchangeId,
    );
    const body = Buffer.from(record.ciphertext, 'base64');
    if (body.length < 16) return null;
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(record.nonce, 'base64'));
    decipher.setAAD(recordAad(ctx.serial, ctx.exchangeId, record.recordType, record.version));
    decipher.setAuthTag(body.subarray(body.length - 16));
    const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
    return { content: JSON.parse(plain.toString('utf8')) as unknown };
  } catch {
    return null;
  }
}
