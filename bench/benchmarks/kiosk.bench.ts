import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { MetricsService } from '../../src/platform/metrics/metrics.service.js';
import { systemActor } from '../../src/platform/auth/actor.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { UpToDateCards } from '../../src/update/up-to-date-cards.service.js';
import { ackMessage, proofMessage, sealRecords, verifyCardSignature } from '../../src/update/card-crypto.js';
import { CARD_KEY_BYTES, generateCardKeyChunks } from '../support/card-keys.js';
import { cpuNsBetween, mainThreadCpuNs, processesCpuNs } from '../support/cpu-time.js';
import { runLoad, summarize, type LoadResult, type LoadSpec } from '../support/http-load.js';
import { type BenchContext, type Benchmark, BenchOptionError, positiveIntOption } from '../types.js';

const FIRST_SERIAL = 100_000_000_001n;

/** The record each pending card has (written by the seed below); a holder's children add a `dependants` record. */
const PENDING_RECORDS = [{ recordType: 'coverage', version: 2, content: [{ aldDigit: 4, situation: '0300' }] }];
/** People seeded per card: a fifth of the register are children under 16, most carried on a parent's card. */
const PEOPLE_PER_CARD = 1.3;

/**
 * Kiosk protocol 2 on a large card base, every card with its chip's keys: the real app (HTTP, request gate,
 * authentication, rate limiter, the enumeration guard, validation, the services, signed receipts, metrics) answering
 * a fleet of kiosks, beside bare Fastify endpoints on the same database, all driven the same way in the same run,
 * in alternating rounds:
 *   - the mix: random cards, 90 % up to date (one check each), 10 % pending, which run the whole exchange (check,
 *     fetch with the card's signed proof, the records sealed to the card, confirm with the card's signed
 *     acknowledgement); beside a bare endpoint doing one primary-key SELECT per request;
 *   - the exchange path alone: only pending cards; beside a bare exchange doing the irreducible work of one
 *     (three round trips, one SELECT, the two P-256 verifies, the same sealing, one UPDATE).
 * docs/benchmarks.md, section "Benchmark kiosk", says what each figure is.
 */
