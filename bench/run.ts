import 'reflect-metadata';
import { chmodSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, startScratchPostgres } from '../src/platform/database/embedded-postgres.js';
import { migrate } from '../src/platform/database/migrate.js';
import { loadReferenceIfEmpty } from '../src/synthetic/reference-loader.js';
import { BENCHMARKS } from './registry.js';
import { type BenchContext, type Benchmark, BenchOptionError } from './types.js';

/**
 * npm run bench [-- --only NAME[,NAME]] [--json] [--<option> value ...]
 * Runs the benchmarks on a throw-away embedded PostgreSQL (never the developer's data) and prints a markdown table,
 * or with --json one JSON object per benchmark, one per line (the last line is the last benchmark).
 * Exit codes: 0 done, 1 a benchmark failed, 2 bad argument.
 */
export interface BenchIo {
  out(text: string): void;
  err(text: string): void;
}

const stdio: BenchIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };
const TEMPLATE = 'bench_template';

export type BenchResult = { bench: string } & Record<string, number | string>;

interface RunArgs {
  selected: Benchmark[];
  json: boolean;
  options: Record<string, string>;
}

function usage(benchmarks: readonly Benchmark[]): string {
  const lines = [
    'Usage: npm run bench -- [--only NAME[,NAME...]] [--json] [options]',
    '',
    '  --only NAME   run only these benchmarks',
    '  --json        one JSON object per benchmark (one line each) instead of a markdown table',
    '  --help        this text',
    '',
    'Benchmarks:',
  ];
  for (const b of benchmarks) {
    lines.push(`  ${b.name.padEnd(12)} ${b.description}`);
    for (const [opt, help] of Object.entries(b.options ?? {})) lines.push(`      --${opt} N  ${help}`);
  }
  return lines.join('\n');
}

export function parseBenchArgs(
  argv: readonly string[],
  benchmarks: readonly Benchmark[] = BENCHMARKS,
): { kind: 'help' } | { kind: 'error'; message: string } | { kind: 'run'; args: RunArgs } {
  let only: string[] | undefined;
  let json = false;
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--json') {
      json = true;
      continue;
    }
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m) return { kind: 'error', message: `unknown argument "${arg}"` };
    const value = m[2] ?? argv[i + 1];
    if (value === undefined || (m[2] === undefined && value.startsWith('--')))
      return { kind: 'error', message: `--${m[1]} needs a value` };
    if (m[2] === undefined) i++;
    if (m[1] === 'only')
      only = [
        ...(only ?? []),
        ...value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ];
    else options[m[1]] = value;
  }
  const unknown = only?.filter((n) => !benchmarks.some((b) => b.name === n)) ?? [];
  if (unknown.length)
    return {
      kind: 'error',
      message: `no benchmark named ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${benchmarks.map((b) => b.name).join(', ')})`,
    };
  const selected = only ? benchmarks.filter((b) => only!.includes(b.name)) : [...benchmarks];
  const known = new Set(selected.flatMap((b) => Object.keys(b.options ?? {})));
  const stray = Object.keys(options).filter((o) => !known.has(o));
  if (stray.length)
    return {
      kind: 'error',
      message: `unknown option ${stray.map((o) => `--${o}`).join(', ')} for ${selected.map((b) => b.name).join(', ')}`,
    };
  return { kind: 'run', args: { selected, json, options } };
}

