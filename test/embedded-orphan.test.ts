import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startEmbeddedPostgres } from '../src/platform/database/embedded-postgres.js';
import { killPrograms, listening, startProgram, until } from './support/program.js';

/**
 * The program killed (SIGKILL: no shutdown ran) leaves its embedded PostgreSQL running, orphaned. The next start on
 * the same DATA_DIR takes it over (the data were never at risk: PostgreSQL runs on) and, unlike a start that joins the
 * cluster of a living process, stops it when it stops: nothing is left running after a clean stop.
 */
describe('the embedded PostgreSQL left by a killed program', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-orphan-'));
  chmodSync(dataDir, 0o755);
  let pgPort = 0;
  afterAll(async () => {
    killPrograms();
    // Whatever a failure left running is stopped by the product's own start: it adopts the cluster, then stops it.
    if (pgPort && (await listening(pgPort))) await (await startEmbeddedPostgres(dataDir, pgPort)).stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is taken over by the next start, and stopped with it', async () => {
    const [port, portAgain] = [await freePort(), await freePort()];
    pgPort = await freePort();
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), SFTP_ENABLED: 'false', LOG_LEVEL: 'info' };
    const first = await startProgram({ ...env, PORT: String(port) });
    expect(JSON.parse(readFileSync(path.join(dataDir, 'pg-owner.json'), 'utf8'))).toEqual({ pid: first.child.pid });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(await listening(pgPort)).toBe(true);

    const again = await startProgram({ ...env, PORT: String(portAgain) });
    expect(again.output()).toContain('was left running by a stopped process: this process now runs it');
    const key = readFileSync(path.join(dataDir, 'bootstrap-operator.key'), 'utf8').trim();
    const res = await fetch(`http://127.0.0.1:${portAgain}/v1/partners`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);

    expect(await again.stop()).toBe(0);
    await until(async () => !(await listening(pgPort)), 'the adopted PostgreSQL to stop with the program', 30_000);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'pg-owner.json'))).toBe(false);
  }, 180_000);

  it('is joined where it listens by a CLI command given another EMBEDDED_PG_PORT, and left running', async () => {
    const port = await freePort();
    pgPort = await freePort();
    const otherPgPort = await freePort();
    const env = { DATA_DIR: dataDir, SFTP_ENABLED: 'false', LOG_LEVEL: 'info' };
    const app = await startProgram({ ...env, EMBEDDED_PG_PORT: String(pgPort), PORT: String(port) });
    // As an operator runs it beside the app, without repeating the app's EMBEDDED_PG_PORT (it crashed with
    // "Cannot read properties of undefined (reading 'stack')": PostgreSQL refused a second server on the folder).
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.resolve('dist/src/cli/main.js'), 'operator:create', '--name', 'Astreinte'],
      { env: { ...process.env, ...env, EMBEDDED_PG_PORT: String(otherPgPort) } },
    );
    expect(stderr).toContain(`runs on port ${pgPort} (EMBEDDED_PG_PORT is ${otherPgPort}): joining it there`);
    const { key } = (JSON.parse(stdout.trim().split('\n').pop()!) as { apiKey: { key: string } }).apiKey;
    const res = await fetch(`http://127.0.0.1:${port}/v1/partners`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(await listening(pgPort)).toBe(true); // the CLI left the app's cluster running
    expect(await listening(otherPgPort)).toBe(false);
    expect(await app.stop()).toBe(0);
    await until(async () => !(await listening(pgPort)), 'the app to stop its PostgreSQL', 30_000);
  }, 180_000);
});
