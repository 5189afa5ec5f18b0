import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { CampaignsService } from '../src/campaigns/campaigns.service.js';
import { CardOrigin, CardState } from '../src/cards/card-state.enum.js';
import { RequestDeadlinesService } from '../src/emission/requests/request-deadlines.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { RegisterClock } from '../src/register/register-clock.js';
import { insertBeneficiary, insertCard, makeNir } from './support/factories.js';
import { startSecondInstance } from './support/opposition-instances.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const ORG_A = '017510001';
const ORG_B = '016910001';
const MSA = '020110001';
const DEFAULT_CHUNK = CampaignsService.chunkSize;

interface HolderOptions {
  organismeCode?: string;
  generation?: 1 | 2;
  state?: CardState;
  birthDate?: string;
  origin?: CardOrigin;
  awaitingReconciliation?: boolean;
  /** imported_card.last_updated_on (imported cards). */
  lastUpdatedOn?: string;
}

/** A holder and their card, straight into the database (the card-base import is another module's). */
async function holder(t: TestApp, o: HolderOptions = {}) {
  const organismeCode = o.organismeCode ?? ORG_A;
  const birthDate = o.birthDate ?? '1985-05-14';
  const b = await insertBeneficiary(t.dataSource, { organismeCode, birthDate, nir: makeNir(undefined, birthDate) });
  const card = await insertCard(t.dataSource, {
    beneficiaryId: b.id,
    organismeCode,
    state: o.state ?? CardState.Active,
  });
  const origin = o.origin ?? CardOrigin.Issued;
  await t.dataSource.query(
    `UPDATE card SET generation = $2, origin = $3, awaiting_reconciliation = $4, shipped_at = now() - interval '5 years' WHERE id = $1`,
    [card.id, o.generation ?? 1, origin, o.awaitingReconciliation ?? false],
  );
  if (origin === CardOrigin.Imported) {
    await t.dataSource.query(
      `INSERT INTO imported_card (card_id, issued_on, last_updated_on) VALUES ($1, '2012-01-01', $2)`,
      [card.id, o.lastUpdatedOn ?? null],
    );
  }
  return { beneficiaryId: b.id, cardId: card.id };
}

const cohort = (extra: Record<string, unknown> = {}) => ({ regimeCodes: ['01'], generation: 1, minAge: 16, ...extra });

async function createCampaign(t: TestApp, body: Record<string, unknown>) {
  const res = await t.http().post('/v1/campaigns').set(bearer(t.operatorKey)).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; cohortSize: number; status: string };
}

const act = (t: TestApp, id: string, action: string, key = t.operatorKey) =>
  t.http().post(`/v1/campaigns/${id}/${action}`).set(bearer(key)).send();

const runWaves = async (t: TestApp) => {
  const res = await t.http().post('/v1/campaigns/run-waves').set(bearer(t.operatorKey)).send();
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { campaigns: number; sent: number; skipped: number };
};

async function members(t: TestApp, campaignId: string) {
  return t.dataSource.query(
    `SELECT beneficiary_id, outcome::text, request_id FROM campaign_member WHERE campaign_id = $1 ORDER BY beneficiary_id`,
    [campaignId],
  ) as Promise<Array<{ beneficiary_id: string; outcome: string; request_id: string | null }>>;
}

async function campaignRequests(t: TestApp, campaignId: string) {
  return t.dataSource.query(
    `SELECT id, beneficiary_id, organisme_code, origin, replaced_card_id, status::text FROM card_request WHERE campaign_id = $1`,
    [campaignId],
  ) as Promise<
    Array<{
      id: string;
      beneficiary_id: string;
      organisme_code: string;
      origin: string;
      replaced_card_id: string;
      status: string;
    }>
  >;
}

/** Each test its own database: the day's capacity and the card base are the test's alone. */
async function fresh(capacity = 3): Promise<TestApp> {
  return startTestApp({ workersEnabled: false, campaignDailyCapacity: capacity });
}

