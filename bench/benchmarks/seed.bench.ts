import pg from 'pg';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { insertSynthetic } from '../support/multi-row-insert.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

const SEED = 1;

async function countRows(url: string): Promise<{ beneficiaries: number; affiliations: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ b: string; a: string }>(
      'SELECT (SELECT count(*) FROM beneficiary) AS b, (SELECT count(*) FROM affiliation) AS a',
    );
    return { beneficiaries: Number(rows[0].b), affiliations: Number(rows[0].a) };
  } finally {
    await c.end();
  }
}

/**
 * Synthetic register load: beneficiaries per second (with their affiliations) of the generator + COPY writer, beside
 * the same rows written with 1,000-row parameterised INSERTs. Each way gets its own fresh database.
 */
export const seedBench: Benchmark = {
  name: 'seed',
  description: 'synthetic beneficiaries/s: generator + COPY writer vs 1,000-row multi-row INSERT of the same rows',
  options: { rows: 'beneficiaries written each way (default 200000)' },
  async run(ctx: BenchContext) {
    const rows = positiveIntOption(ctx, 'rows', 200_000);

    const copyDb = await ctx.freshDatabase();
    let copy;
    let copyCounts;
    try {
      ctx.log(`seed: COPY writer, ${rows} beneficiaries`);
      copy = await writeSynthetic(copyDb.url, { count: rows, seed: SEED });
      copyCounts = await countRows(copyDb.url);
    } finally {
      await copyDb.drop();
    }

    const insertDb = await ctx.freshDatabase();
    let insert;
    let insertCounts;
    try {
      ctx.log(`seed: multi-row INSERT baseline, ${rows} beneficiaries`);
      insert = await insertSynthetic(insertDb.url, { count: rows, seed: SEED });
      insertCounts = await countRows(insertDb.url);
    } finally {
      await insertDb.drop();
    }

    if (
      copyCounts.beneficiaries !== rows ||
      insertCounts.beneficiaries !== rows ||
      copyCounts.affiliations !== insertCounts.affiliations
    ) {
      throw new Error(
        `the two ways did not write the same rows (COPY ${JSON.stringify(copyCounts)}, INSERT ${JSON.stringify(insertCounts)})`,
      );
    }
    const rowsPerS = rows / copy.seconds;
    const baselineRowsPerS = rows / insert.seconds;
    return {
      rows,
      rows_per_s: Math.round(rowsPerS),
      baseline_rows_per_s: Math.round(baselineRowsPerS),
      ratio: Math.round((rowsPerS / baselineRowsPerS) * 100) / 100,
    };
  },
};
