import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { AgentsService } from '../../src/console/agents/agents.service.js';
import { TOTP_STEP_SECONDS, totpAt } from '../../src/console/auth/totp.js';
import { InsightFiguresService } from '../../src/insight/insight-figures.service.js';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { cliActor, systemActor } from '../../src/platform/auth/actor.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

const FIRST_SERIAL = 100_000_000_001n;

/** RFC 4648 base32 (the TOTP secret as an agent receives it) to bytes. */
const fromBase32 = (s: string): Buffer => {
  let bits = '';
  for (const ch of s.replace(/=+$/, ''))
    bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch).toString(2).padStart(5, '0');
  return Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
};
const cookiesOf = (res: Response, into: Map<string, string>) => {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    into.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return [...into]
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
};
const csrfIn = (page: string): string => /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
const PEOPLE_PER_CARD = 1.3;

interface Sample {
  serial: string;
  beneficiaryId: string;
  nir: string;
  birthName: string;
  birthDate: string;
}

/**
 * The console's data on a large card base: p95 time of the JSON calls that serve the console's pages (dashboard,
 * search by serial, NIR and name, the insured's file), one fund agent's calls after another, on the real app over
 * HTTP. The console's HTML pages serving the same data are measured beside them in the same run by the page
 * engineers (slots marked `HTML SLOT` below and in docs/benchmarks.md, section "Benchmark console").
 */