describe('renewal campaigns', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    CampaignsService.chunkSize = DEFAULT_CHUNK;
    await t?.close();
    t = undefined;
  });

  it('a dry run sizes the cohort, per regime, and changes nothing; the definition is checked strictly', async () => {
    t = await fresh(2);
    const app = t;
    await holder(app); // in: usable, without photo, adult, regime 01
    await holder(app, { state: CardState.Shipped, organismeCode: ORG_B }); // in: shipped is usable too
    await holder(app, { generation: 2 }); // out: with photo
    await holder(app, { birthDate: '2016-03-01' }); // out: under 16
    await holder(app, { state: CardState.Opposed }); // out: not usable
    await holder(app, { organismeCode: MSA }); // out of regime 01, in regime 02
    await holder(app, { origin: CardOrigin.Imported, awaitingReconciliation: true }); // out: not reconciled yet
    await holder(app, { origin: CardOrigin.Imported, lastUpdatedOn: '2015-06-01' }); // in (imported, old update)
    await holder(app, { origin: CardOrigin.Imported, lastUpdatedOn: new Date().toISOString().slice(0, 10) }); // in, recent

    const counts = () =>
      app.dataSource.query(
        `SELECT (SELECT count(*) FROM campaign)::int AS campaigns, (SELECT count(*) FROM card_request)::int AS requests,
                (SELECT count(*) FROM fund_event)::int AS events, (SELECT count(*) FROM audit_entry)::int AS audit,
                (SELECT count(*) FROM campaign_wave)::int AS waves, (SELECT count(*) FROM campaign_capacity_day)::int AS days`,
      );
    const fund = await app.partner(PartnerKind.Fund, ORG_A);
    const before = await counts();
    const dry = (body: object, key = app.operatorKey) =>
      app.http().post('/v1/campaigns/dry-run').set(bearer(key)).send(body);

    const res = await dry({ cohort: cohort({ regimeCodes: ['01', '02'] }) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      holders: 5,
      perRegime: [
        { regimeCode: '01', holders: 4 },
        { regimeCode: '02', holders: 1 },
      ],
      daysAtCapacity: 3,
    });
    expect((await dry({ cohort: cohort() })).body.holders).toBe(4);
    expect((await dry({ cohort: cohort({ organismeCodes: [ORG_B] }) })).body.holders).toBe(1);
    expect((await dry({ cohort: cohort({ fundCodes: ['01751'] }) })).body.holders).toBe(3);
    expect((await dry({ cohort: cohort({ origin: 'imported' }) })).body.holders).toBe(2);
    // Not updated for 24 months (any generation, any age): the old imported card (2015) and the four issued usable cards
    // of regime 01 shipped 5 years ago, not the imported card updated today.
    expect((await dry({ cohort: { regimeCodes: ['01'], notUpdatedForMonths: 24 } })).body.holders).toBe(5);
    expect(
      (await dry({ cohort: { regimeCodes: ['01'], notUpdatedForMonths: 24, origin: 'imported' } })).body.holders,
    ).toBe(1);

    // Strict definition: each refusal a problem document with its code, and still nothing changed.
    const refused = async (body: object, status: number, code: string) => {
      const r = await dry(body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.body.code).toBe(code);
      return r.body;
    };
    await refused({}, 400, 'VALIDATION_FAILED'); // no cohort: was a 500
    await refused({ cohort: 'all' }, 400, 'VALIDATION_FAILED');
    await refused({ cohort: cohort({ generation: 3 }) }, 400, 'VALIDATION_FAILED');
    await refused({ cohort: cohort({ regimeCodes: [] }) }, 400, 'VALIDATION_FAILED');
    await refused({ cohort: cohort({ regimeCodes: ['1'] }) }, 400, 'VALIDATION_FAILED');
    await refused({ cohort: cohort({ minAge: -1 }) }, 400, 'VALIDATION_FAILED');
    await refused({ cohort: cohort({ everyone: true }) }, 400, 'VALIDATION_FAILED');
    await refused({ cohort: { regimeCodes: ['01'], minAge: 16 } }, 422, 'CAMPAIGN_COHORT_UNBOUNDED');
    expect(
      (await refused({ cohort: cohort({ regimeCodes: ['01', '98'] }) }, 422, 'CAMPAIGN_REGIME_UNKNOWN')).unknown,
    ).toBe(1);
    await refused({ cohort: cohort({ organismeCodes: [MSA] }) }, 422, 'CAMPAIGN_SCOPE_OUTSIDE_REGIMES');
    await refused({ cohort: cohort({ fundCodes: ['99999'] }) }, 422, 'CAMPAIGN_SCOPE_OUTSIDE_REGIMES');
    expect((await dry({ cohort: cohort() }, fund.key)).status).toBe(403);
    expect(await counts()).toEqual(before);
  });

  it('sends waves capped by the day capacity: one wave a day, the rest on the next days', async () => {
    t = await fresh(3);
    const app = t;
    const holders = [];
    for (let i = 0; i < 5; i++) holders.push(await holder(app));
    const c = await createCampaign(app, { name: 'Sans photo', cohort: cohort() });
    expect(c).toMatchObject({ status: 'ready', cohortSize: 5 });
    expect((await runWaves(app)).sent).toBe(0); // not started: no wave
    expect((await act(app, c.id, 'start')).body.status).toBe('running');

    expect(await runWaves(app)).toEqual({ campaigns: 1, sent: 3, skipped: 0 });
    expect(await runWaves(app)).toEqual({ campaigns: 1, sent: 0, skipped: 0 }); // same day: the wave was sent
    const reqs = await campaignRequests(app, c.id);
    expect(reqs).toHaveLength(3);
    for (const r of reqs) {
      expect(r).toMatchObject({ origin: 'campaign', organisme_code: ORG_A, status: 'form_sent' });
      expect(r.replaced_card_id).toBe(holders.find((h) => h.beneficiaryId === r.beneficiary_id)!.cardId);
    }
    // The fund hears of each form as of any request, and the request names its campaign.
    const [{ n }] = await app.dataSource.query(
      `SELECT count(*)::int AS n FROM fund_event WHERE type = 'request.form_sent' AND organisme_code = $1`,
      [ORG_A],
    );
    expect(n).toBe(3);
    const one = await app.http().get(`/v1/card-requests/${reqs[0].id}`).set(bearer(app.operatorKey));
    expect(one.body).toMatchObject({ origin: 'campaign', campaignId: c.id });

    // Tomorrow: a new wave, the last two holders, then the cohort is done.
    const clock = app.app.get(RegisterClock);
    // The day after the product's own today (the Paris day): a UTC "tomorrow" is the same day from midnight to 1 a.m.
    const tomorrow = new Date(Date.parse(`${clock.today()}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    clock.today = () => tomorrow;
    expect(await runWaves(app)).toEqual({ campaigns: 1, sent: 2, skipped: 0 });
    expect((await runWaves(app)).campaigns).toBe(0);
    const view = await app.http().get(`/v1/campaigns/${c.id}`).set(bearer(app.operatorKey));
    expect(view.body).toMatchObject({ status: 'completed', sent: 5, skipped: 0 });
    const waves = await app.http().get(`/v1/campaigns/${c.id}/waves`).set(bearer(app.operatorKey));
    expect(
      waves.body.items.map((w: { planned: number; sent: number; status: string }) => [w.planned, w.sent, w.status]),
    ).toEqual([
      [3, 3, 'done'],
      [3, 2, 'done'],
    ]);
    // The unsent share of the last wave went back to its day.
    const days = await app.dataSource.query(
      `SELECT day::text, capacity, planned FROM campaign_capacity_day ORDER BY day`,
    );
    expect(days.map((d: { planned: number }) => d.planned)).toEqual([3, 2]);
  });

  it("campaigns share the day's capacity: each wave takes its share, up to the campaign's own daily limit", async () => {
    t = await fresh(5);
    const app = t;
    for (let i = 0; i < 4; i++) await holder(app, { organismeCode: ORG_A });
    for (let i = 0; i < 4; i++) await holder(app, { organismeCode: ORG_B });
    const first = await createCampaign(app, { name: 'A', cohort: cohort({ organismeCodes: [ORG_A] }), dailyLimit: 2 });
    const second = await createCampaign(app, { name: 'B', cohort: cohort({ organismeCodes: [ORG_B] }) });
    await act(app, first.id, 'start');
    await act(app, second.id, 'start');
    expect(await runWaves(app)).toEqual({ campaigns: 2, sent: 5, skipped: 0 });
    const planned = async (id: string) =>
      (await app.http().get(`/v1/campaigns/${id}/waves`).set(bearer(app.operatorKey))).body.items.map(
        (w: { planned: number; sent: number }) => [w.planned, w.sent],
      );
    expect(await planned(first.id)).toEqual([[2, 2]]);
    expect(await planned(second.id)).toEqual([[3, 3]]);
    expect(await app.dataSource.query(`SELECT capacity, planned FROM campaign_capacity_day`)).toEqual([
      { capacity: 5, planned: 5 },
    ]);
  });

  it('a pause arriving while a run is under way stops the wave at the next chunk', async () => {
    t = await fresh(5);
    const app = t;
    for (let i = 0; i < 5; i++) await holder(app);
    const c = await createCampaign(app, { name: 'Pause en cours', cohort: cohort() });
    await act(app, c.id, 'start');
    CampaignsService.chunkSize = 1;
    const service = app.app.get(CampaignsService);
    expect((await service.runWaves({ maxChunks: 1 })).sent).toBe(1);
    // Another session holds the campaign row; the run starts, finds the campaign running, then waits on that row.
    const other = new pg.Client(app.url);
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT 1 FROM campaign WHERE id = $1 FOR UPDATE`, [c.id]);
      const running = service.runWaves();
      for (let i = 0; ; i++) {
        const [{ n }] = await app.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (n > 0) break;
        if (i > 200) throw new Error('the run never waited on the campaign row');
        await new Promise((r) => setTimeout(r, 25));
      }
      await other.query(`UPDATE campaign SET status = 'paused' WHERE id = $1`, [c.id]);
      await other.query('COMMIT');
      expect((await running).sent).toBe(0);
    } finally {
      await other.end();
    }
    expect(await members(app, c.id)).toHaveLength(1);
    await act(app, c.id, 'resume');
    expect((await runWaves(app)).sent).toBe(4);
    expect(await campaignRequests(app, c.id)).toHaveLength(5);
  });

  it('two instances running the same wave at once send it once', async () => {
    t = await fresh(4);
    const app = t;
    for (let i = 0; i < 7; i++) await holder(app);
    const c = await createCampaign(app, { name: 'Deux instances', cohort: cohort() });
    await act(app, c.id, 'start');
    CampaignsService.chunkSize = 1;
    let second: NestFastifyApplication | undefined;
    try {
      second = await startSecondInstance(app.url, app.config);
      const runs = await Promise.all([
        app.app.get(CampaignsService).runWaves(),
        second.get(CampaignsService).runWaves(),
        app.app.get(CampaignsService).runWaves(),
        second.get(CampaignsService).runWaves(),
      ]);
      expect(runs.reduce((a, r) => a + r.sent, 0)).toBe(4);
    } finally {
      await second?.close();
    }
    const m = await members(app, c.id);
    expect(m).toHaveLength(4);
    expect(new Set(m.map((x) => x.beneficiary_id)).size).toBe(4);
    expect(await campaignRequests(app, c.id)).toHaveLength(4);
    expect(
      await app.dataSource.query(`SELECT planned, sent FROM campaign_wave WHERE campaign_id = $1`, [c.id]),
    ).toEqual([{ planned: 4, sent: 4 }]);
    // The database is what holds it: a second wave the same day, or a holder twice, is refused.
    await expect(
      app.dataSource.query(
        `INSERT INTO campaign_wave (campaign_id, wave_day, planned) SELECT campaign_id, wave_day, 0 FROM campaign_wave`,
      ),
    ).rejects.toThrow(/campaign_wave_once_a_day/);
    await expect(
      app.dataSource.query(
        `INSERT INTO campaign_member (campaign_id, beneficiary_id, wave_id, card_id, organisme_code, outcome, request_id)
         SELECT campaign_id, beneficiary_id, wave_id, card_id, organisme_code, outcome, request_id FROM campaign_member LIMIT 1`,
      ),
    ).rejects.toThrow(/PK_campaign_member/);
    await expect(app.dataSource.query(`UPDATE campaign_capacity_day SET planned = capacity + 1`)).rejects.toThrow(
      /campaign_capacity_day_within/,
    );
  });

  it('a campaign paused mid-wave and resumed reaches every holder once, skipping those with an open request', async () => {
    t = await fresh(6);
    const app = t;
    const holders = [];
    for (let i = 0; i < 6; i++) holders.push(await holder(app));
    // One holder already has a request open (a fund's): left alone, counted.
    const busy = holders[3];
    const fund = await app.partner(PartnerKind.Fund, ORG_A);
    const open = await app
      .http()
      .post('/v1/card-requests')
      .set(bearer(fund.key))
      .send({ beneficiaryId: busy.beneficiaryId, reason: 'damaged' });
    expect(open.status, JSON.stringify(open.body)).toBe(201);

    const c = await createCampaign(app, { name: 'Pause', cohort: cohort() });
    await act(app, c.id, 'start');
    CampaignsService.chunkSize = 2;
    const service = app.app.get(CampaignsService);
    const first = await service.runWaves({ maxChunks: 1 }); // mid-wave: one chunk of three
    expect(first.sent + first.skipped).toBe(2);
    expect((await act(app, c.id, 'pause')).body.status).toBe('paused');
    expect(await runWaves(app)).toEqual({ campaigns: 0, sent: 0, skipped: 0 });
    const conflict = await act(app, c.id, 'start');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      code: 'CAMPAIGN_STATE_CONFLICT',
      campaignStatus: 'paused',
      allowedFrom: ['ready'],
    });
    expect((await members(app, c.id)).length).toBe(2);

    expect((await act(app, c.id, 'resume')).body.status).toBe('running');
    const rest = await runWaves(app);
    expect(rest.campaigns).toBe(1);
    expect([first.sent + rest.sent, first.skipped + rest.skipped]).toEqual([5, 1]);
    const m = await members(app, c.id);
    expect(m.map((x) => x.beneficiary_id)).toEqual(holders.map((h) => h.beneficiaryId).sort());
    expect(m.find((x) => x.beneficiary_id === busy.beneficiaryId)).toMatchObject({
      outcome: 'skipped_open_request',
      request_id: null,
    });
    const reqs = await campaignRequests(app, c.id);
    expect(reqs).toHaveLength(5);
    expect(new Set(reqs.map((r) => r.beneficiary_id)).size).toBe(5);
    const view = await app.http().get(`/v1/campaigns/${c.id}`).set(bearer(app.operatorKey));
    expect(view.body).toMatchObject({ status: 'completed', sent: 5, skipped: 1, cohortSize: 6 });
  });

  it('cancel stops the campaign for good, gives the day its unsent share back; the database refuses any other move', async () => {
    t = await fresh(4);
    const app = t;
    for (let i = 0; i < 6; i++) await holder(app);
    const c = await createCampaign(app, { name: 'Annulée', cohort: cohort() });
    await act(app, c.id, 'start');
    CampaignsService.chunkSize = 1;
    await app.app.get(CampaignsService).runWaves({ maxChunks: 1 });
    const cancelled = await act(app, c.id, 'cancel');
    expect(cancelled.body.status).toBe('cancelled');
    expect(await runWaves(app)).toEqual({ campaigns: 0, sent: 0, skipped: 0 });
    for (const action of ['cancel', 'resume', 'pause', 'start']) {
      const r = await act(app, c.id, action);
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('CAMPAIGN_STATE_CONFLICT');
    }
    const missing = await act(app, '00000000-0000-4000-8000-000000000000', 'cancel');
    expect([missing.status, missing.body.code]).toEqual([404, 'CAMPAIGN_NOT_FOUND']);
    expect(await app.dataSource.query(`SELECT planned FROM campaign_capacity_day`)).toEqual([{ planned: 1 }]);
    expect(await app.dataSource.query(`SELECT status::text FROM campaign_wave WHERE campaign_id = $1`, [c.id])).toEqual(
      [{ status: 'done' }],
    );
    // The forms already sent follow their course.
    expect((await campaignRequests(app, c.id)).map((r) => r.status)).toEqual(['form_sent']);
    await expect(app.dataSource.query(`UPDATE campaign SET status = 'running' WHERE id = $1`, [c.id])).rejects.toThrow(
      /cannot move from cancelled to running/,
    );
  });

  it("the funnel follows the requests; a fund sees its own insured's numbers only", async () => {
    t = await fresh(10);
    const app = t;
    for (let i = 0; i < 4; i++) await holder(app, { organismeCode: ORG_A });
    for (let i = 0; i < 2; i++) await holder(app, { organismeCode: ORG_B });
    const c = await createCampaign(app, { name: 'Entonnoir', cohort: cohort() });
    await act(app, c.id, 'start');
    await runWaves(app);
    const reqs = (await campaignRequests(app, c.id)).filter((r) => r.organisme_code === ORG_A);
    const [a, b, d] = reqs;
    const photo = (requestId: string, status: string) =>
      app.dataSource.query(
        `INSERT INTO photo (request_id, source, status, original_key, sha256, byte_size) VALUES ($1, 'digitisation_centre', $2, 'k', repeat('0', 64), 1)`,
        [requestId, status],
      );
    // a: a photo refused, then one accepted, and its new card is active.
    await photo(a.id, 'rejected');
    await photo(a.id, 'accepted');
    const [{ beneficiary_id }] = await app.dataSource.query(`SELECT beneficiary_id FROM card_request WHERE id = $1`, [
      a.id,
    ]);
    await app.dataSource.query(
      `UPDATE card SET state = 'opposed', opposition_reason = 'replaced', previous_state = 'active' WHERE beneficiary_id = $1`,
      [beneficiary_id],
    );
    const card = await insertCard(app.dataSource, { beneficiaryId: beneficiary_id, state: CardState.Active });
    await app.dataSource.query(`UPDATE card_request SET status = 'completed', card_id = $2 WHERE id = $1`, [
      a.id,
      card.id,
    ]);
    // b: a photo received, refused, nothing since. d: never answered, expires through the deadlines job.
    await photo(b.id, 'rejected');
    await app.dataSource.query(`UPDATE card_request SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
      d.id,
    ]);
    await app.app.get(RequestDeadlinesService).run();

    const funnel = async (key: string) => {
      const res = await app.http().get(`/v1/campaigns/${c.id}/funnel`).set(bearer(key));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    expect(await funnel(app.operatorKey)).toEqual({
      campaignId: c.id,
      organismeCode: null,
      formsSent: 6,
      answered: 2,
      photosRefused: 2,
      cardsActive: 1,
      unanswered: 1,
      skipped: 0,
    });
    const fundA = await app.partner(PartnerKind.Fund, ORG_A);
    const fundB = await app.partner(PartnerKind.Fund, ORG_B);
    const other = await app.partner(PartnerKind.Fund, MSA);
    expect(await funnel(fundA.key)).toMatchObject({
      organismeCode: ORG_A,
      formsSent: 4,
      answered: 2,
      cardsActive: 1,
      unanswered: 1,
    });
    expect(await funnel(fundB.key)).toMatchObject({
      organismeCode: ORG_B,
      formsSent: 2,
      answered: 0,
      photosRefused: 0,
      unanswered: 0,
    });
    expect(await funnel(other.key)).toMatchObject({ formsSent: 0, answered: 0, cardsActive: 0, unanswered: 0 });
    // Funds read the funnel only: the campaign itself, its waves and its moves are the operators'.
    expect((await app.http().get(`/v1/campaigns/${c.id}`).set(bearer(fundA.key))).status).toBe(403);
    expect((await act(app, c.id, 'pause', fundA.key)).status).toBe(403);
  });
});

describe('renewal campaigns: list', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists campaigns newest first, by pages', async () => {
    for (const name of ['un', 'deux', 'trois']) await createCampaign(t, { name, cohort: cohort() });
    const p1 = await t.http().get('/v1/campaigns?limit=2').set(bearer(t.operatorKey));
    expect(p1.body.items.map((c: { name: string }) => c.name)).toEqual(['trois', 'deux']);
    const p2 = await t.http().get(`/v1/campaigns?limit=2&after=${p1.body.next}`).set(bearer(t.operatorKey));
    expect(p2.body).toMatchObject({ items: [{ name: 'un' }], next: null });
  });
});
