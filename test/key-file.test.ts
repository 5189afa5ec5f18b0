import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOrCreateKeyFile, readOrCreateSecret } from '../src/platform/crypto/key-file.js';
import { tempDir } from './support/temp-dirs.js';

/** The key files under DATA_DIR/keys (webhook master key, kiosk challenge key, SFTP host key) share one maker. */
describe('key files', () => {
  it('are made once, mode 0600, and read back by whoever comes next; the first writer wins', () => {
    const file = path.join(tempDir('keys'), 'keys', 'k.key');
    let won = 0;
    const first = readOrCreateKeyFile(file, () => Buffer.from('first'), { won: () => won++ });
    const second = readOrCreateKeyFile(file, () => Buffer.from('second'), { won: () => won++ });
    expect([first.toString(), second.toString(), won]).toEqual(['first', 'first', 1]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(readdirSync(path.dirname(file))).toEqual(['k.key']);
  });

  it('refuse a secret of the wrong length, naming the file and its use', () => {
    const dir = tempDir('keys');
    const file = path.join(dir, 'secret.key');
    expect(readOrCreateSecret(file, 32, 'sign things')).toHaveLength(32);
    writeFileSync(file, Buffer.alloc(31));
    expect(() => readOrCreateSecret(file, 32, 'sign things')).toThrow(
      `${file} must hold exactly 32 bytes; refusing to sign things with it`,
    );
    expect(existsSync(file)).toBe(true);
  });
});