export const consoleBench: Benchmark = {
  name: 'console',
  description: 'console data: p95 ms of the dashboard, search and insured-file JSON calls on a large card base',
  options: {
    cards: 'active cards on the synthetic register (default 1000000)',
    calls: 'calls of each kind measured (default 200)',
  },
  async run(ctx: BenchContext): Promise<Record<string, number>> {
    const cards = positiveIntOption(ctx, 'cards', 1_000_000);
    const calls = positiveIntOption(ctx, 'calls', 200);
    const db = await ctx.freshDatabase();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-console-'));
    chmodSync(dataDir, 0o755);
    try {
      const people = Math.ceil(cards * PEOPLE_PER_CARD);
      ctx.log(`console: ${people} beneficiaries with their families, ${cards} active cards`);
      await writeSynthetic(db.url, { count: people, seed: 11, families: true });
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      let organisme: string;
      let samples: Sample[];
      try {
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
        // The history a card base in service has, so each page reads real rows: one card in twenty went through a
        // request of the emission chain over the last 40 days (six steps, for the lead times), one in two hundred
        // has a request still open (some stuck), one in five was updated at a kiosk and has an audited state change,
        // one in a hundred an opposition.
        await c.query(
          `WITH r AS (
             INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, card_id, reminder_due_at,
                                       expires_at, status_changed_at, form_number_released_at)
             SELECT lpad((row_number() OVER ())::text, 8, '0'), beneficiary_id, organisme_code, 'first_card', 'completed', id,
                    now(), now(), now() - (serial % 40) * interval '1 day', now()
               FROM card WHERE serial % 20 = 3
             RETURNING id, status_changed_at AS done)
           INSERT INTO card_request_step (request_id, status, entered_at)
           SELECT r.id, s.status::request_status, r.done - s.before_done * interval '1 day'
             FROM r CROSS JOIN (VALUES ('form_sent', 6.5), ('photo_received', 4.4), ('photo_available', 4.0),
                                       ('ordered', 3.9), ('in_personalisation', 3.4), ('completed', 0)) s(status, before_done)`,
        );
        await c.query(
          `WITH r AS (
             INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, reminder_due_at, expires_at,
                                       status_changed_at)
             SELECT lpad((90000000 + row_number() OVER ())::text, 8, '0'), beneficiary_id, organisme_code, 'lost',
                    (ARRAY['form_sent', 'photo_available', 'ordered', 'in_personalisation'])[1 + serial % 4]::request_status,
                    now() + interval '15 days', now() + interval '45 days', now() - (serial % 97) * interval '1 hour'
               FROM card WHERE serial % 200 = 7
             RETURNING id, status, status_changed_at)
           INSERT INTO card_request_step (request_id, status, entered_at) SELECT id, status, status_changed_at FROM r`,
        );
        const partner = (
          await c.query<{ id: string }>(`INSERT INTO partner (kind, name) VALUES ('kiosk', 'bench kiosk') RETURNING id`)
        ).rows[0].id;
        await c.query(
          `INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records, status, created_at, finished_at)
           SELECT id, $1, 0, 1, ARRAY['coverage@1'], 'confirmed', t, t
             FROM (SELECT id, now() - (serial % 43200) * interval '1 minute' AS t FROM card WHERE serial % 5 = 1) x`,
          [partner],
        );
        await c.query(
          `INSERT INTO audit_entry (actor_partner_id, actor_kind, action, entity_type, entity_id, organisme_code, details)
           SELECT $1, 'kiosk', 'card.activated', 'card', id::text, organisme_code, '{"from":"shipped","to":"active"}'::jsonb
             FROM card WHERE serial % 5 = 1`,
          [partner],
        );
        await c.query(
          `INSERT INTO opposition_change (serial, op, reason, at) SELECT serial, 'add', 'lost', now() - interval '3 days'
             FROM card WHERE serial % 100 = 9`,
        );
        await c.query(`ANALYZE`);
        organisme = (
          await c.query<{ o: string }>(`SELECT organisme_code AS o FROM card GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)
        ).rows[0].o;
        samples = (
          await c.query<Sample>(
            `SELECT lpad(c.serial::text, 12, '0') AS serial, b.id AS "beneficiaryId", b.nir, b.birth_name AS "birthName",
                    to_char(b.birth_date, 'YYYY-MM-DD') AS "birthDate"
               FROM card c JOIN beneficiary b ON b.id = c.beneficiary_id
              WHERE c.organisme_code = $1 AND b.nir IS NOT NULL ORDER BY random() LIMIT $2`,
            [organisme, calls],
          )
        ).rows;
      } finally {
        await c.end();
      }
      const config = Object.assign(new AppConfig(), {
        logLevel: 'silent',
        dataDir,
        workersEnabled: false,
        cronsEnabled: false,
        sftpEnabled: false,
        seedReferenceData: false,
        rateLimitPerMinute: 100_000_000,
      });
      const app = await createApp(config, db.url, createLogger('silent'));
      try {
        const refreshStarted = performance.now();
        await app.get(InsightFiguresService).refresh();
        const refreshMs = performance.now() - refreshStarted;
        const partners = app.get(PartnersService);
        const fund = await partners.createPartner(systemActor(), {
          kind: PartnerKind.Fund,
          name: 'bench fund',
          organismeCode: organisme,
        });
        const key = (await partners.createApiKey(systemActor(), fund.id)).key;
        const operator = await partners.createPartner(systemActor(), {
          kind: PartnerKind.Operator,
          name: 'bench operator',
        });
        const operatorKey = (await partners.createApiKey(systemActor(), operator.id)).key;
        await app.listen({ port: 0, host: '127.0.0.1' });
        const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
        const call = async (method: 'GET' | 'POST', url: string, body?: unknown, as = key): Promise<number> => {
          const started = performance.now();
          const res = await fetch(base + url, {
            method,
            headers: { authorization: `Bearer ${as}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
          });
          await res.arrayBuffer();
          if (res.status !== 200)
            throw new Error(`console bench: ${method} ${url.split('/').slice(0, 3).join('/')} answered ${res.status}`);
          return performance.now() - started;
        };
        const p95 = async (each: (s: Sample) => Promise<number>): Promise<number> => {
          for (const s of samples.slice(0, 5)) await each(s); // warm-up: prepared plans, pool
          const times: number[] = [];
          for (const s of samples) times.push(await each(s));
          times.sort((a, b) => a - b);
          return Math.round(times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)] * 10) / 10;
        };
        ctx.log(`console: measuring ${samples.length} calls of each kind`);
        const result = {
          cards,
          calls: samples.length,
          figures_refresh_ms: Math.round(refreshMs),
          dashboard_api_p95_ms: await p95(() => call('GET', '/v1/dashboard')),
          dashboard_operator_api_p95_ms: await p95(() => call('GET', '/v1/dashboard', undefined, operatorKey)),
          search_serial_api_p95_ms: await p95((s) => call('GET', `/v1/search/cards/${s.serial}`)),
          search_nir_api_p95_ms: await p95((s) => call('POST', '/v1/search/insured/by-nir', { nir: s.nir })),
          search_name_api_p95_ms: await p95((s) =>
            call('POST', '/v1/search/insured/by-name', { name: s.birthName, birthDate: s.birthDate }),
          ),
          insured_file_api_p95_ms: await p95((s) => call('GET', `/v1/insured/${s.beneficiaryId}/file`)),
        };
        // The console's pages serving the same data, in the same run: an agent of the same fund signs in as a person
        // does (sign-in page, password and TOTP code), then each page is asked with its session cookie.
        const agents = app.get(AgentsService);
        const created = await agents.create(cliActor(), {
          partnerId: fund.id,
          login: 'bench.agent',
          displayName: 'Bench',
        });
        const password = 'bench console password';
        await agents.changePassword(
          { ...cliActor(), agentId: created.id },
          '00000000-0000-0000-0000-000000000000',
          created.oneTimePassword,
          password,
        );
        const jar = new Map<string, string>();
        const signInPage = await fetch(`${base}/console/connexion`);
        let cookie = cookiesOf(signInPage, jar);
        const signedIn = await fetch(`${base}/console/connexion`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            _csrf: csrfIn(await signInPage.text()),
            login: 'bench.agent',
            password,
            code: totpAt(
              fromBase32(created.totpSecret),
              Math.floor(Date.now() / 1000 / TOTP_STEP_SECONDS) * TOTP_STEP_SECONDS,
            ),
          }),
        });
        await signedIn.arrayBuffer();
        if (signedIn.status !== 303) throw new Error(`console bench: the agent's sign-in answered ${signedIn.status}`);
        cookie = cookiesOf(signedIn, jar);
        const home = await fetch(`${base}/console`, { headers: { cookie } });
        const csrf = csrfIn(await home.text());
        const page = async (method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<number> => {
          const started = performance.now();
          const res = await fetch(base + url, {
            method,
            redirect: 'manual',
            headers: { cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
            body: form ? new URLSearchParams({ _csrf: csrf, ...form }) : undefined,
          });
          await res.arrayBuffer();
          // The NIR search answers 303 to the insured's page (the NIR never goes in a URL).
          if (res.status !== 200 && res.status !== 303)
            throw new Error(`console bench: ${method} ${url.split('/').slice(0, 3).join('/')} answered ${res.status}`);
          return performance.now() - started;
        };
        const pages = {
          dashboard_page_p95_ms: await p95(() => page('GET', '/console')),
          search_page_p95_ms: await p95((s) => page('POST', '/console/recherche/nir', { nir: s.nir })),
          search_serial_page_p95_ms: await p95((s) => page('GET', `/console/recherche/carte?numero=${s.serial}`)),
          search_name_page_p95_ms: await p95((s) =>
            page('POST', '/console/recherche/nom', { name: s.birthName, birthDate: s.birthDate }),
          ),
          insured_page_p95_ms: await p95((s) => page('GET', `/console/assures/${s.beneficiaryId}`)),
        };
        // Each page beside the JSON call serving the same data (as its baseline: the table shows page / API).
        return {
          ...result,
          ...pages,
          baseline_dashboard_page_p95_ms: result.dashboard_api_p95_ms,
          baseline_search_page_p95_ms: result.search_nir_api_p95_ms,
          baseline_search_serial_page_p95_ms: result.search_serial_api_p95_ms,
          baseline_search_name_page_p95_ms: result.search_name_api_p95_ms,
          baseline_insured_page_p95_ms: result.insured_file_api_p95_ms,
        };
      } finally {
        await app.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  },
};
