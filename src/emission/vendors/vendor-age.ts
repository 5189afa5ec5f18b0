import { Encrypter } from 'age-encryption';
import {
  createCipheriv,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * Files for a vendor are encrypted to its age recipient (https://age-encryption.org/v1): the vendor opens them with
 * any age implementation, e.g. `age -d -i key.txt FILE.age`. Only native X25519 recipients (`age1…`, what
 * `age-keygen` makes) are taken: every age release decrypts them (the post-quantum and tag kinds need age 1.3 or a
 * plugin, which a vendor's Debian or RHEL `age` may not have). A recipient is checked with npm `age-encryption` (by
 * the format's author); files are written with node:crypto (OpenSSL's ChaCha20-Poly1305, X25519, HKDF), about
 * twenty times faster than that pure-JavaScript cipher on a 75 MB batch file.
 */
export const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

/** True when `recipient` is a well-formed age X25519 recipient (bech32 checksum included) that a file can be encrypted to. */
export async function isUsableAgeRecipient(recipient: string): Promise<boolean> {
  if (!AGE_RECIPIENT.test(recipient)) return false;
  try {
    const e = new Encrypter();
    e.addRecipient(recipient);
    // Wrapping a file key runs the X25519 exchange: a point that cannot be used (low order) fails here, not at the first batch.
    await e.encrypt(new Uint8Array(0));
    return true;
  } catch {
    return false;
  }
}

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/** The 32-byte X25519 public key of an `age1…` recipient (bech32, checksum verified). */
function recipientKey(recipient: string): Buffer {
  if (!AGE_RECIPIENT.test(recipient)) throw new Error('not an age X25519 recipient');
  const values = [...recipient.slice(4)].map((c) => BECH32.indexOf(c));
  const polymod = (v: number[]) => {
    let chk = 1;
    for (const x of v) {
      const top = chk >>> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ x;
      [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3].forEach((g, i) => {
        if ((top >>> i) & 1) chk ^= g;
      });
    }
    return chk;
  };
  const hrp = [...'age'].map((c) => c.charCodeAt(0));
  if (polymod([...hrp.map((c) => c >>> 5), 0, ...hrp.map((c) => c & 31), ...values]) !== 1)
    throw new Error('bad age recipient checksum');
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const v of values.slice(0, -6)) {
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >>> bits) & 0xff);
    }
  }
  if (bytes.length !== 32) throw new Error('bad age recipient length');
  return Buffer.from(bytes);
}

const CHUNK = 64 * 1024;
const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
const hkdf = (ikm: Buffer, salt: Buffer, info: string) => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
const seal = (key: Buffer, nonce: Buffer, data: Buffer) => {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
};

/** The age v1 header for one X25519 recipient, wrapping `fileKey` (age-encryption.org/v1, "X25519 recipient stanza"). */
function ageHeader(recipient: string, fileKey: Buffer): Buffer {
  const them = recipientKey(recipient);
  const eph = generateKeyPairSync('x25519');
  const share = Buffer.from(eph.publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const secret = diffieHellman({
    privateKey: eph.privateKey,
    publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: them.toString('base64url') }, format: 'jwk' }),
  });
  if (secret.every((b) => b === 0)) throw new Error('age recipient is a low-order point');
  const body = seal(
    hkdf(secret, Buffer.concat([share, them]), 'age-encryption.org/v1/X25519'),
    Buffer.alloc(12),
    fileKey,
  );
  // One stanza, its 32-byte body on one line (43 base64 characters, under the 64-column wrap).
  const head = `age-encryption.org/v1\n-> X25519 ${b64(share)}\n${b64(body)}\n---`;
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(head)
    .digest();
  return Buffer.from(`${head} ${b64(mac)}\n`, 'latin1');
}

/** age's payload: a 16-byte nonce, then 64 KiB chunks sealed with ChaCha20-Poly1305 (STREAM, the last one flagged). */
async function* ageStream(recipient: string, clear: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const fileKey = randomBytes(16);
  const nonce = randomBytes(16);
  yield Buffer.concat([ageHeader(recipient, fileKey), nonce]);
  const key = hkdf(fileKey, nonce, 'payload');
  let counter = 0n;
  const chunkNonce = (last: boolean) => {
    const n = Buffer.alloc(12);
    n.writeBigUInt64BE(counter++, 3); // 11-byte big-endian counter (its top three bytes stay 0), then the last-chunk flag
    n[11] = last ? 1 : 0;
    return n;
  };
  let buf = Buffer.allocUnsafe(CHUNK);
  let fill = 0;
  for await (const piece of clear) {
    let at = 0;
    while (at < piece.length) {
      // A full chunk is sealed only once more bytes follow: the last chunk must carry the flag.
      if (fill === CHUNK) {
        yield seal(key, chunkNonce(false), buf);
        buf = Buffer.allocUnsafe(CHUNK);
        fill = 0;
      }
      const n = Math.min(CHUNK - fill, piece.length - at);
      buf.set(piece.subarray(at, at + n), fill);
      fill += n;
      at += n;
    }
  }
  yield seal(key, chunkNonce(true), buf.subarray(0, fill));
}

/**
 * Encrypts a stream of clear chunks to the recipient as it is read (64 KiB age chunks): the clear file is never
 * whole, in memory or on disk. Returns the encrypted bytes as a Node stream.
 */
export async function encryptToRecipient(recipient: string, clear: AsyncIterable<Uint8Array>): Promise<Readable> {
  recipientKey(recipient); // a bad recipient fails here, before the stream starts
  return Readable.from(ageStream(recipient, clear), { objectMode: false });
}
