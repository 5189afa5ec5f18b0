import { Encrypter } from 'age-encryption';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * Files for a vendor are encrypted to its age recipient (https://age-encryption.org/v1, npm `age-encryption` by the
 * format's author): the vendor opens them with any age implementation, e.g. `age -d -i key.txt FILE.age`. Only native
 * X25519 recipients (`age1…`, what `age-keygen` makes) are taken: every age release decrypts them (the post-quantum
 * and tag kinds need age 1.3 or a plugin, which a vendor's Debian or RHEL `age` may not have).
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

/**
 * Encrypts a stream of clear chunks to the recipient as it is read (64 KiB age chunks): the clear file is never
 * whole, in memory or on disk. Returns the encrypted bytes as a Node stream.
 */
export async function encryptToRecipient(recipient: string, clear: AsyncIterable<Uint8Array>): Promise<Readable> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  const source = Readable.toWeb(Readable.from(clear)) as unknown as ReadableStream<Uint8Array>;
  const encrypted = await e.encrypt(source);
  return Readable.fromWeb(encrypted as unknown as WebReadableStream<Uint8Array>);
}
