import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startEmbeddedPostgres } from '../src/platform/database/embedded-postgres.js';
import { listening, until } from './support/program.js';
import { tempDir } from './support/temp-dirs.js';

/** The processes below `pid` (Linux: each /proc/<pid>/stat names its parent). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0;) {
    const children = [...parentOf].filter(([, parent]) => frontier.includes(parent)).map(([child]) => child);
    found.push(...children);
    frontier = children;
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;

/**
 * A supervisor (systemd, a container runtime, a shell's `kill`) signals the process it started: `npm start`'s. npm
 * passes SIGTERM to its script's shell, which does not pass it on: the program must be the shell itself (`exec`), or
 * it is left running, with its PostgreSQL, after npm has exited.
 */
describe('npm scripts and signals', () => {
  it('every script that runs a program runs it with exec', () => {
    const running = Object.entries(scripts).filter(([, command]) => /(^|&&\s*)(exec\s+)?node\s/.test(command));
    expect(running.length).toBeGreaterThan(5);
    for (const [name, command] of running)
      expect({ name, execs: /(^|&&\s*)exec node\s/.test(command) }).toEqual({ name, execs: true });
  });

  const dataDir = tempDir('npm-start');
  let pgPort = 0;
  let started: number[] = [];
  afterAll(async () => {
    // Whatever a failure left running under npm (its shell, the program, its PostgreSQL) is killed; a PostgreSQL
    // still listening after that is taken over and stopped. The folder goes with the harness's temporary folders.
    for (const pid of started.filter(alive)) process.kill(pid, 'SIGKILL');
    await until(async () => !pgPort || !(await listening(pgPort)), 'PostgreSQL to go', 10_000).catch(async () => {
      await (await startEmbeddedPostgres(dataDir, pgPort)).stop();
    });
  });

  it('SIGTERM to `npm start` stops the program and its embedded PostgreSQL', async () => {
    const port = await freePort();
    pgPort = await freePort();
    // --ignore-scripts: not prestart's build (the test run has built dist/ already), the start script itself.
    const npm = spawn('npm', ['start', '--ignore-scripts'], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: String(port),
        EMBEDDED_PG_PORT: String(pgPort),
        SFTP_ENABLED: 'false',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout!.on('data', (d) => (out += d));
    npm.stderr!.on('data', (d) => (out += d));
    // 'exit', not 'close': a program left running would hold npm's output open.
    const exited = new Promise((resolve) => npm.once('exit', resolve));
    try {
      await until(() => out.includes('is running') || npm.exitCode !== null, 'the banner', 90_000);
      expect(out).toContain('is running');
      started = descendants(npm.pid!);
      expect(started.length).toBeGreaterThan(1); // the program and its PostgreSQL, at least
      // The signal to npm's process alone, as a supervisor sends it.
      npm.kill('SIGTERM');
      await exited;
      await until(() => !started.some(alive), 'the program and everything it started to stop', 30_000);
      await until(async () => !(await listening(pgPort)), 'its PostgreSQL to stop', 30_000);
      expect(existsSync(path.join(dataDir, 'pg-owner.json'))).toBe(false);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  }, 180_000);
});
