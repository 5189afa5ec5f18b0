import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/platform/database/embedded-postgres.js';

/**
 * The whole chain end to end, as `npm run demo` plays it: a freshly started program on its embedded defaults,
 * a fund, the digitisation centre and a vendor over the real REST API and a real SFTP client, cards carried
 * through the six steps (a photo refused then replaced, a lost card replaced). The demo exits 0 only when every
 * card ended where it should.
 */
describe('the six-step emission chain, end to end', () => {
  it('runs the demo to a clean finish, on the ports the environment names', async () => {
    const demo = path.resolve('dist/src/cli/demo.js');
    expect(existsSync(demo), 'npm test builds dist/ first (pretest)').toBe(true);
    const [port, sftpPort, pgPort] = [await freePort(), await freePort(), await freePort()];
    const env = { ...process.env, DATABASE_URL: '', PORT: String(port), SFTP_PORT: String(sftpPort), EMBEDDED_PG_PORT: String(pgPort) };
    const res = spawnSync(process.execPath, [demo], { encoding: 'utf8', timeout: 240_000, env });
    expect(res.stdout).toContain(`API on http://127.0.0.1:${port}, SFTP on port ${sftpPort}, embedded PostgreSQL on port ${pgPort}`);
    expect(res.stderr).not.toContain('Demo FAILED');
    expect(res.stdout).toContain('PERSO_00000001.txt: Ed25519 signature verifies');
    expect(res.stdout).toContain('photo refused with PHOTO_TOO_SMALL');
    expect(res.stdout).toContain('is opposed (lost)');
    expect(res.stdout).toContain('Demo complete: every card ended where it should.');
    expect(res.status).toBe(0);
  }, 300_000);
});
