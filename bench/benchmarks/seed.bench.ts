import pg from 'pg';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { insertSynthetic } from '../support/multi-row-insert.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

const SEED = 1;

async function countRows(url: string): Promise<{ beneficiaries: number; affiliations: number; attachments: number }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ b: string; a: string; t: string }>(
      'SELECT (SELECT count(*) FROM beneficiary) AS b, (SELECT count(*) FROM affiliation) AS a, (SELECT count(*) FROM attachment) AS t',
    );
    return { beneficiaries: Number(rows[0].b), affiliations: Number(rows[0].a), attachments: Number(rows[0].t) };
  } finally {
    await c.end();
  }
}

/**
 * Synthetic register load: beneficiaries per second (with their affiliations and families: about a fifth under 16,
 * attached to one or two parents) of the generator + COPY writer, beside the same rows written with 1,000-row
 * parameterised INSERTs. Each way gets its own fresh database. `--baseline false` runs the COPY writer only (the
 * 1,000,000-insured figure).
 */
export const seedBench: Benchmark = {
  name: 'seed',
  description: 'synthetic beneficiaries/s: generator + COPY writer vs 1,000-row multi-row INSERT of the same rows',
  options: {
    rows: 'beneficiaries written each way (default 200000)',
    baseline: 'also write them with multi-row INSERTs (default true)',
  },
  async run(ctx: BenchContext): Promise<Record<string, number>> {
    const rows = positiveIntOption(ctx, 'rows', 200_000);
    const withBaseline = ctx.options.baseline !== 'false';

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

    if (!withBaseline) {
      if (copyCounts.beneficiaries !== rows) throw new Error(`the COPY writer wrote ${JSON.stringify(copyCounts)}`);
      return {
        rows,
        rows_per_s: Math.round(rows / copy.seconds),
        seconds: Math.round(copy.seconds),
        dependants_attachments: copyCounts.attachments,
      };
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
      copyCounts.affiliations !== insertCounts.affiliations ||
      copyCounts.attachments !== insertCounts.attachments
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
      seconds: Math.round(copy.seconds),
      dependants_attachments: copyCounts.attachments,
    };
  },
};
