import { benchImport } from '../takeover-import.js';
import { benchReconcile } from '../takeover-reconcile.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

/**
 * Taking over a card base (issue 14): import N cards from a card-base/1 file beside a raw COPY of the same file into a
 * bare table (target: import_ratio >= 0.5, peak_rss_mb < 300), then the reconciliation dry run over them.
 */
export const takeoverBench: Benchmark = {
  name: 'takeover',
  description: 'card-base import rows/s vs a raw COPY of the same file; reconciliation dry run over the imported cards',
  options: {
    cards: 'cards in the imported file (default 10000000)',
    register:
      'people in the synthetic register the cards are written for (default 1.15 x cards: every card has a holder the register knows, as in a real takeover; a smaller register leaves the rest of the cards to holders it does not know)',
  },
  async run(ctx: BenchContext): Promise<Record<string, number>> {
    const cards = positiveIntOption(ctx, 'cards', 10_000_000);
    const register = positiveIntOption(ctx, 'register', Math.ceil(cards * 1.15));
    const db = await ctx.freshDatabase();
    try {
      const imported = await benchImport(ctx, db.url, { cards, register });
      // The reconciliation's dry run over the cards just imported, beside a single GROUP BY over the same table.
      const { seconds, ...reconciled } = await benchReconcile(db.url);
      return { ...imported, ...reconciled, reconcile_s: seconds };
    } finally {
      await db.drop();
    }
  },
};
