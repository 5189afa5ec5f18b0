/**
 * A benchmark measures figures and, in the same run, a baseline for each, so every number reads as "this much
 * better or worse than the obvious way". Conventions for the returned record (all values finite numbers):
 *   <figure>            a measured figure, e.g. rows_per_s
 *   baseline_<figure>   the same figure measured the baseline way
 *   ratio               <figure> / baseline_<figure> for the main figure (ratio_<figure> for any other)
 *   anything else       a parameter of the run (e.g. rows), shown beside the table
 */
export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface BenchContext {
  /** A new database on the runner's throw-away PostgreSQL: migrated, reference organismes loaded, nothing else. */
  freshDatabase(): Promise<BenchDatabase>;
  /** Values of the options the benchmark declared (`--rows 2000` gives { rows: '2000' }). */
  options: Readonly<Record<string, string>>;
  /** Progress notes, on stderr (stdout carries the results). */
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  description: string;
  /** Options this benchmark reads, name -> help text. */
  options?: Readonly<Record<string, string>>;
  run(ctx: BenchContext): Promise<Record<string, number>>;
}

/** Reads a positive integer option (underscores and commas allowed as separators). */
export function positiveIntOption(ctx: BenchContext, name: string, fallback: number): number {
  const raw = ctx.options[name];
  if (raw === undefined) return fallback;
  const cleaned = raw.replace(/[_,]/g, '');
  const n = Number(cleaned);
  if (!/^\d+$/.test(cleaned) || !Number.isSafeInteger(n) || n < 1)
    throw new BenchOptionError(`--${name} must be a positive whole number (got "${raw}")`);
  return n;
}

export class BenchOptionError extends Error {
  override name = 'BenchOptionError';
}
