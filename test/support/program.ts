import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';

/** The built program (dist/src/main.js) running as a real process: `npm test` builds it first. */
export interface Program {
  child: ChildProcess;
  /** Everything it wrote on stdout and stderr so far. */
  output: () => string;
  /** Its exit: the code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then its exit code. */
  stop: () => Promise<number | null>;
}

const started = new Set<ChildProcess>();

/** Starts the program with these settings on top of the test's environment; resolves once its banner is printed. */
export async function startProgram(env: Record<string, string>, timeoutMs = 90_000): Promise<Program> {
  const child = spawn(process.execPath, [path.resolve('dist/src/main.js')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // 'close', not 'exit': by then its last output has been read too.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    }),
  );
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('is running')) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited ${child.exitCode ?? child.signalCode}: ${out}`);
    if (Date.now() > deadline) throw new Error(`no banner: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    output: () => out,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

/** Kills (SIGKILL) every program a test left running. */
export function killPrograms(): void {
  for (const c of started) c.kill('SIGKILL');
  started.clear();
}

/**
 * A fund's webhook endpoint that holds the first call unanswered (so the job delivering it runs on) and answers
 * 204 to the next ones; it counts calls and how many were open at once.
 */
export async function holdingReceiver() {
  let calls = 0;
  let open = 0;
  let mostAtOnce = 0;
  const server = http.createServer((req, res) => {
    calls += 1;
    open += 1;
    mostAtOnce = Math.max(mostAtOnce, open);
    req.socket.once('close', () => {
      open -= 1;
    });
    const held = calls === 1;
    req.resume();
    req.on('end', () => {
      if (!held) res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    calls: () => calls,
    open: () => open,
    mostAtOnce: () => mostAtOnce,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Polls until `check` holds or the time is up. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether something accepts connections on 127.0.0.1:`port` (a server started, or gone). */
export const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
