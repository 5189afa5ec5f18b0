import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../src/platform/errors/database-unavailable.js';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/platform/database/embedded-postgres.js';
import { killPrograms, startProgram, until } from './support/program.js';

/**
 * A real PostgreSQL stopped and started again under the running program (the program joins a server this test
 * runs, as it joins an embedded server already running). While the database is away every request that needs it
 * answers 503 DATABASE_UNAVAILABLE with Retry-After, never a 500; once it is back, requests succeed again; and a
 * stop after all that is still a clean one.
 */
describe('a database outage under the running program', () => {
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-outage-'));
    chmodSync(dir, 0o755);
    return dir;
  };
  let dataDir: string;
  let otherDir: string;
  let db: EmbeddedDatabase | undefined;
  beforeAll(() => {
    dataDir = tempDir();
    otherDir = tempDir();
  });
  afterAll(async () => {
    killPrograms();
    await db?.stop();
    // A failure leaves the program's database running: taken over, then stopped.
    if (existsSync(path.join(otherDir, 'pg', 'postmaster.pid'))) {
      const port = Number(readFileSync(path.join(otherDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[3]);
      await (await startEmbeddedPostgres(otherDir, port)).stop();
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(otherDir, { recursive: true, force: true });
  });

  it('answers 503 with a stable code and Retry-After while the database is down, recovers, and stops with exit code 0', async () => {
    const pgPort = await freePort();
    db = await startEmbeddedPostgres(dataDir, pgPort);
    const port = await freePort();
    const program = await startProgram({
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      PORT: String(port),
      SFTP_ENABLED: 'false',
      LOG_LEVEL: 'info',
      JOBS_POLL_SECONDS: '0.5',
      JOBS_RECOVERY_SECONDS: '1',
    });
    const base = `http://127.0.0.1:${port}`;
    const key = readFileSync(path.join(dataDir, 'bootstrap-operator.key'), 'utf8').trim();
    const send = (method: string, url: string, as = key, body?: unknown) =>
      fetch(`${base}${url}`, {
        method,
        headers: { authorization: `Bearer ${as}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    const created = (await (
      await send('POST', '/v1/partners', key, { kind: 'kiosk', name: 'Borne avant la panne' })
    ).json()) as { id: string };
    // A key never used yet, so checking it needs the database (the other one is in the instance's key cache).
    const { key: coldKey } = (await (await send('POST', `/v1/partners/${created.id}/api-keys`, key, {})).json()) as {
      key: string;
    };
    expect((await send('GET', '/v1/partners')).status).toBe(200);

    await db.stop();
    const during = [
      await send('GET', '/v1/partners'),
      await send('POST', '/v1/partners', key, { kind: 'kiosk', name: 'Borne pendant la panne' }),
      await send('GET', `/v1/partners/${created.id}`),
      await send('GET', '/v1/me', coldKey),
    ];
    for (const res of during) {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('5');
      const problem = (await res.json()) as { code: string; status: number; detail: string };
      expect(problem).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
      expect(problem.detail).toMatch(/retry/i);
    }
    expect((await fetch(`${base}/health`)).status).toBe(503);

    db = await startEmbeddedPostgres(dataDir, pgPort);
    await until(async () => (await send('GET', '/v1/partners')).status === 200, 'requests to succeed again');
    expect((await send('POST', '/v1/partners', key, { kind: 'kiosk', name: 'Borne après la panne' })).status).toBe(201);
    expect((await send('GET', '/v1/me', coldKey)).status).toBe(200);
    await until(async () => (await fetch(`${base}/health`)).status === 200, 'health to say ok again');
    // The workers' lease is taken back on the restarted server (its jobs stay its own).
    await until(() => program.output().includes('job lease taken back'), 'the job lease to be taken back');

    expect(await program.stop()).toBe(0);
    const lines = program
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { status?: number; level: string; msg?: string });
    expect(lines.filter((l) => l.status === 500)).toEqual([]);
    expect(lines.some((l) => l.msg?.startsWith('database unreachable'))).toBe(true);
    expect(lines.at(-1)?.msg).toBe('stopped');
  }, 180_000);

  it('its own embedded database killed under it: it starts it again, requests resume, and SIGTERM still stops both', async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    const program = await startProgram({
      DATA_DIR: otherDir,
      EMBEDDED_PG_PORT: String(pgPort),
      PORT: String(port),
      SFTP_ENABLED: 'false',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '2000',
    });
    const base = `http://127.0.0.1:${port}`;
    const key = readFileSync(path.join(otherDir, 'bootstrap-operator.key'), 'utf8').trim();
    const partners = () =>
      fetch(`${base}/v1/partners`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    expect(await partners()).toBe(200);

    // The server the program started is killed (SIGKILL: no shutdown), then stopped by hand (fast shutdown, as an
    // operator's pg_ctl would): each time the program starts it again, as nothing else would.
    const pidFile = path.join(otherDir, 'pg', 'postmaster.pid');
    const postmaster = () => Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    for (const [signal, times] of [
      ['SIGKILL', 1],
      ['SIGINT', 2],
    ] as const) {
      const before = postmaster();
      process.kill(before, signal);
      await until(
        () => program.output().split('starting it again').length > times,
        `the program to see its database stop (${signal})`,
      );
      await until(async () => (await partners()) === 200, `requests to succeed again (${signal})`, 60_000);
      expect(postmaster()).not.toBe(before);
    }
    expect(program.output()).toContain('the embedded PostgreSQL runs again');

    expect(await program.stop()).toBe(0);
    expect(program.output().trim().split('\n').at(-1)).toContain('"msg":"stopped"');
    await until(() => !existsSync(pidFile), 'its database to stop with it');
  }, 180_000);

  it("is not what a client hanging up in the middle of its body makes (Node's own error for it)", async () => {
    const server = http.createServer();
    const failed = new Promise<Error>((resolve) =>
      server.on('request', (req: http.IncomingMessage) => {
        req.on('error', resolve);
        req.resume();
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n12345');
    setTimeout(() => socket.destroy(), 100);
    const err = await failed;
    server.close();
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(isDatabaseUnavailable(err)).toBe(false);
    // The database's own ECONNRESET still is one.
    expect(isDatabaseUnavailable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
  });
});
