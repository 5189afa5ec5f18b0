import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { systemActor } from '../../src/platform/auth/actor.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { runLoad, summarize, type LoadResult } from '../support/http-load.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

const FIRST_SERIAL = 100_000_000_001n;

/**
 * Kiosk checks on a large card base: the real app (HTTP, auth, rate limiter, the check service) answering
 * POST /v1/kiosk/check for random cards, 90 % up to date and 10 % with a pending record, beside a bare Fastify
 * endpoint doing one primary-key SELECT on the same database, both driven the same way in the same run.
 */
export const kioskBench: Benchmark = {
  name: 'kiosk',
  description: 'kiosk checks/s and latency (90 % nothing to do, 10 % pending) vs a bare Fastify primary-key SELECT',
  options: {
    cards: 'active cards on the synthetic register (default 1000000)',
    seconds: 'load duration of each side, in all (default 15)',
    rounds: 'turns the two sides take, each of seconds/rounds (default 5)',
    connections: 'concurrent HTTP requests (default 32)',
    pool: 'database connections of each side (default 8)',
  },
  async run(ctx: BenchContext) {
    const cards = positiveIntOption(ctx, 'cards', 1_000_000);
    const duration = positiveIntOption(ctx, 'seconds', 15);
    const connections = positiveIntOption(ctx, 'connections', 32);
    const rounds = positiveIntOption(ctx, 'rounds', 5);
    const poolSize = positiveIntOption(ctx, 'pool', 8);
    const db = await ctx.freshDatabase();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-kiosk-'));
    chmodSync(dataDir, 0o755);
    try {
      ctx.log(`kiosk: ${cards} beneficiaries and active cards`);
      await writeSynthetic(db.url, { count: cards, seed: 7 });
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        // Seeded as synthetic rows, the register's chip-record triggers skipped (as the opposition bench does): the
        // cards are at version 1 with only the records written below, the same data before and after a change.
        await c.query(`SET session_replication_role = replica`);
        await c.query(`INSERT INTO card (beneficiary_id, organisme_code, state, serial, data_version)
                       SELECT b.id, a.organisme_code, 'active', $1::bigint + row_number() OVER (ORDER BY b.id) - 1, 1
                         FROM beneficiary b JOIN affiliation a ON a.beneficiary_id = b.id AND a.valid_to IS NULL`, [FIRST_SERIAL.toString()]);
        // 10 % of the cards have one record written by their fund and not yet on the chip.
        await c.query(`INSERT INTO card_data_record (card_id, record_type, content, version)
                       SELECT id, 'coverage', '[{"aldDigit": 4, "situation": "0300"}]'::jsonb, 2 FROM card WHERE serial % 10 = 0`);
        await c.query(`INSERT INTO card_update_state (card_id, target_version) SELECT id, 2 FROM card WHERE serial % 10 = 0`);
        // A history of finished exchanges (one card in five was updated once), as a register in service has: the
        // planner then sees kiosk_exchange as the large table it is, not as the empty one of a new database.
        const partner = (await c.query<{ id: string }>(`INSERT INTO partner (kind, name) VALUES ('kiosk', 'bench kiosk history') RETURNING id`)).rows[0].id;
        await c.query(`INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records, status, finished_at)
                       SELECT id, $1, 0, 1, ARRAY['coverage@1'], 'confirmed', now() FROM card WHERE serial % 5 = 1`, [partner]);
        await c.query(`SET session_replication_role = origin`);
        // And the audit trail such a register has: from empty, every few inserts would trigger an autoanalyze that
        // invalidates the cached plans of the statements writing to it (the disclosing exchanges audit there).
        await c.query(`INSERT INTO audit_entry (actor_partner_id, actor_kind, action, entity_type, entity_id, organisme_code, details)
                       SELECT $1, 'kiosk', 'card.data_written', 'card', id::text, organisme_code, '{}'::jsonb FROM card WHERE serial % 5 = 1`, [partner]);
        await c.query('ANALYZE');
      } finally {
        await c.end();
      }
      const total = Number((await count(db.url)));

      const config = Object.assign(new AppConfig(), {
        logLevel: 'silent', dataDir, workersEnabled: false, cronsEnabled: false, sftpEnabled: false, seedReferenceData: false,
        rateLimitPerMinute: 100_000_000, dbPoolSize: poolSize,
      });
      const app = await createApp(config, db.url, createLogger('silent'));
      const pool = new pg.Pool({ connectionString: db.url, max: poolSize });
      const bare = Fastify({ logger: false });
      bare.post('/check', async (req) => {
        const { serial } = req.body as { serial: string };
        const { rows } = await pool.query('SELECT state, data_version FROM card WHERE serial = $1', [serial]);
        return rows[0] ?? null;
      });
      const appRounds: LoadResult[] = [];
      const bareRounds: LoadResult[] = [];
      try {
        await app.init();
        const partners = app.get(PartnersService);
        const kiosk = await partners.createPartner(systemActor(), { kind: PartnerKind.Kiosk, name: 'bench kiosk' });
        const key = (await partners.createApiKey(systemActor(), kiosk.id)).key;
        await app.listen({ port: 0, host: '127.0.0.1' });
        await bare.listen({ port: 0, host: '127.0.0.1' });
        const appSpec = (seconds: number) => ({
          url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}/v1/kiosk/check`, seconds, connections,
          firstSerial: FIRST_SERIAL.toString(), cards: total,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          bodyTemplate: JSON.stringify({ serial: '{serial}', readVersion: 1, writeInProgress: false }),
          mark: '"action":"update"',
        });
        const bareSpec = (seconds: number) => ({
          url: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/check`, seconds, connections,
          firstSerial: FIRST_SERIAL.toString(), cards: total, headers: { 'content-type': 'application/json' }, bodyTemplate: JSON.stringify({ serial: '{serial}' }),
        });
        // Warm-up (JIT, connections, prepared statements, caches), not counted; then the two sides in turns, so a
        // slower or busier stretch of the machine weighs on both alike.
        await runLoad(appSpec(1));
        await runLoad(bareSpec(1));
        const perRound = duration / rounds;
        for (let r = 1; r <= rounds; r++) {
          ctx.log(`kiosk: round ${r}/${rounds}: ${perRound} s of checks on the app, then on the bare endpoint, ${connections} at once`);
          appRounds.push(await runLoad(appSpec(perRound)));
          bareRounds.push(await runLoad(bareSpec(perRound)));
        }
      } finally {
        await app.close();
        await bare.close();
        await pool.end();
      }
      const checks = summarize(appRounds);
      const baseline = summarize(bareRounds);
      if (checks.errors > 0) throw new Error(`kiosk: ${checks.errors} checks failed, first: ${checks.firstError}`);
      ctx.log(`kiosk: app ${Math.round(checks.perSecond)}/s p99 ${checks.p99.toFixed(1)} ms; bare ${Math.round(baseline.perSecond)}/s`);
      return {
        cards: total,
        checks_per_s: Math.round(checks.perSecond),
        p50_ms: round(checks.p50),
        p99_ms: round(checks.p99),
        baseline_per_s: Math.round(baseline.perSecond),
        // The same baseline under the runner's `baseline_<figure>` convention, so the table pairs it with checks_per_s.
        baseline_checks_per_s: Math.round(baseline.perSecond),
        baseline_p99_ms: round(baseline.p99),
        ratio: round(checks.perSecond / baseline.perSecond, 3),
        ratio_p99_ms: round(checks.p99 / Math.max(0.001, baseline.p99), 3),
        pending_share: round(checks.marked / Math.max(1, checks.requests), 3),
        connections,
        pool: poolSize,
        rounds,
      };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  },
};

async function count(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM card')).rows[0].n);
  } finally {
    await c.end();
  }
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
