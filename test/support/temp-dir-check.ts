import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, inject } from 'vitest';
import { removeTempDirs } from './temp-dirs.js';

/**
 * Each test file gets its own temporary folder (TMPDIR, so os.tmpdir() and every program it spawns write there,
 * inside the run's folder, never beside other runs' in /tmp). After the file, the folders made with tempDir are
 * removed; anything else still there fails the file: a test removes what it creates.
 */
const previous = process.env.TMPDIR;
const own = mkdtempSync(path.join(inject('testTmpRoot'), 'file-'));
chmodSync(own, 0o755); // the embedded PostgreSQL's user (when we run as root) enters data folders made inside
process.env.TMPDIR = own;
// From Node 22, npm and tsc turn on V8's compile cache (module.enableCompileCache()), in os.tmpdir() unless
// NODE_COMPILE_CACHE names a folder: the run's, shared by the programs every file spawns and removed with the run.
process.env.NODE_COMPILE_CACHE = path.join(inject('testTmpRoot'), 'node-compile-cache');

afterAll(() => {
  removeTempDirs();
  const left = readdirSync(own);
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  rmSync(own, { recursive: true, force: true });
  if (left.length > 0) {
    throw new Error(
      `this test file left temporary folders behind (${left.join(', ')}): make them with tempDir() (test/support/temp-dirs.ts) or remove them in the test`,
    );
  }
});
