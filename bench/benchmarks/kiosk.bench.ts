import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
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
    seconds: 'load duration of each side (default 15)',
    connections: 'concurrent HTTP requests (default 32)',
  },
  async run(ctx: BenchContext) {
    const cards = positiveIntOption(ctx, 'cards', 1_000_000);
    const duration = positiveIntOption(ctx, 'seconds', 15);
    const connections = positiveIntOption(ctx, 'connections', 32);
    const db = await ctx.freshDatabase();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-kiosk-'));
    chmodSync(dataDir, 0o755);
    try {
      ctx.log(`kiosk: ${cards} beneficiaries and active cards`);
      await writeSynthetic(db.url, { count: cards, seed: 7 });
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        await c.query(`INSERT INTO card (beneficiary_id, organisme_code, state, serial, data_version)
                       SELECT b.id, a.organisme_code, 'active', $1::bigint + row_number() OVER (ORDER BY b.id) - 1, 1
                         FROM beneficiary b JOIN affiliation a ON a.beneficiary_id = b.id AND a.valid_to IS NULL`, [FIRST_SERIAL.toString()]);
        // 10 % of the cards have one record written by their fund and not yet on the chip.
        await c.query(`INSERT INTO card_data_record (card_id, record_type, content, version)
                       SELECT id, 'coverage', '[{"aldDigit": 4, "situation": "0300"}]'::jsonb, 2 FROM card WHERE serial % 10 = 0`);
        await c.query(`INSERT INTO card_update_state (card_id, target_version) SELECT id, 2 FROM card WHERE serial % 10 = 0`);
        await c.query('ANALYZE');
      } finally {
        await c.end();
      }
      const total = Number((await count(db.url)));

      const config = Object.assign(new AppConfig(), {
        logLevel: 'silent', dataDir, workersEnabled: false, cronsEnabled: false, sftpEnabled: false, seedReferenceData: false,
        rateLimitPerMinute: 100_000_000, dbPoolSize: 20,
      });
      const app = await createApp(config, db.url, createLogger('silent'));
      await app.init();
      const partners = app.get(PartnersService);
      const kiosk = await partners.createPartner(systemActor(), { kind: PartnerKind.Kiosk, name: 'bench kiosk' });
      const key = (await partners.createApiKey(systemActor(), kiosk.id)).key;
      await app.listen({ port: 0, host: '127.0.0.1' });
      const appPort = (app.getHttpServer().address() as { port: number }).port;
      let checks: LoadResult;
      try {
        ctx.log(`kiosk: ${duration} s of checks on the app, ${connections} at once`);
        checks = await load(`http://127.0.0.1:${appPort}/v1/kiosk/check`, duration, connections, total, (serial) => ({
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ serial, readVersion: 1, writeInProgress: false }),
        }));
      } finally {
        await app.close();
      }

      const pool = new pg.Pool({ connectionString: db.url, max: 20 });
      const bare = Fastify({ logger: false });
      bare.post('/check', async (req) => {
        const { serial } = req.body as { serial: string };
        const { rows } = await pool.query('SELECT state, data_version FROM card WHERE serial = $1', [serial]);
        return rows[0] ?? null;
      });
      await bare.listen({ port: 0, host: '127.0.0.1' });
      let baseline: LoadResult;
      try {
        ctx.log(`kiosk: ${duration} s on the bare Fastify primary-key SELECT`);
        baseline = await load(`http://127.0.0.1:${(bare.server.address() as { port: number }).port}/check`, duration, connections, total, (serial) => ({
          headers: { 'content-type': 'application/json' }, body: JSON.stringify({ serial }),
        }));
      } finally {
        await bare.close();
        await pool.end();
      }
      if (checks.errors > 0) throw new Error(`kiosk: ${checks.errors} checks failed`);
      ctx.log(`kiosk: app ${Math.round(checks.perSecond)}/s p99 ${checks.p99.toFixed(1)} ms; bare ${Math.round(baseline.perSecond)}/s`);
      return {
        cards: total,
        checks_per_s: Math.round(checks.perSecond),
        p50_ms: round(checks.p50),
        p99_ms: round(checks.p99),
        baseline_per_s: Math.round(baseline.perSecond),
        baseline_p99_ms: round(baseline.p99),
        ratio: round(checks.perSecond / baseline.perSecond, 3),
        pending_share: round(checks.pending / Math.max(1, checks.requests), 3),
        connections,
      };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  },
};

interface LoadResult { requests: number; errors: number; pending: number; perSecond: number; p50: number; p99: number }

async function count(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM card')).rows[0].n);
  } finally {
    await c.end();
  }
}

/** Keeps `connections` requests in flight for `seconds` over kept-alive sockets, each on a random card; latencies in ms. */
async function load(url: string, seconds: number, connections: number, cards: number,
  request: (serial: string) => { headers: Record<string, string>; body: string }): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  let pending = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const once = (headers: Record<string, string>, body: string) => new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const worker = async () => {
    while (performance.now() < end) {
      const serial = (FIRST_SERIAL + BigInt(Math.floor(Math.random() * cards))).toString().padStart(12, '0');
      const { headers, body } = request(serial);
      const t0 = performance.now();
      const res = await once(headers, body);
      latencies.push(performance.now() - t0);
      if (res.status < 200 || res.status >= 300) errors++;
      else if (res.text.includes('"action":"update"')) pending++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, pending, perSecond: latencies.length / elapsed, p50: pct(0.5), p99: pct(0.99) };
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
