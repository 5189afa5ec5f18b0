import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/temp-dirs.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * A DATA_DIR the product creates itself stays passable: started as root, the embedded PostgreSQL runs as another
 * OS user that must pass through it. Only the folders holding secrets are private.
 */
describe('the data folder', () => {
  let t: TestApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = path.join(tempDir('data-dir'), 'fresh', 'var');
    t = await startTestApp({ dataDir });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is created with the usual mode when it did not exist, its key folders private', async () => {
    expect(existsSync(path.join(dataDir, 'keys'))).toBe(true);
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dataDir) & 0o011, `DATA_DIR mode ${mode(dataDir).toString(8)}`).not.toBe(0);
    expect(mode(path.dirname(dataDir)) & 0o011).not.toBe(0);
    expect(mode(path.join(dataDir, 'keys'))).toBe(0o700);
  });
});
