import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../platform/database/embedded-postgres.js';
import { projectRoot } from '../platform/files/project-root.js';

/** What the demos share: their output, their checks, the product started on its embedded defaults, its REST API. */
export const say = (s: string) => process.stdout.write(s + '\n');
export const step = (n: string, s: string) => say(`\n[${n}] ${s}`);
export const ok = (s: string) => say(`    ✓ ${s}`);

export class DemoFailure extends Error {}
export function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new DemoFailure(what);
  ok(what);
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  seconds = 60,
): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new DemoFailure(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export class Api {
  constructor(private readonly base: string) {}
  async call(key: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    let payload: FormData | Blob | string | undefined;
    // A Blob is sent as it is, with its own media type (a file upload).
    if (body instanceof FormData || body instanceof Blob) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(this.base + url, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  }
  async ok(key: string, method: string, url: string, body?: unknown, expect = [200, 201, 202]): Promise<any> {
    const r = await this.call(key, method, url, body);
    if (!expect.includes(r.status))
      throw new DemoFailure(`${method} ${url} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

/** The port set in the environment (PORT, SFTP_PORT, EMBEDDED_PG_PORT, as for `npm start`), else a free one. */
export async function chosenPort(name: string): Promise<number> {
  const raw = process.env[name]?.trim();
  if (!raw || raw === '0') return freePort();
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
    throw new DemoFailure(`${name} must be a port number (1-65535), got "${raw}"`);
  return port;
}

export async function startApp(extraEnv: NodeJS.ProcessEnv = {}): Promise<{
  child: ChildProcess;
  base: string;
  sftpPort: number;
  pgPort: number;
  dataDir: string;
}> {
  const root = projectRoot();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-demo-'));
  chmodSync(dataDir, 0o755);
  const [port, sftpPort, pgPort] = [
    await chosenPort('PORT'),
    await chosenPort('SFTP_PORT'),
    await chosenPort('EMBEDDED_PG_PORT'),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    SFTP_PORT: String(sftpPort),
    EMBEDDED_PG_PORT: String(pgPort),
    LOG_LEVEL: 'warn',
    JOBS_POLL_SECONDS: '0.5',
    ...extraEnv,
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await until(
    'the app to start',
    async () => {
      if (child.exitCode !== null) throw new DemoFailure(`the app exited: ${out}`);
      return out.includes('is running');
    },
    120,
  );
  return { child, base: `http://127.0.0.1:${port}`, sftpPort, pgPort, dataDir };
}

/** Stops the product started by startApp and deletes its throw-away data folder. */
export async function stopApp(app: { child: ChildProcess; dataDir: string }): Promise<void> {
  if (app.child.exitCode === null) {
    app.child.kill('SIGTERM');
    await new Promise((r) => app.child.once('exit', r));
  }
  rmSync(app.dataDir, { recursive: true, force: true });
}
