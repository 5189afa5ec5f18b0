import { spawn } from 'node:child_process';
import { createReadStream, readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { writeCardBaseFile } from '../src/synthetic/card-base-writer.js';
import { writeSynthetic } from '../src/synthetic/copy-writer.js';
import type { BenchContext } from './types.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');

/** The bare table of the baseline: the file's columns, typed, no key, no index, no constraint, no trigger. */
const BARE = `CREATE UNLOGGED TABLE IF NOT EXISTS bench_bare_card_base (serial bigint, chip_id text, holder_nir char(15),
  organisme char(9), generation smallint, state text, opposition_reason text, issued_on date, last_updated_on date,
  data_version integer, dependants smallint)`;

/** Peak resident memory of a running process (VmHWM: its high-water mark), in MB; 0 once it is gone. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the operator's CLI in its own process: its output, wall time and peak resident memory. */
async function runCli(
  args: string[],
  url: string,
  dir: string,
): Promise<{ out: string; seconds: number; peakMb: number }> {
  const t = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, DATABASE_URL: url, DATA_DIR: dir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let peakMb = 0;
  child.stdout!.on('data', (d) => (out += d));
  const sampler = setInterval(() => (peakMb = Math.max(peakMb, peakRssMb(child.pid!))), 200);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (code !== 0) throw new Error(`npm run cli -- ${args[0]} exited ${code}: ${out}`);
  return { out, seconds, peakMb };
}

/**
 * The takeover bench's import half: a synthetic register of `register` people, the card base of `cards` cards
 * written for it by the synthetic generator (the cards beyond what the register's people hold are of holders the
 * register does not know), then the same plain file loaded twice in the same database: a raw COPY into a bare table
 * (the baseline), and the product's import, run as the operator's CLI (`card-base:import --file`, its own process:
 * its peak memory is the import's).
 */
export async function benchImport(
  ctx: BenchContext,
  url: string,
  sizes: { cards: number; register: number },
): Promise<Record<string, number>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-takeover-'));
  try {
    ctx.log(`takeover: seeding a register of ${sizes.register} people`);
    await writeSynthetic(url, { count: sizes.register, seed: 1 });
    const file = path.join(dir, 'card-base.csv');
    ctx.log(`takeover: writing a card base of ${sizes.cards} cards`);
    const counts = await writeCardBaseFile(url, file, { seed: 1, totalCards: sizes.cards });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    let baselineSeconds: number;
    try {
      await client.query(BARE);
      ctx.log('takeover: baseline, raw COPY of the file into a bare table');
      const t0 = process.hrtime.bigint();
      await pipeline(
        createReadStream(file),
        client.query(copyFrom(`COPY bench_bare_card_base FROM STDIN (FORMAT csv, HEADER true)`)),
      );
      baselineSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      await client.query('DROP TABLE bench_bare_card_base');
    } finally {
      await client.end();
    }

    // The import as the operator runs it, in two timed steps, each its own process: the sending (the file's lines
    // parsed, checked and landed; what the target compares with the raw COPY), then the move of the landed lines into
    // the card base (what the app's job does; reported beside).
    ctx.log('takeover: the import (npm run cli -- card-base:import --land-only)');
    const landed = await runCli(['card-base:import', '--file', file, '--land-only'], url, dir);
    const sent = JSON.parse(landed.out.trim().split('\n').pop()!) as {
      id: string;
      landedRows: number;
      rejectedRows: number;
    };
    if (sent.landedRows !== counts.cards || sent.rejectedRows !== 0)
      throw new Error(`the import landed ${sent.landedRows} of ${counts.cards} cards (${sent.rejectedRows} rejected)`);
    ctx.log('takeover: the landed lines into the card base (npm run cli -- card-base:materialise)');
    const moved = await runCli(['card-base:materialise', '--import', sent.id], url, dir);
    const result = JSON.parse(moved.out.trim().split('\n').pop()!) as { importedRows: number; rejectedRows: number };
    if (result.importedRows !== counts.cards || result.rejectedRows !== 0)
      throw new Error(
        `the import took ${result.importedRows} of ${counts.cards} cards (${result.rejectedRows} rejected)`,
      );

    const importRate = counts.cards / landed.seconds;
    const baselineRate = counts.cards / baselineSeconds;
    return {
      cards: counts.cards,
      register: sizes.register,
      import_rows_per_s: Math.round(importRate),
      baseline_import_rows_per_s: Math.round(baselineRate),
      import_ratio: Math.round((importRate / baselineRate) * 1000) / 1000,
      peak_rss_mb: Math.round(Math.max(landed.peakMb, moved.peakMb)),
      import_s: Math.round(landed.seconds * 10) / 10,
      baseline_import_s: Math.round(baselineSeconds * 10) / 10,
      materialise_rows_per_s: Math.round(counts.cards / moved.seconds),
      materialise_s: Math.round(moved.seconds * 10) / 10,
      materialise_peak_rss_mb: Math.round(moved.peakMb),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
