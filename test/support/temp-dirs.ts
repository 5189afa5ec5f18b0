import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

/**
 * A throw-away folder (`vitale-<prefix>-…` in the temporary folder), readable by the embedded PostgreSQL's user
 * when we run as root. Removed by removeTempDirs, which the harness also calls after every test file
 * (test/support/temp-dir-check.ts).
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `vitale-${prefix}-`));
  chmodSync(dir, 0o755);
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
