import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../src/platform/database/embedded-postgres.js';
import { makeNir } from './support/factories.js';
import { holdingReceiver, killPrograms, startProgram as start, until, type Program } from './support/program.js';

/** `npm start` as a user runs it: the built program, its embedded PostgreSQL, the first operator key, a clean stop. */
describe('the program on its embedded defaults', () => {
  const dirs: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    killPrograms();
    for (const close of closers.splice(0)) await close();
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function dataDir(): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-start-'));
    chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  }

  async function environment(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    return {
      DATA_DIR: dataDir(),
      PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(await freePort()),
      SFTP_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  const stop = (p: Program) => p.stop();

  const call = async (base: string, key: string, method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  it('starts, serves, writes the bootstrap operator key once, stops cleanly and restarts on the same data', async () => {
    const env = await environment();
    const base = `http://127.0.0.1:${env.PORT}`;
    const first = await start(env);
    expect(first.output()).toContain(`${env.PORT}/docs`);
    expect(first.output()).toContain('bootstrap-operator.key');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const key = readFileSync(path.join(env.DATA_DIR, 'bootstrap-operator.key'), 'utf8').trim();
    expect(first.output()).not.toContain(key);
    const me = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(me.status).toBe(200);
    expect(await stop(first)).toBe(0);

    const second = await start(env);
    expect(second.output()).not.toContain('bootstrap-operator.key');
    const again = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    expect(await stop(second)).toBe(0);
  }, 180_000);

  it('logs a few lines before its banner (no route list) and not one error on a clean stop', async () => {
    const p = await start(await environment({ LOG_LEVEL: 'info' }));
    const before = p
      .output()
      .slice(0, p.output().indexOf('is running'))
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(before.filter((l) => /"context":"(RouterExplorer|RoutesResolver|InstanceLoader)"/.test(l))).toEqual([]);
    expect(before.length).toBeLessThan(10);
    expect(await stop(p)).toBe(0);
    const lines = p
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; msg?: string });
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(lines.at(-1)?.msg).toBe('stopped');
  }, 180_000);

  it('answers every request in flight at SIGTERM, keeps what they wrote, stops the database last and exits 0', async () => {
    const env = await environment();
    const base = `http://127.0.0.1:${env.PORT}`;
    const p = await start(env);
    const key = readFileSync(path.join(env.DATA_DIR, 'bootstrap-operator.key'), 'utf8').trim();
    const fund = await call(base, key, 'POST', '/v1/partners', {
      kind: 'fund',
      name: 'CPAM en attente',
      organismeCode: '017510001',
    });
    const fundKey = (await call(base, key, 'POST', `/v1/partners/${fund.body.id}/api-keys`, {})).body.key as string;

    // Each request has sent its headers and half its body when SIGTERM arrives; the rest follows after it.
    const names = Array.from({ length: 8 }, (_, i) => `Borne en vol ${i}`);
    const inFlight = names.map((name) =>
      halfSent(Number(env.PORT), key, '/v1/partners', JSON.stringify({ kind: 'kiosk', name })),
    );
    // A long poll in flight too: it must end with its (empty) page, not be cut.
    const longPoll = fetch(`${base}/v1/events?wait=30`, { headers: { authorization: `Bearer ${fundKey}` } }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as any }),
    );
    await Promise.all(inFlight.map((r) => r.headersSent));
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const r of inFlight) r.finish();

    const answers = await Promise.all(inFlight.map((r) => r.response));
    for (const a of answers) {
      expect(a.error).toBeUndefined();
      expect(a.status).toBe(201);
      expect(JSON.parse(a.body).name).toMatch(/^Borne en vol/);
    }
    const poll = await longPoll;
    expect(poll.status).toBe(200);
    expect(poll.body.items).toEqual([]);
    expect((await p.exited).code).toBe(0);

    // Answered means written: a restart finds every partner the stopping program created.
    const again = await start(env);
    const listed = await call(base, key, 'GET', '/v1/partners?kind=kiosk');
    const listedNames = (listed.body.items ?? listed.body).map((x: { name: string }) => x.name);
    for (const name of names) expect(listedNames).toContain(name);
    expect(await stop(again)).toBe(0);
  }, 180_000);

  it('a job still running when a stop times out runs again right after the restart, and never twice at once', async () => {
    // A fund endpoint that holds the first delivery (the job outlives the stop) and answers the next ones.
    const receiver = await holdingReceiver();
    closers.push(receiver.close);
    const hook = receiver.url;

    const env = await environment({
      SHUTDOWN_TIMEOUT_MS: '1000',
      WEBHOOK_TIMEOUT_MS: '60000',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      JOBS_POLL_SECONDS: '0.5',
      JOBS_RECOVERY_SECONDS: '1',
    });
    const base = `http://127.0.0.1:${env.PORT}`;
    const first = await start(env);
    const key = readFileSync(path.join(env.DATA_DIR, 'bootstrap-operator.key'), 'utf8').trim();
    const fund = await call(base, key, 'POST', '/v1/partners', {
      kind: 'fund',
      name: 'CPAM de Paris',
      organismeCode: '017510001',
    });
    const fundKey = (await call(base, key, 'POST', `/v1/partners/${fund.body.id}/api-keys`, {})).body.key as string;
    expect(
      (await call(base, fundKey, 'POST', '/v1/webhooks', { url: hook, eventTypes: ['request.form_sent'] })).status,
    ).toBe(201);
    const person = await call(base, fundKey, 'POST', '/v1/beneficiaries', {
      nir: makeNir('1850575123456'),
      firstName: 'Jean',
      birthName: 'Martin',
      birthDate: '1985-05-14',
      addressLines: ['12 rue des Lilas', '75011 Paris'],
    });
    expect(person.status).toBe(201);
    expect(
      (await call(base, fundKey, 'POST', '/v1/card-requests', { beneficiaryId: person.body.id, reason: 'first_card' }))
        .status,
    ).toBe(201);
    await until(() => receiver.calls() === 1, 'the first delivery call');

    // The stop gives up on the delivery after SHUTDOWN_TIMEOUT_MS, stops the database and exits 0.
    expect(await stop(first)).toBe(0);
    await until(() => receiver.open() === 0, 'the stopped program to drop its call', 10_000);

    // A new start (a new embedded server) takes the job up again: after the grace given to instances to come back
    // after a database restart (2 x JOBS_RECOVERY_SECONDS), not after the delivery's 5-minute expiry.
    const restarted = Date.now();
    const second = await start(env);
    await until(() => receiver.calls() === 2, 'the delivery to run again after the restart');
    expect(Date.now() - restarted).toBeLessThan(30_000);
    expect(receiver.mostAtOnce()).toBe(1);
    expect(first.output()).toContain('jobs still running when the stop timed out');
    expect(await stop(second)).toBe(0);
  }, 240_000);
});

/** A raw HTTP request whose headers and first half of body go now, and the rest on `finish()`. */
function halfSent(port: number, key: string, url: string, body: string) {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  let finish!: () => void;
  let headersSent!: Promise<void>;
  const response = new Promise<{ status?: number; body: string; error?: string }>((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: url,
        agent: false,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': bytes.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
        res.on('error', (e) => resolve({ status: res.statusCode, body: text, error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ body: '', error: e.message }));
    headersSent = new Promise((r) => req.write(bytes.subarray(0, half), () => r()));
    finish = () => req.end(bytes.subarray(half));
  });
  return {
    response,
    finish: () => finish(),
    get headersSent() {
      return headersSent;
    },
  };
}
