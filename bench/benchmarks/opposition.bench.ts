import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { AppConfig } from '../../src/config/app-config.js';
import { produceOppositionList } from '../../src/opposition/list-producer.js';
import { SigningService } from '../../src/platform/crypto/signing.service.js';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

const HOLDERS = 5000;

/** The raw way: the same rows, in the same order, streamed with COPY and thrown away. */
async function rawCopySeconds(client: pg.Client): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  const stream = client.query(copyTo(`COPY (SELECT serial FROM card WHERE state = 'opposed' ORDER BY serial) TO STDOUT`));
  for await (const chunk of stream as AsyncIterable<Buffer>) bytes += chunk.length;
  return { seconds: (performance.now() - started) / 1000, bytes };
}

/**
 * The full opposition list (LOE) for N opposed cards, written streamed in both formats (text and compact
 * Golomb-Rice) and signed, beside a raw COPY of the same serials in the same order; peak memory while producing.
 */
export const oppositionBench: Benchmark = {
  name: 'opposition',
  description: 'full opposition list for N opposed cards (text + compact, signed) vs raw COPY of the same serials',
  options: { entries: 'opposed cards in the list (default 10000000)' },
  async run(ctx: BenchContext) {
    const entries = positiveIntOption(ctx, 'entries', 10_000_000);
    const db = await ctx.freshDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-opposition-'));
    const client = new pg.Client({ connectionString: db.url, application_name: 'bench-opposition' });
    try {
      ctx.log(`opposition: ${HOLDERS} holders`);
      await writeSynthetic(db.url, { count: HOLDERS, seed: 1 });
      await client.connect();
      ctx.log(`opposition: inserting ${entries} opposed cards`);
      const t0 = performance.now();
      // Only active cards are unique per holder: a few thousand holders carry all the opposed cards. Serials as the
      // allocator gives them, about one issued card in six opposed (mean gap 6). The change-log trigger is skipped
      // (replica role): the bench measures the list, not the seeding. Ids in order keep the primary key inserts cheap.
      await client.query(`SET session_replication_role = replica`);
      await client.query(
        `INSERT INTO card (id, serial, beneficiary_id, organisme_code, state, opposition_reason, previous_state)
         SELECT lpad(to_hex(g), 32, '0')::uuid, 100000000000 + g * 6 + floor(random() * 6)::int, h.ids[1 + g % h.n], '017510001', 'opposed', 'lost', 'active'
           FROM generate_series(1, $1::int) g, (SELECT array_agg(id) AS ids, count(*)::int AS n FROM beneficiary) h`, [entries]);
      await client.query(`SET session_replication_role = origin`);
      await client.query(`VACUUM ANALYZE card`);
      ctx.log(`opposition: inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      await rawCopySeconds(client); // warm the cache for both
      const baseline = await rawCopySeconds(client);
      ctx.log(`opposition: raw COPY ${baseline.seconds.toFixed(2)} s`);

      const config = Object.assign(new AppConfig(), { dataDir: dir });
      const signing = new SigningService(config);
      signing.onModuleInit();
      const rssBefore = process.memoryUsage.rss();
      let peak = rssBefore;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 20);
      const started = performance.now();
      let list;
      try {
        const sideConnection = async () => {
          const side = new pg.Client({ connectionString: db.url, application_name: 'bench-opposition-count' });
          await side.connect();
          return side;
        };
        ({ list } = await produceOppositionList(client, { kind: 'full', period: 'bench', dir: path.join(dir, 'opposition'), signer: signing, sideConnection }));
      } finally {
        clearInterval(sampler);
      }
      const seconds = (performance.now() - started) / 1000;
      peak = Math.max(peak, process.memoryUsage.rss());
      if (list.entry_count !== entries) throw new Error(`the list holds ${list.entry_count} entries, expected ${entries}`);
      ctx.log(`opposition: list produced in ${seconds.toFixed(2)} s, text ${list.text_bytes} B, compact ${list.compact_bytes} B`);
      const r2 = (n: number) => Math.round(n * 100) / 100;
      const r3 = (n: number) => Math.round(n * 1000) / 1000;
      return {
        entries,
        seconds: r2(seconds),
        baseline_seconds: r2(baseline.seconds),
        ratio: r2(seconds / baseline.seconds),
        peak_rss_mb: Math.round(peak / 1048576),
        rss_before_mb: Math.round(rssBefore / 1048576),
        text_bytes_per_entry: r3(Number(list.text_bytes) / entries),
        compact_bytes_per_entry: r3(Number(list.compact_bytes) / entries),
      };
    } finally {
      await client.end().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  },
};
