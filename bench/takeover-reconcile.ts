import pg from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../src/config/app-config.js';
import { dataSourceOptions } from '../src/platform/database/data-source-options.js';
import { ReconciliationMode } from '../src/reconciliation/reconciliation-class.enum.js';
import { ReconciliationRepository } from '../src/reconciliation/reconciliation.repository.js';
import { type BenchContext, type Benchmark, positiveIntOption } from './types.js';

/**
 * The `takeover` benchmark's reconciliation half: on a database already holding the card base (the import half
 * fills it), a reconciliation dry run over every card, beside the obvious single GROUP BY over the same table (the
 * holders with several cards) measured in the same run. Both are timed warm (each run once before), and both rates
 * are per card of the table, so the ratio compares the two statements' costs.
 */
export async function benchReconcile(databaseUrl: string): Promise<{
  seconds: number;
  reconcile_cards_per_s: number;
  baseline_reconcile_cards_per_s: number;
  reconcile_ratio: number;
  surplus_found: number;
  reconcile_workers: number;
}> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-reconcile' });
  await client.connect();
  // As the app runs it: RECONCILE_WORKERS connections at once (its default unless set), one more for the rest.
  const workers = Number(process.env.RECONCILE_WORKERS ?? new AppConfig().reconcileWorkers);
  const ds = await new DataSource(dataSourceOptions(databaseUrl, workers + 1)).initialize();
  try {
    await client.query('ANALYZE card, beneficiary, affiliation, beneficiary_nir_history, imported_card');
    const {
      rows: [{ cards }],
    } = await client.query<{ cards: string }>('SELECT count(*)::text AS cards FROM card');
    const total = Number(cards);

    const baseline = async () => {
      const t = performance.now();
      // The holders with several cards, the obvious way: one hash aggregate over the card table.
      await client.query(
        `SELECT count(*) FROM (SELECT beneficiary_id FROM card GROUP BY beneficiary_id HAVING count(*) > 1) g`,
      );
      return (performance.now() - t) / 1000;
    };
    const repo = new ReconciliationRepository(ds);
    const dryRun = async () => {
      const run = await ds.transaction((em) =>
        repo.insertRun(em, { mode: ReconciliationMode.DryRun, requestedBy: null, requestId: 'bench' }),
      );
      await repo.start(run.id);
      const t = performance.now();
      const classified = await repo.classify(run.id, workers);
      await ds.transaction(async (em) => repo.finish(em, run.id, classified));
      const seconds = (performance.now() - t) / 1000;
      const counts = await repo.counts(run.id, null);
      return { seconds, surplus: counts.filter((c) => c.class === 'surplus').reduce((n, c) => n + c.cards, 0) };
    };

    await baseline(); // warm the cache for both
    await dryRun();
    const baselineSeconds = await baseline();
    const measured = await dryRun();
    const reconcileRate = total / measured.seconds;
    const baselineRate = total / baselineSeconds;
    return {
      seconds: round(measured.seconds, 3),
      reconcile_cards_per_s: Math.round(reconcileRate),
      baseline_reconcile_cards_per_s: Math.round(baselineRate),
      reconcile_ratio: round(reconcileRate / baselineRate, 3),
      surplus_found: measured.surplus,
      reconcile_workers: workers,
    };
  } finally {
    await ds.destroy();
    await client.end();
  }
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * To try the reconciliation half alone: a card base of `cards` imported cards written with SQL generate_series on a
 * fresh database (as its owner): one card per person, plus 4 % surplus second cards (half of them under a row created
 * with a temporary NIR since replaced on the person's row), 1 % of persons affiliated elsewhere than the organisme
 * managing their card, 0.5 % deceased, 0.5 % of cards of holders unknown to the register. Triggers are off while
 * seeding (replica role): the bench measures the reconciliation, not the seeding.
 */
export async function seedReconcileBase(databaseUrl: string, cards: number): Promise<{ surplus: number }> {
  const surplus = Math.round(cards * 0.04);
  const unknown = Math.round(cards * 0.005);
  const persons = cards - surplus - unknown;
  const aliases = Math.floor(surplus / 2);
  // The persons with a surplus card are spread over the register (every stride-th), as in a real base.
  const stride = Math.max(1, Math.floor(persons / surplus));
  const c = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-reconcile-seed' });
  await c.connect();
  try {
    await c.query('SET session_replication_role = replica');
    const id = (expr: string, tag: number) => `('${tag}' || lpad(to_hex(${expr}), 31, '0'))::uuid`;
    await c.query(
      `INSERT INTO beneficiary (id, nir, first_name, birth_name, birth_date, address_lines, died_on)
       SELECT ${id('i', 1)}, '1' || lpad(i::text, 14, '0'), 'ANNE', 'MARTIN', '1980-01-01', ARRAY['1 RUE DU PORT'],
              CASE WHEN i % 200 = 7 THEN DATE '2026-01-01' END
         FROM generate_series(1, $1::int) i`,
      [persons],
    );
    // Rows created under a temporary NIR that the person's own row has since replaced (the NIR history holds it).
    await c.query(
      `INSERT INTO beneficiary (id, nir, nir_temporary, first_name, birth_name, birth_date, address_lines)
       SELECT ${id('i', 2)}, '7' || lpad(i::text, 14, '0'), true, 'ANNE', 'MARTIN', '1980-01-01', ARRAY['1 RUE DU PORT']
         FROM generate_series(1, $1::int) i`,
      [aliases],
    );
    await c.query(
      `INSERT INTO beneficiary_nir_history (nir, beneficiary_id)
       SELECT '7' || lpad(i::text, 14, '0'), ${id('i * $2', 1)} FROM generate_series(1, $1::int) i`,
      [aliases, stride],
    );
    await c.query(
      `WITH o AS (SELECT array_agg(code ORDER BY code) AS codes, count(*)::int AS n FROM organisme)
       INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from)
       SELECT ${id('i', 1)}, o.codes[1 + (i + CASE WHEN i % 100 = 3 THEN 1 ELSE 0 END) % o.n], DATE '2000-01-01'
         FROM generate_series(1, $1::int) i, o`,
      [persons],
    );
    // One card per person; then the surplus second cards (every stride-th person; the first half named by the alias
    // row), then the cards of unknown holders. Serials in order, organismes spread over the reference ones.
    await c.query(
      `WITH o AS (SELECT array_agg(code ORDER BY code) AS codes, count(*)::int AS n FROM organisme),
       k AS (
         SELECT i AS k, ${id('i', 1)} AS holder, i AS p FROM generate_series(1, $1::int) i
         UNION ALL
         SELECT $1 + j, CASE WHEN j <= $3 THEN ${id('j', 2)} ELSE ${id('j * $5', 1)} END, j * $5
           FROM generate_series(1, $2::int) j
         UNION ALL
         SELECT $1 + $2 + u, NULL::uuid, u FROM generate_series(1, $4::int) u
       )
       INSERT INTO card (id, serial, beneficiary_id, organisme_code, state, origin, generation, awaiting_reconciliation)
       SELECT ${id('k.k', 3)}, 100000000000 + k.k, k.holder, o.codes[1 + k.p % o.n], 'active', 'imported',
              1 + (k.k % 3 = 0)::int, true
         FROM k, o`,
      [persons, surplus, aliases, unknown, stride],
    );
    await c.query(
      `INSERT INTO imported_card (card_id, holder_nir, issued_on)
       SELECT id, CASE WHEN beneficiary_id IS NULL THEN '2' || lpad(serial::text, 14, '0') END,
              DATE '2010-01-01' + (serial % 5000)::int
         FROM card`,
    );
    await c.query('SET session_replication_role = origin');
    await c.query('VACUUM ANALYZE');
    return { surplus };
  } finally {
    await c.end();
  }
}

/** The reconciliation half alone, on a base seeded with generate_series (quicker than an import of the same size). */
export const takeoverReconcileBench: Benchmark = {
  name: 'takeover-reconcile',
  description:
    'reconciliation dry run over N imported cards (4 % surplus, seeded with generate_series) vs a single GROUP BY over the same table',
  options: { cards: 'imported cards in the base (default 10000000)' },
  async run(ctx: BenchContext) {
    const cards = positiveIntOption(ctx, 'cards', 10_000_000);
    const db = await ctx.freshDatabase();
    try {
      const t = performance.now();
      const { surplus } = await seedReconcileBase(db.url, cards);
      ctx.log(
        `takeover-reconcile: ${cards} cards (${surplus} surplus) seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
      return { cards, ...(await benchReconcile(db.url)) };
    } finally {
      await db.drop();
    }
  },
};
