import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/platform/database/embedded-postgres.js';

/** `npm start` as a user runs it: the built program, its embedded PostgreSQL, the first operator key, a clean stop. */
describe('the program on its embedded defaults', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-start-'));
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function start(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
    const child = spawn(process.execPath, [path.resolve('dist/src/main.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 90_000;
    while (!out.includes('is running')) {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${out}`);
      if (Date.now() > deadline) throw new Error(`no banner: ${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { child, output: () => out };
  }

  function stop(child: ChildProcess): Promise<number | null> {
    return new Promise((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  }

  it('starts, serves, writes the bootstrap operator key once, stops cleanly and restarts on the same data', async () => {
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()), SFTP_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    const base = `http://127.0.0.1:${env.PORT}`;
    const first = await start(env);
    expect(first.output()).toContain(`${env.PORT}/docs`);
    expect(first.output()).toContain('bootstrap-operator.key');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const key = readFileSync(path.join(dataDir, 'bootstrap-operator.key'), 'utf8').trim();
    expect(first.output()).not.toContain(key);
    const me = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
    expect(await stop(first.child)).toBe(0);

    const second = await start(env);
    expect(second.output()).not.toContain('bootstrap-operator.key');
    const again = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    expect(await stop(second.child)).toBe(0);
  }, 180_000);
});