/** A throw-away PostgreSQL with a migrated template database holding the reference organismes. */
async function startScratch(
  io: BenchIo,
): Promise<{ freshDatabase: BenchContext['freshDatabase']; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user when we are root
  let server: Awaited<ReturnType<typeof startScratchPostgres>> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await server?.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    const port = await freePort();
    server = await startScratchPostgres(path.join(dir, 'data'), port);
    const adminUrl = server.adminUrl('postgres');
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${TEMPLATE}`);
    } finally {
      await admin.end();
    }
    const templateUrl = server.adminUrl(TEMPLATE);
    await migrate(templateUrl);
    const c = new pg.Client({ connectionString: templateUrl });
    await c.connect();
    try {
      await loadReferenceIfEmpty(c);
    } finally {
      await c.end();
    }
    io.err(`scratch PostgreSQL on port ${port}\n`);
    let counter = 0;
    const scratch = server;
    const freshDatabase = async () => {
      const name = `bench_${process.pid}_${++counter}`;
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
      } finally {
        await a.end();
      }
      return {
        url: scratch.adminUrl(name),
        drop: async () => {
          const d = new pg.Client({ connectionString: adminUrl });
          await d.connect();
          try {
            await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await d.end();
          }
        },
      };
    };
    return { freshDatabase, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

const fmt = (n: number | string | undefined) =>
  n === undefined ? '—' : typeof n === 'string' ? n : Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2);

/** One row per figure (a key with a baseline_ twin), with its baseline and ratio; other keys listed as parameters. */
export function markdownTable(results: readonly BenchResult[]): string {
  const lines = ['| bench | figure | value | baseline | ratio |', '|---|---|---:|---:|---:|'];
  const notes: string[] = [];
  for (const r of results) {
    const keys = Object.keys(r).filter((k) => k !== 'bench');
    const figures = keys.filter((k) => `baseline_${k}` in r);
    for (const k of figures) {
      const value = r[k] as number;
      const baseline = r[`baseline_${k}`] as number;
      const ratio =
        (r[`ratio_${k}`] as number | undefined) ??
        (figures.length === 1 && typeof r.ratio === 'number' ? r.ratio : baseline ? value / baseline : undefined);
      lines.push(`| ${r.bench} | ${k} | ${fmt(value)} | ${fmt(baseline)} | ${fmt(ratio)} |`);
    }
    const params = keys.filter((k) => !figures.includes(k) && !k.startsWith('baseline_') && !k.startsWith('ratio'));
    if (params.length) notes.push(`${r.bench}: ${params.map((k) => `${k} = ${fmt(r[k])}`).join(', ')}`);
  }
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

export async function runBench(
  argv: readonly string[],
  io: BenchIo = stdio,
  registerCleanup?: (cleanup: () => Promise<void>) => void,
): Promise<number> {
  const parsed = parseBenchArgs(argv);
  if (parsed.kind === 'help') {
    io.out(`${usage(BENCHMARKS)}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.err(`bench: ${parsed.message}\n\n${usage(BENCHMARKS)}\n`);
    return 2;
  }
  const { selected, json, options } = parsed.args;
  const scratch = await startScratch(io);
  registerCleanup?.(scratch.stop);
  const results: BenchResult[] = [];
  let failed = false;
  try {
    for (const b of selected) {
      const ctx: BenchContext = {
        freshDatabase: scratch.freshDatabase,
        options: Object.fromEntries(Object.entries(options).filter(([k]) => k in (b.options ?? {}))),
        log: (m) => io.err(`${m}\n`),
      };
      const started = performance.now();
      try {
        const figures = await b.run(ctx);
        const bad = Object.entries(figures).filter(([, v]) => typeof v !== 'number' || !Number.isFinite(v));
        if (bad.length) throw new Error(`non-numeric figures: ${bad.map(([k]) => k).join(', ')}`);
        const result: BenchResult = { bench: b.name, ...figures };
        results.push(result);
        io.err(`${b.name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
        if (json) io.out(`${JSON.stringify(result)}\n`);
      } catch (e) {
        if (e instanceof BenchOptionError) {
          io.err(`bench: ${e.message}\n`);
          return 2;
        }
        failed = true;
        io.err(`${b.name}: failed: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
    if (!json) io.out(`${markdownTable(results)}\n`);
    return failed ? 1 : 0;
  } finally {
    await scratch.stop();
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  let cleanup: (() => Promise<void>) | undefined;
  const onSignal = () => {
    process.stderr.write('\nbench: interrupted, stopping the scratch PostgreSQL\n');
    void (cleanup ?? (async () => {}))().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  runBench(process.argv.slice(2), stdio, (c) => {
    cleanup = c;
  }).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