export const kioskBench: Benchmark = {
  name: 'kiosk',
  description:
    'kiosk/2: mix of checks and exchanges (90 % nothing to do, 10 % pending) vs a bare primary-key SELECT; exchanges/s vs a bare exchange',
  options: {
    cards: 'active cards on the synthetic register, each with its chip keys (default 1000000)',
    seconds: 'load duration of each of the four sides, in all (default 15)',
    rounds: 'turns the sides take, each of seconds/rounds (default 5)',
    connections: 'concurrent kiosks, one request at a time each (default 32)',
    pool: 'database connections of each side (default 8)',
    'in-memory':
      "1: the up-to-date cards are answered from each instance's memory (KIOSK_UP_TO_DATE_IN_MEMORY, the default); 0: every check reads the database",
    'open-every': 'the card opens the sealed records of one exchange in this many (default 16; 1 = every one)',
    profile:
      'for profiling (node --cpu-prof): run only one side for seconds (mix, exchange, checks = the mix without its exchanges, bare, bare-exchange); CPU per request, no ratios',
  },
  async run(ctx: BenchContext): Promise<Record<string, number>> {
    const cards = positiveIntOption(ctx, 'cards', 1_000_000);
    const duration = positiveIntOption(ctx, 'seconds', 15);
    const connections = positiveIntOption(ctx, 'connections', 32);
    const rounds = positiveIntOption(ctx, 'rounds', 5);
    const poolSize = positiveIntOption(ctx, 'pool', 8);
    const openEvery = positiveIntOption(ctx, 'open-every', 16);
    const inMemory = ctx.options['in-memory'] ?? '1';
    if (inMemory !== '0' && inMemory !== '1') throw new BenchOptionError('--in-memory is 0 or 1');
    const db = await ctx.freshDatabase();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-kiosk-'));
    chmodSync(dataDir, 0o755);
    try {
      const seedStarted = performance.now();
      // The register with its families (about a fifth under 16, carried on one or two parents' cards): more people
      // than cards, since children attached to a parent have no card of their own; the first `cards` insured get one.
      const people = Math.ceil(cards * PEOPLE_PER_CARD);
      ctx.log(`kiosk: ${people} beneficiaries with their families, ${cards} active cards`);
      await writeSynthetic(db.url, { count: people, seed: 7, families: true });
      const registerSeconds = (performance.now() - seedStarted) / 1000;
      ctx.log(`kiosk: register written in ${registerSeconds.toFixed(1)} s`);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      let total: number;
      let pendingKeys: SharedArrayBuffer;
      let keysSeconds: number;
      let familySeconds: number;
      try {
        // Seeded as synthetic rows, the register's chip-record triggers skipped (as the opposition bench does): the
        // cards are at version 1 with only the records written below, the same data before and after a change.
        await c.query(`SET session_replication_role = replica`);
        await c.query(
          `INSERT INTO card (beneficiary_id, organisme_code, state, serial, data_version)
                       SELECT h.id, h.organisme_code, 'active', $1::bigint + row_number() OVER (ORDER BY h.id) - 1, 1
                         FROM (SELECT b.id, a.organisme_code
                                 FROM beneficiary b JOIN affiliation a ON a.beneficiary_id = b.id AND a.valid_to IS NULL
                                WHERE NOT EXISTS (SELECT 1 FROM attachment t WHERE t.dependant_id = b.id)
                                ORDER BY b.id LIMIT $2) h`,
          [FIRST_SERIAL.toString(), cards],
        );
        total = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM card')).rows[0].n);
        if (total < cards) throw new Error(`kiosk: only ${total} insured to give cards to (PEOPLE_PER_CARD too low)`);
        // 10 % of the cards have one record written by their fund and not yet on the chip.
        await c.query(
          `INSERT INTO card_data_record (card_id, record_type, content, version)
                       SELECT id, $1, $2::jsonb, $3 FROM card WHERE serial % 10 = 0`,
          [PENDING_RECORDS[0].recordType, JSON.stringify(PENDING_RECORDS[0].content), PENDING_RECORDS[0].version],
        );
        await c.query(
          `INSERT INTO card_update_state (card_id, target_version) SELECT id, 2 FROM card WHERE serial % 10 = 0`,
        );
        // A history of finished exchanges (one card in five was updated once), as a register in service has: the
        // planner then sees kiosk_exchange as the large table it is, not as the empty one of a new database.
        const partner = (
          await c.query<{ id: string }>(
            `INSERT INTO partner (kind, name) VALUES ('kiosk', 'bench kiosk history') RETURNING id`,
          )
        ).rows[0].id;
        await c.query(
          `INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records, status, finished_at)
                       SELECT id, $1, 0, 1, ARRAY['coverage@1'], 'confirmed', now() FROM card WHERE serial % 5 = 1`,
          [partner],
        );
        // And the audit trail such a register has: from empty, every few inserts would trigger an autoanalyze that
        // invalidates the cached plans of the statements writing to it (the disclosing exchanges audit there).
        await c.query(
          `INSERT INTO audit_entry (actor_partner_id, actor_kind, action, entity_type, entity_id, organisme_code, details)
                       SELECT $1, 'kiosk', 'card.data_written', 'card', id::text, organisme_code, '{}'::jsonb FROM card WHERE serial % 5 = 1`,
          [partner],
        );
        // Every card has its chip's keys (kiosk/2 sends a card without them back to kiosk/1): real P-256 pairs, made
        // on worker threads as chips make them; the generator keeps the private halves of the pending cards only.
        const keysStarted = performance.now();
        const pendingCount = Math.floor(total / 10) + 1;
        const kept = Buffer.from(new SharedArrayBuffer(pendingCount * CARD_KEY_BYTES));
        let keptCards = 0;
        await generateCardKeyChunks(
          FIRST_SERIAL,
          total,
          Math.max(1, Math.min(4, os.availableParallelism())),
          async (chunk, n) => {
            const serials: string[] = [];
            const auth: Buffer[] = [];
            const enc: Buffer[] = [];
            for (let i = 0; i < n; i++) {
              const at = i * CARD_KEY_BYTES;
              const serial = chunk.readBigUInt64BE(at);
              serials.push(serial.toString());
              auth.push(chunk.subarray(at + 40, at + 105));
              enc.push(chunk.subarray(at + 137, at + 202));
              if (serial % 10n === 0n) chunk.copy(kept, keptCards++ * CARD_KEY_BYTES, at, at + CARD_KEY_BYTES);
            }
            await c.query(
              `INSERT INTO card_key (card_id, auth_public_key, enc_public_key)
                         SELECT c.id, k.a, k.e FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS k(serial, a, e) JOIN card c ON c.serial = k.serial`,
              [serials, auth, enc],
            );
          },
        );
        keysSeconds = (performance.now() - keysStarted) / 1000;
        pendingKeys = new SharedArrayBuffer(keptCards * CARD_KEY_BYTES);
        kept.copy(Buffer.from(pendingKeys), 0, 0, keptCards * CARD_KEY_BYTES);
        ctx.log(
          `kiosk: ${total} cards' keys in ${keysSeconds.toFixed(1)} s (${keptCards} pending cards' private keys kept)`,
        );
        await c.query(`SET session_replication_role = origin`);
        // Statistics first: the family reads below go by index only once the planner knows the tables' sizes.
        await c.query('ANALYZE');
        // The family record of the pending cards whose holders have children: written as the product writes it, by
        // the register's own function (the one the attachment and card_key triggers run, skipped above): the
        // `dependants` record at the next version, the card's target raised, a `card.data_changed` audit entry each.
        // The other cards' families are not on them yet either, but they are never fetched (up to date).
        const familyStarted = performance.now();
        const parents = (
          await c.query<{ id: string }>(
            `SELECT DISTINCT c.beneficiary_id AS id FROM card c JOIN attachment a ON a.parent_id = c.beneficiary_id
              WHERE c.serial % 10 = 0 AND (a.valid_to IS NULL OR a.valid_to > current_date) ORDER BY 1`,
          )
        ).rows.map((r) => r.id);
        // All in one call: the function is one statement over the holders given (migration DependantsRecordSetBased).
        await c.query('SELECT chip_dependants_refresh($1::uuid[])', [parents]);
        familySeconds = (performance.now() - familyStarted) / 1000;
        const withFamily = parents.length;
        const pendingCards = Math.floor(total / 10);
        ctx.log(
          `kiosk: ${withFamily} of ${pendingCards} pending cards (${((100 * withFamily) / Math.max(1, pendingCards)).toFixed(1)} %) carry their holder's children (dependants record, written in ${familySeconds.toFixed(1)} s)`,
        );
        await c.query('ANALYZE card_data_record, card_update_state, audit_entry');
      } finally {
        await c.end();
      }
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      ctx.log(`kiosk: seeded in ${seedSeconds.toFixed(1)} s`);

      const config = Object.assign(new AppConfig(), {
        logLevel: 'silent',
        dataDir,
        workersEnabled: false,
        cronsEnabled: false,
        sftpEnabled: false,
        seedReferenceData: false,
        rateLimitPerMinute: 100_000_000,
        dbPoolSize: poolSize,
        kioskUpToDateInMemory: inMemory === '1',
      });
      const app = await createApp(config, db.url, createLogger('silent'));
      const pool = new pg.Pool({ connectionString: db.url, max: poolSize });
      const bare = bareServer(pool);
      const sides = ['mix', 'bareMix', 'exchange', 'bareExchange'] as const;
      type Side = (typeof sides)[number];
      const results: Record<Side, LoadResult[]> = { mix: [], bareMix: [], exchange: [], bareExchange: [] };
      const loads: number[] = [];
      // CPU each side spends (cpu-time.ts): the server's thread (every server under test answers on this process's
      // main thread; the load runs in a worker) and the database backends (only the side under load is busy).
      const monitor = new pg.Client({ connectionString: db.url });
      const cpu = Object.fromEntries(
        sides.map((s) => [s, { server: 0, db: 0, requests: 0, exchanges: 0, known: true }]),
      ) as Record<Side, { server: number; db: number; requests: number; exchanges: number; known: boolean }>;
      const backendPids = async () =>
        (
          await monitor.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
          )
        ).rows.map((r) => r.pid);
      // The mix's checks answered from the instance's memory (UpToDateCards), read from the app's own metric.
      const fromMemory = async () =>
        (await app.get(MetricsService).registry.getSingleMetric('kiosk_checks_from_memory_total')?.get())?.values[0]
          ?.value ?? 0;
      let mixFromMemory = 0;
      let mixChecks = 0;
      const measured = async (side: Side, spec: LoadSpec): Promise<LoadResult> => {
        const hitsBefore = side === 'mix' ? await fromMemory() : 0;
        const dbBefore = processesCpuNs(await backendPids());
        const serverBefore = mainThreadCpuNs();
        const result = await runLoad(spec);
        const serverAfter = mainThreadCpuNs();
        const dbAfter = processesCpuNs(await backendPids());
        for (const pid of dbAfter.keys()) if (!dbBefore.has(pid)) dbBefore.set(pid, 0); // a pool growing during the round
        const k = cpu[side];
        if (serverBefore === undefined || serverAfter === undefined || dbAfter.size === 0) k.known = false;
        else {
          k.server += serverAfter - serverBefore;
          k.db += cpuNsBetween(dbBefore, dbAfter);
          k.requests += result.requests;
          k.exchanges += result.exchanges;
        }
        results[side].push(result);
        if (side === 'mix') {
          mixFromMemory += (await fromMemory()) - hitsBefore;
          mixChecks += result.checks;
        }
        return result;
      };
      const us = (ns: number, n: number) => round(ns / 1000 / Math.max(1, n), 1);
      // Confirmed exchanges move pending cards up to date: put them back between rounds, so every round sees 10 %.
      const resetPending = () => monitor.query(`UPDATE card SET data_version = 1 WHERE data_version <> 1`);
      try {
        await app.init();
        // The up-to-date cards are loaded in the background at start (checks read the database meanwhile).
        const loadStarted = performance.now();
        if (await app.get(UpToDateCards).whenReady())
          ctx.log(`kiosk: up-to-date cards in memory in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
        await monitor.connect();
        const partners = app.get(PartnersService);
        const kiosk = await partners.createPartner(systemActor(), { kind: PartnerKind.Kiosk, name: 'bench kiosk' });
        const key = (await partners.createApiKey(systemActor(), kiosk.id)).key;
        await app.listen({ port: 0, host: '127.0.0.1' });
        await bare.listen({ port: 0, host: '127.0.0.1' });
        const appUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
        const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;
        const checkBody = JSON.stringify({ serial: '{serial}', readVersion: 1, writeInProgress: false });
        const common = {
          connections,
          firstSerial: FIRST_SERIAL.toString(),
          cards: total,
          bodyTemplate: checkBody,
          mark: '"update_available"',
        };
        const exchange = (base: string, pendingOnly: boolean) => ({
          fetchPath: `${base}/fetch`,
          confirmPath: `${base}/confirm`,
          kioskId: kiosk.id,
          keys: pendingKeys,
          pendingOnly,
          openEvery,
        });
        const appHeaders = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        const bareHeaders = { 'content-type': 'application/json' };
        const spec: Record<Side, (seconds: number) => LoadSpec> = {
          mix: (seconds) => ({
            ...common,
            seconds,
            url: `${appUrl}/v2/kiosk/check`,
            headers: appHeaders,
            exchange: exchange('/v2/kiosk', false),
          }),
          bareMix: (seconds) => ({ ...common, seconds, url: `${bareUrl}/check`, headers: bareHeaders }),
          exchange: (seconds) => ({
            ...common,
            seconds,
            url: `${appUrl}/v2/kiosk/check`,
            headers: appHeaders,
            exchange: exchange('/v2/kiosk', true),
          }),
          bareExchange: (seconds) => ({
            ...common,
            seconds,
            url: `${bareUrl}/x/check`,
            headers: bareHeaders,
            exchange: exchange('/x', true),
          }),
        };
        // Warm-up (JIT, connections, prepared statements, caches), not counted; then the sides in turns, so a slower
        // or busier stretch of the machine weighs on all alike.
        for (const side of sides) {
          const warm = await runLoad(spec[side](1));
          if (warm.errors > 0)
            throw new Error(`kiosk: warm-up of ${side}: ${warm.errors} errors, first: ${warm.firstError}`);
        }
        await resetPending();
        const only = ctx.options.profile;
        if (only !== undefined) {
          // checks: the mix's checks alone (a pending card gets its challenge, and no fetch follows).
          const profiled: Record<string, [Side, () => LoadSpec]> = {
            mix: ['mix', () => spec.mix(duration)],
            exchange: ['exchange', () => spec.exchange(duration)],
            checks: ['mix', () => ({ ...spec.mix(duration), exchange: undefined })],
            bare: ['bareMix', () => spec.bareMix(duration)],
            'bare-exchange': ['bareExchange', () => spec.bareExchange(duration)],
          };
          if (!profiled[only]) throw new BenchOptionError(`--profile is one of ${Object.keys(profiled).join(', ')}`);
          ctx.log(`kiosk: profiling ${only} for ${duration} s`);
          const [side, make] = profiled[only];
          const r = await measured(side, make());
          const k = cpu[side];
          ctx.log(
            `kiosk: ${only}: ${Math.round(r.requests / r.seconds)} requests/s, ${Math.round(r.exchanges / r.seconds)} exchanges/s, ${r.errors} errors ${r.firstError ?? ''}`,
          );
          return {
            requests_per_s: Math.round(r.requests / r.seconds),
            exchanges_per_s: Math.round(r.exchanges / r.seconds),
            family_share: round(r.families / Math.max(1, r.exchanges), 3),
            server_cpu_us: us(k.server, k.requests),
            db_cpu_us: us(k.db, k.requests),
            ...(side === 'mix' ? { from_memory_share: round(mixFromMemory / Math.max(1, mixChecks), 3) } : {}),
            load_avg_1m: round(os.loadavg()[0], 1),
          };
        }
        const perRound = duration / rounds;
        for (let r = 1; r <= rounds; r++) {
          loads.push(os.loadavg()[0]);
          ctx.log(
            `kiosk: round ${r}/${rounds}: ${perRound} s each of the mix, the bare check, the exchanges, the bare exchange; ${connections} kiosks; load ${os.loadavg()[0].toFixed(1)}`,
          );
          await measured('mix', spec.mix(perRound));
          await resetPending();
          await measured('bareMix', spec.bareMix(perRound));
          await measured('exchange', spec.exchange(perRound));
          await resetPending();
          await measured('bareExchange', spec.bareExchange(perRound));
        }
      } finally {
        await monitor.end().catch(() => {});
        await app.close();
        await bare.close();
        await pool.end();
      }
      const mix = summarize(results.mix);
      const bareMix = summarize(results.bareMix);
      const ex = summarize(results.exchange);
      const bareEx = summarize(results.bareExchange);
      for (const [side, s] of [
        ['mix', mix],
        ['bare check', bareMix],
        ['exchanges', ex],
        ['bare exchange', bareEx],
      ] as const) {
        if (s.errors > 0) throw new Error(`kiosk: ${side}: ${s.errors} requests failed, first: ${s.firstError}`);
      }
      if (ex.exchanges === 0 || bareEx.exchanges === 0) throw new Error('kiosk: no exchange completed');
      ctx.log(
        `kiosk: mix ${Math.round(mix.perSecond)} requests/s p99 ${mix.p99.toFixed(1)} ms; bare ${Math.round(bareMix.perSecond)}/s p99 ${bareMix.p99.toFixed(1)} ms; ` +
          `exchanges ${Math.round(ex.exchangesPerSecond)}/s vs bare ${Math.round(bareEx.exchangesPerSecond)}/s`,
      );
      const cpuKnown = sides.every((s) => cpu[s].known);
      // CPU microseconds per request (mix) and per exchange (exchange path), each beside its baseline's.
      const cpuFigures: Record<string, number> = cpuKnown
        ? {
            server_cpu_us: us(cpu.mix.server, cpu.mix.requests),
            baseline_server_cpu_us: us(cpu.bareMix.server, cpu.bareMix.requests),
            db_cpu_us: us(cpu.mix.db, cpu.mix.requests),
            baseline_db_cpu_us: us(cpu.bareMix.db, cpu.bareMix.requests),
            exchange_server_cpu_us: us(cpu.exchange.server, cpu.exchange.exchanges),
            baseline_exchange_server_cpu_us: us(cpu.bareExchange.server, cpu.bareExchange.exchanges),
            exchange_db_cpu_us: us(cpu.exchange.db, cpu.exchange.exchanges),
            baseline_exchange_db_cpu_us: us(cpu.bareExchange.db, cpu.bareExchange.exchanges),
          }
        : {};
      return {
        cards: total,
        // The mix: every kiosk/2 request (check, fetch, confirm) per second, against the bare endpoint's requests/s.
        requests_per_s: Math.round(mix.perSecond),
        baseline_requests_per_s: Math.round(bareMix.perSecond),
        ratio: round(mix.perSecond / bareMix.perSecond, 3),
        checks_per_s: Math.round(mix.checksPerSecond),
        // The same bare rate under the runner's `baseline_<figure>` convention and the kiosk/1 bench's name.
        baseline_checks_per_s: Math.round(bareMix.perSecond),
        baseline_per_s: Math.round(bareMix.perSecond),
        ratio_checks_per_s: round(mix.checksPerSecond / bareMix.perSecond, 3),
        mix_exchanges_per_s: Math.round(mix.exchangesPerSecond),
        // The share of the mix's checks answered from memory (--in-memory 1: about the 90 % up to date).
        from_memory_share: round(mixFromMemory / Math.max(1, mixChecks), 3),
        p50_ms: round(mix.p50),
        baseline_p50_ms: round(bareMix.p50),
        p99_ms: round(mix.p99),
        baseline_p99_ms: round(bareMix.p99),
        ratio_p99_ms: round(mix.p99 / Math.max(0.001, bareMix.p99), 3),
        // The mix's p99 by route (what the tail is made of).
        check_p99_ms: round(mix.checkP99),
        fetch_p99_ms: round(mix.fetchP99),
        confirm_p99_ms: round(mix.confirmP99),
        pending_share: round(mix.marked / Math.max(1, mix.checks), 3),
        // The exchange path alone: complete check → fetch → confirm sequences per second, against the bare exchange.
        exchanges_per_s: Math.round(ex.exchangesPerSecond),
        baseline_exchanges_per_s: Math.round(bareEx.exchangesPerSecond),
        ratio_exchanges_per_s: round(ex.exchangesPerSecond / bareEx.exchangesPerSecond, 3),
        exchange_p99_ms: round(ex.exchangeP99),
        baseline_exchange_p99_ms: round(bareEx.exchangeP99),
        ratio_exchange_p99_ms: round(ex.exchangeP99 / Math.max(0.001, bareEx.exchangeP99), 3),
        records_opened: mix.opened + ex.opened + bareEx.opened,
        // The share of the product's exchanges whose records included the holder's children (`dependants`).
        family_share: round((mix.families + ex.families) / Math.max(1, mix.exchanges + ex.exchanges), 3),
        ...cpuFigures,
        load_avg_1m: round(loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length), 1),
        seed_s: round(seedSeconds, 1),
        seed_register_s: round(registerSeconds, 1),
        seed_keys_s: round(keysSeconds, 1),
        seed_families_s: round(familySeconds, 1),
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

/**
 * The baselines, bare Fastify on a pool of the same size, unnamed statements (as any first implementation would):
 *   POST /check      one primary-key SELECT of the card by serial (the mix's baseline, unchanged since kiosk/1);
 *   POST /x/check    the exchange's one SELECT: the card, its keys and its records newer than its version, by
 *                    serial; a 16-byte random challenge, remembered in memory with them (a single-instance server
 *                    needs no MAC and no second read);
 *   POST /x/fetch    one P-256 verify of the card's proof (proofMessage, the same fields), the card's records sealed
 *                    with sealRecords to its enc key (the same records the product sends, family record included);
 *   POST /x/confirm  one P-256 verify of the card's acknowledgement, one UPDATE of the card row.
 * Bodies and answers have the shapes of kiosk/2's, so the load generator drives both alike.
 */
function bareServer(pool: pg.Pool) {
  const bare = Fastify({ logger: false });
  type Records = Array<{ recordType: string; version: number; content: unknown }>;
  const challenges = new Map<string, { serial: string; id: string; auth: Buffer; enc: Buffer; records: Records }>();
  const exchanges = new Map<string, { serial: string; id: string; auth: Buffer }>();
  const refused = (reply: FastifyReply, code: string) => reply.code(403).send({ code });
  bare.post('/check', async (req) => {
    const { serial } = req.body as { serial: string };
    const { rows } = await pool.query('SELECT state, data_version FROM card WHERE serial = $1', [serial]);
    return rows[0] ?? null;
  });
  bare.post('/x/check', async (req, reply) => {
    const { serial } = req.body as { serial: string };
    const {
      rows: [card],
    } = await pool.query<{ id: string; auth_public_key: Buffer; enc_public_key: Buffer; records: Records | null }>(
      `SELECT c.id, k.auth_public_key, k.enc_public_key,
              (SELECT json_agg(json_build_object('recordType', r.record_type, 'version', r.version, 'content', r.content))
                 FROM card_data_record r WHERE r.card_id = c.id AND r.version > c.data_version) AS records
         FROM card c JOIN card_key k ON k.card_id = c.id WHERE c.serial = $1`,
      [serial],
    );
    if (!card) return reply.code(404).send({ code: 'CARD_NOT_FOUND' });
    const challenge = randomBytes(16).toString('base64url');
    challenges.set(challenge, {
      serial,
      id: card.id,
      auth: card.auth_public_key,
      enc: card.enc_public_key,
      records: card.records ?? [],
    });
    return { action: 'update_available', serial, challenge, kioskId: 'bare' };
  });
  bare.post('/x/fetch', async (req, reply) => {
    const b = req.body as {
      serial: string;
      challenge: string;
      readVersion: number;
      writeInProgress: boolean;
      proof: string;
    };
    const c = challenges.get(b.challenge);
    challenges.delete(b.challenge);
    if (!c || c.serial !== b.serial) return refused(reply, 'KIOSK_CHALLENGE_INVALID');
    const signed = proofMessage({
      challenge: b.challenge,
      serial: b.serial,
      readVersion: b.readVersion,
      writeInProgress: b.writeInProgress,
      kioskId: 'bare',
    });
    if (!verifyCardSignature(c.auth, signed, Buffer.from(b.proof, 'base64')))
      return refused(reply, 'KIOSK_PROOF_INVALID');
    const exchangeId = randomUUID();
    exchanges.set(exchangeId, { serial: c.serial, id: c.id, auth: c.auth });
    const sealed = sealRecords(c.enc, { serial: c.serial, exchangeId }, c.records);
    return {
      action: 'update',
      serial: c.serial,
      exchangeId,
      ephemeralKey: sealed.ephemeralKey,
      records: sealed.records,
    };
  });
  bare.post('/x/confirm', async (req, reply) => {
    const b = req.body as { exchangeId: string; serial: string; writtenRecords: string[]; cardAck: string };
    const e = exchanges.get(b.exchangeId);
    exchanges.delete(b.exchangeId);
    if (!e || e.serial !== b.serial) return reply.code(404).send({ code: 'KIOSK_EXCHANGE_NOT_FOUND' });
    if (
      !verifyCardSignature(
        e.auth,
        ackMessage({ exchangeId: b.exchangeId, serial: b.serial, writtenRecords: b.writtenRecords }),
        Buffer.from(b.cardAck, 'base64'),
      )
    ) {
      return refused(reply, 'KIOSK_ACK_INVALID');
    }
    await pool.query('UPDATE card SET version = version + 1 WHERE id = $1', [e.id]);
    return { result: 'updated', serial: b.serial };
  });
  return bare;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
