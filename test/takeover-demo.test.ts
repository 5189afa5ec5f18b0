import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/platform/database/embedded-postgres.js';
import { tempDir } from './support/temp-dirs.js';

/**
 * `npm run demo:takeover` end to end on a small base: the built product started on its embedded defaults, a
 * synthetic register and card base, the import over the API (twice), a reconciliation dry run, the apply and its
 * first wave, a renewal campaign's dry run and first wave. The demo checks each step and exits 0 only when every one
 * did what it should; this test also reads what it printed.
 */
describe('the takeover demo', () => {
  it('imports, reconciles in a wave and starts a renewal campaign, on a small base', async () => {
    const demo = path.resolve('dist/src/cli/demo-takeover.js');
    expect(existsSync(demo), 'npm test builds dist/ first (pretest)').toBe(true);
    const [port, sftpPort, pgPort] = [await freePort(), await freePort(), await freePort()];
    const report = path.join(tempDir('takeover-demo'), 'report.csv');
    const child = spawn(process.execPath, [demo, '--people', '2000', '--report', report], {
      env: {
        ...process.env,
        DATABASE_URL: '',
        PORT: String(port),
        SFTP_PORT: String(sftpPort),
        EMBEDDED_PG_PORT: String(pgPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const why = `demo exited ${status}; stderr ends: ${stderr.slice(-3000)}; stdout ends: ${stdout.slice(-2000)}`;
    expect(stderr, why).not.toContain('Demo FAILED');
    expect(status, why).toBe(0);

    expect(stdout).toMatch(
      /✓ npm run seed:synthetic -- --beneficiaries 2000 --seed 1 --card-base card-base\.csv\.gz: [\d,]+ cards/,
    );
    expect(stdout).toMatch(/import [0-9a-f-]{36}: status done, [\d,]+ imported, 0 unchanged, 0 rejected/);
    expect(stdout).toContain('✓ the same file sent again changes nothing');
    for (const c of ['surplus', 'kept', 'left_organisme', 'holder_unknown', 'holder_deceased'])
      expect(stdout).toContain(`✓ class ${c} found`);
    expect(stdout).toMatch(
      /regime 01: holder_deceased \d+, holder_unknown \d+, kept \d+, left_organisme \d+, surplus \d+/,
    );
    expect(stdout).toContain('✓ the dry run changed nothing');
    expect(stdout).toMatch(/0 opposed now, 20 today of RECONCILE_DAILY_LIMIT 20, \d+ left for the next days/);
    expect(stdout).toMatch(/✓ card \d{12} is opposed \(surplus\)/);
    expect(stdout).toMatch(/✓ the first wave opened \d+ card requests/);
    expect(stdout).toContain('✓ the funnel counts the forms the wave sent');
    expect(stdout).toContain('Takeover demo complete');

    // The report the demo kept: no NIR, one line per card and class.
    const lines = readFileSync(report, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('serial;class;kept_serial;organisme;fund;regime;generation;origin');
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.slice(1).every((l) => /^\d{12};[a-z_]+;\d*;\d{9};\d{5};\d{2};[12];(imported|issued)$/.test(l))).toBe(
      true,
    );
  }, 240_000);
});
