import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A key kept in a file under DATA_DIR/keys, made on first use and shared by every instance on that folder: read
 * when it exists; otherwise `make()` is written aside (mode 0600) and hard-linked into place — link() refuses to
 * replace, so when two instances start at once the first writer wins and both read its key, and a reader never sees
 * a half-written file. `won` runs only for the writer that won (e.g. to write a public half beside it). `check`
 * validates what was read (a truncated or foreign file stops the start, saying which).
 */
export function readOrCreateKeyFile(
  file: string,
  make: () => Buffer,
  opts: { check?: (key: Buffer) => Buffer; won?: () => void } = {},
): Buffer {
  const check = opts.check ?? ((k: Buffer) => k);
  try {
    return check(readFileSync(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, make(), { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  try {
    linkSync(tmp, file);
    opts.won?.();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return check(readFileSync(file));
}

/** A random secret of `bytes` bytes in a key file (readOrCreateKeyFile), refused when the file holds another length. */
export function readOrCreateSecret(file: string, bytes: number, usedFor: string): Buffer {
  return readOrCreateKeyFile(file, () => randomBytes(bytes), {
    check: (key) => {
      if (key.length !== bytes)
        throw new Error(`${file} must hold exactly ${bytes} bytes; refusing to ${usedFor} with it`);
      return key;
    },
  });
}
