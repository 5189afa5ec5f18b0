import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encryptToRecipient } from '../src/emission/vendors/vendor-age.js';

async function encrypt(recipient: string, clear: Buffer, piece: number): Promise<Buffer> {
  async function* pieces() {
    for (let i = 0; i < clear.length; i += piece) yield clear.subarray(i, i + piece);
  }
  const out: Buffer[] = [];
  for await (const c of await encryptToRecipient(recipient, pieces())) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('files encrypted to a vendor (age v1, X25519)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-age-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Around the 64 KiB chunk: empty, one byte, a chunk less one, exactly one chunk (the last chunk full), one more.
  it.each([0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_001])(
    "%i bytes: Debian's age and age-encryption both decrypt them to the same bytes, only with the vendor's key",
    async (size) => {
      const identity = await generateX25519Identity();
      const keyFile = path.join(dir, `key-${size}.txt`);
      writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
      const clear = randomBytes(size);
      const encrypted = await encrypt(await identityToRecipient(identity), clear, 15_000);
      const file = path.join(dir, `f-${size}.age`);
      writeFileSync(file, encrypted);

      const age = spawnSync('age', ['-d', '-i', keyFile, file], { maxBuffer: 1 << 24 });
      expect(age.error, "the age binary is needed (.ci/run installs Debian's age)").toBeUndefined();
      expect({ status: age.status, stderr: age.stderr.toString() }).toEqual({ status: 0, stderr: '' });
      expect(age.stdout.equals(clear)).toBe(true);

      const d = new Decrypter();
      d.addIdentity(identity);
      expect(Buffer.from(await d.decrypt(new Uint8Array(encrypted))).equals(clear)).toBe(true);

      const other = new Decrypter();
      other.addIdentity(await generateX25519Identity());
      await expect(other.decrypt(new Uint8Array(encrypted))).rejects.toThrow();
    },
  );

  it('a tampered byte fails the decryption', async () => {
    const identity = await generateX25519Identity();
    const encrypted = await encrypt(await identityToRecipient(identity), randomBytes(100_000), 4096);
    encrypted[encrypted.length - 100] ^= 1;
    const d = new Decrypter();
    d.addIdentity(identity);
    await expect(d.decrypt(new Uint8Array(encrypted))).rejects.toThrow();
  });

  it('refuses a malformed recipient before any byte is read', async () => {
    const recipient = await identityToRecipient(await generateX25519Identity());
    const bad = recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q');
    // eslint-disable-next-line require-yield -- a source that fails on its first read, before yielding anything
    async function* never(): AsyncGenerator<Buffer> {
      throw new Error('read');
    }
    await expect(encryptToRecipient(bad, never())).rejects.toThrow(/checksum/);
  });
});
