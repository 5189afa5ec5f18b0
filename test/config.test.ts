import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppConfig, CONFIG_ENV, ConfigError, loadConfig } from '../src/config/app-config.js';

describe('configuration', () => {
  it('the README documents every setting, and only those', () => {
    const readme = readFileSync(path.resolve('README.md'), 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual(Object.values(CONFIG_ENV).sort());
  });

  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toBeInstanceOf(AppConfig);
    expect(c).toMatchObject({ port: 3000, sftpPort: 2222, dataDir: 'var', workersEnabled: true });
    expect(c.databaseUrl).toBeUndefined();
  });

  it('reads and converts the environment', () => {
    const c = loadConfig({
      PORT: '8080',
      SFTP_PORT: '2200',
      DATA_DIR: '/srv/vitale',
      WORKERS_ENABLED: 'false',
      DATABASE_URL: 'postgres://u:p@db:5432/vitale',
      JOBS_POLL_SECONDS: '0.5',
    });
    expect(c).toMatchObject({
      port: 8080,
      sftpPort: 2200,
      dataDir: '/srv/vitale',
      workersEnabled: false,
      databaseUrl: 'postgres://u:p@db:5432/vitale',
      jobsPollSeconds: 0.5,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['SFTP_PORT', '-1'],
    ['DATABASE_URL', 'mysql://x'],
    ['WORKERS_ENABLED', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_PER_MINUTE', '0'],
    ['PHOTO_THRESHOLDS', '{"sharpnessMin":40}'],
    ['PHOTO_THRESHOLDS', 'not json'],
    ['KIOSK_V1_UNTIL', '2028-02-30'],
    ['KIOSK_V1_UNTIL', '31/12/2028'],
    ['KIOSK_CHALLENGE_SECONDS', '0'],
    ['KIOSK_UNPROVEN_SUSPEND', '20'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain(JSON.stringify(value));
  });

  it("takes DATABASE_OWNER_URL only beside a DATABASE_URL of another role, and never prints a URL's password", () => {
    const owner = 'postgres://vitale_owner:owner-secret@db:5432/vitale';
    expect(
      loadConfig({ DATABASE_URL: 'postgres://vitale_app:app-secret@db:5432/vitale', DATABASE_OWNER_URL: owner }),
    ).toMatchObject({ databaseOwnerUrl: owner });
    for (const [env, says] of [
      [{ DATABASE_OWNER_URL: owner }, /DATABASE_OWNER_URL: only with DATABASE_URL/],
      [{ DATABASE_URL: 'postgres://vitale_owner:app-secret@db/vitale', DATABASE_OWNER_URL: owner }, /another role/],
      [{ DATABASE_URL: 'postgres://db/vitale', DATABASE_OWNER_URL: owner }, /both must name their role/],
      [{ DATABASE_URL: 'mysql://vitale_app:app-secret@db/vitale' }, /DATABASE_URL: must be a postgres/],
    ] as const) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(says);
      expect((error as Error).message).not.toMatch(/secret/);
    }
  });

  it('stops the start of the real program with exit code 1 and the variable named', () => {
    const main = path.resolve('dist/src/main.js');
    expect(existsSync(main), 'npm test builds dist/ first (pretest)').toBe(true);
    const res = spawnSync(process.execPath, [main], {
      env: { ...process.env, PORT: 'not-a-port', DATA_DIR: 'var/never-created' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('PORT');
    expect(existsSync('var/never-created')).toBe(false);
  });
});
