import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { AppConfig } from '../../src/config/app-config.js';
import { produceOppositionList } from '../../src/opposition/list-producer.js';
import { SigningService } from '../../src/platform/crypto/signing.service.js';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { entropyBytesPerEntry } from '../support/entropy.js';
import { type BenchContext, type Benchmark, BenchOptionError, positiveIntOption } from '../types.js';

const HOLDERS = 5000;

/** The raw way: the same rows, in the same order, streamed with COPY and thrown away. */
async function rawCopySeconds(client: pg.Client): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  const stream = client.query(
    copyTo(`COPY (SELECT serial FROM card WHERE state = 'opposed' ORDER BY serial) TO STDOUT`),
  );
  for await (const chunk of stream as AsyncIterable<Buffer>) bytes += chunk.length;
  return { seconds: (performance.now() - started) / 1000, bytes };
}

/**
 * The full opposition list (LOE) at a realistic density: of `--issued` serials ever issued (default 150 million,
 * allocated in order), each is opposed with probability entries / issued (default 10 million: 1 in 15), so the gaps
 * are random (geometric), not a fixed step. The list is written streamed in both formats (text and compact
 * Golomb-Rice) and signed, beside a raw COPY of the same serials in the same order; peak memory while producing; and
 * the compact size beside the entropy bound of that very set.
 */
export const oppositionBench: Benchmark = {
  name: 'opposition',
  description:
    'full opposition list, ~N opposed among M issued serials at random (text + compact, signed) vs raw COPY; compact size vs the entropy bound',
  options: {
    entries: 'expected opposed cards in the list (default 10000000; the exact count is drawn and reported)',
    issued: 'serials ever issued, each opposed with probability entries/issued (default 150000000)',
  },
  async run(ctx: BenchContext) {
    const expected = positiveIntOption(ctx, 'entries', 10_000_000);
    const issued = positiveIntOption(ctx, 'issued', 150_000_000);
    if (expected > issued) throw new BenchOptionError(`--entries (${expected}) cannot exceed --issued (${issued})`);
    const db = await ctx.freshDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-opposition-'));
    const client = new pg.Client({ connectionString: db.url, application_name: 'bench-opposition' });
    try {
      ctx.log(`opposition: ${HOLDERS} holders`);
      await writeSynthetic(db.url, { count: HOLDERS, seed: 1, families: false });
      await client.connect();
      ctx.log(`opposition: drawing ~${expected} opposed cards among ${issued} issued serials`);
      const t0 = performance.now();
      // Only active cards are unique per holder: a few thousand holders carry all the opposed cards. Serials as the
      // allocator gives them (from 100000000001), each opposed with probability entries/issued: the gaps are
      // geometric, as when cards are lost or stolen independently. The series is in the select list so it streams
      // (a set-returning function in FROM is materialised first). The change-log trigger is skipped (replica role):
      // the bench measures the list, not the seeding. Ids in serial order keep the primary key inserts cheap.
      await client.query(`SET session_replication_role = replica`);
      const inserted = await client.query(
        `INSERT INTO card (id, serial, beneficiary_id, organisme_code, state, opposition_reason, previous_state)
         SELECT lpad(to_hex(g.s), 32, '0')::uuid, 100000000000 + g.s, h.ids[1 + g.s % h.n], '017510001', 'opposed', 'lost', 'active'
           FROM (SELECT generate_series(1, $1::bigint) AS s) g, (SELECT array_agg(id) AS ids, count(*)::int AS n FROM beneficiary) h
          WHERE random() < $2::float8`,
        [issued, expected / issued],
      );
      const entries = inserted.rowCount ?? 0;
      if (entries === 0) throw new BenchOptionError(`no serial was drawn among ${issued}: raise --entries`);
      await client.query(`SET session_replication_role = origin`);
      await client.query(`VACUUM ANALYZE card`);
      const seedSeconds = (performance.now() - t0) / 1000;
      ctx.log(`opposition: ${entries} opposed cards inserted in ${seedSeconds.toFixed(1)} s`);

      await rawCopySeconds(client); // warm the cache for both
      const baseline = await rawCopySeconds(client);
      ctx.log(`opposition: raw COPY ${baseline.seconds.toFixed(2)} s`);

      const config = Object.assign(new AppConfig(), { dataDir: dir });
      const signing = new SigningService(config);
      signing.onModuleInit();
      const rssBefore = process.memoryUsage.rss();
      let peak = rssBefore;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss());
      }, 20);
      const started = performance.now();
      let list;
      try {
        const sideConnection = async () => {
          const side = new pg.Client({ connectionString: db.url, application_name: 'bench-opposition-count' });
          await side.connect();
          return side;
        };
        ({ list } = await produceOppositionList(client, {
          kind: 'full',
          period: 'bench',
          dir: path.join(dir, 'opposition'),
          signer: signing,
          sideConnection,
        }));
      } finally {
        clearInterval(sampler);
      }
      const seconds = (performance.now() - started) / 1000;
      peak = Math.max(peak, process.memoryUsage.rss());
      if (list.entryCount !== entries)
        throw new Error(`the list holds ${list.entryCount} entries, expected ${entries}`);
      ctx.log(
        `opposition: list produced in ${seconds.toFixed(2)} s, text ${list.textBytes} B, compact ${list.compactBytes} B`,
      );
      // The bound of this very set: `entries` serials among the `issued` ones (docs/benchmarks.md).
      const bound = entropyBytesPerEntry(issued, entries);
      const compact = Number(list.compactBytes) / entries;
      const r2 = (n: number) => Math.round(n * 100) / 100;
      const r3 = (n: number) => Math.round(n * 1000) / 1000;
      return {
        entries,
        seconds: r2(seconds),
        baseline_seconds: r2(baseline.seconds),
        ratio: r2(seconds / baseline.seconds),
        peak_rss_mb: Math.round(peak / 1048576),
        rss_before_mb: Math.round(rssBefore / 1048576),
        text_bytes_per_entry: r3(Number(list.textBytes) / entries),
        compact_bytes_per_entry: r3(compact),
        entropy_bytes_per_entry: r3(bound),
        compact_to_entropy: r3(compact / bound),
        issued,
        seed_seconds: Math.round(seedSeconds),
      };
    } finally {
      await client.end().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  },
};
