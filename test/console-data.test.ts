import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { InsightFiguresService } from '../src/insight/insight-figures.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { insertBeneficiary, insertCard } from './support/factories.js';
import { insertPhoto, insertRequest, insertStep } from './support/event-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const MINE = '017510001';
const OTHER = '015910001';

describe('console data (dashboard, search, insured file, photo review, business metrics)', () => {
  let t: TestApp;
  let fundKey: string;
  let otherKey: string;
  let mine: Awaited<ReturnType<typeof insertBeneficiary>>;
  let theirs: Awaited<ReturnType<typeof insertBeneficiary>>;
  let theirSerial: string;

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    fundKey = (await t.partner(PartnerKind.Fund, MINE)).key;
    otherKey = (await t.partner(PartnerKind.Fund, OTHER)).key;
    mine = await insertBeneficiary(t.dataSource, {
      organismeCode: MINE,
      birthName: 'LEFEBVRE',
      birthDate: '1971-03-09',
    });
    theirs = await insertBeneficiary(t.dataSource, {
      organismeCode: OTHER,
      birthName: 'LEFEBVRE',
      birthDate: '1971-03-09',
    });
    const card = await insertCard(t.dataSource, {
      beneficiaryId: mine.id,
      organismeCode: MINE,
      state: CardState.Active,
    });
    // A history for the timeline: a state change (audit trail), then an opposition, then a request's step.
    await t.dataSource.query(
      `INSERT INTO audit_entry (at, actor_kind, action, entity_type, entity_id, organisme_code, details)
       VALUES (now() - interval '3 days', 'system', 'card.activated', 'card', $1, $2, '{"from":"shipped","to":"active"}')`,
      [card.id, MINE],
    );
    await t.dataSource.query(
      `INSERT INTO opposition_change (serial, op, reason, at) VALUES ($1, 'add', 'lost', now() - interval '2 days')`,
      [card.serial],
    );
    await insertRequest(t.dataSource, {
      organismeCode: MINE,
      beneficiaryId: mine.id,
      status: RequestStatus.Completed,
      idleHours: 24,
    });
    theirSerial = (
      await insertCard(t.dataSource, { beneficiaryId: theirs.id, organismeCode: OTHER, state: CardState.Opposed })
    ).serial;
    await insertRequest(t.dataSource, { organismeCode: OTHER, status: RequestStatus.FormSent, idleHours: 500 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const reads = async (id: string) =>
    (
      (await t.dataSource.query(`SELECT action, details FROM audit_entry WHERE entity_id = $1 ORDER BY id`, [
        id,
      ])) as Array<{
        action: string;
        details: Record<string, unknown>;
      }>
    ).map((r) => `${r.action}:${String(r.details.by ?? '')}`);

  it('dashboard: a fund counts only its own organisme (not even the count of another fund), an operator every one', async () => {
    // A request of this fund whose form came back with its photo in 1 day, reaching photo_available a minute ago.
    const lead = await insertRequest(t.dataSource, { organismeCode: MINE, status: RequestStatus.FormSent });
    await t.dataSource.query(
      `UPDATE card_request_step SET entered_at = now() - interval '1 day 1 minute' WHERE request_id = $1`,
      [lead.id],
    );
    await insertStep(t.dataSource, lead.id, RequestStatus.PhotoAvailable, 1 / 60);
    // Another, whose photo became available yesterday at 00:30 in Paris (the day before in UTC): its day is Paris's.
    const early = await insertRequest(t.dataSource, { organismeCode: MINE, status: RequestStatus.FormSent });
    await insertStep(t.dataSource, early.id, RequestStatus.PhotoAvailable, 0);
    await t.dataSource.query(
      `WITH at AS (SELECT ((paris_today() - 1)::timestamp + interval '30 minutes') AT TIME ZONE 'Europe/Paris' AS t)
       UPDATE card_request_step SET entered_at = CASE status WHEN 'photo_available' THEN at.t ELSE at.t - interval '2 days' END
         FROM at WHERE request_id = $1`,
      [early.id],
    );
    const [{ yesterday }] = await t.dataSource.query(`SELECT to_char(paris_today() - 1, 'YYYY-MM-DD') AS yesterday`);
    // Kiosk updates an hour ago: two of this fund's card, one of the other fund's (counted by the minute's job).
    const kiosk = await t.partner(PartnerKind.Kiosk);
    for (const [where, value] of [
      ['c.beneficiary_id = $2::uuid', mine.id],
      ['c.serial = $2::bigint', theirSerial],
    ])
      await t.dataSource.query(
        `INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records, status, created_at, finished_at)
         SELECT c.id, $1, 0, 1, ARRAY['coverage@1'], 'confirmed', now() - interval '1 hour', now() - interval '1 hour'
           FROM card c CROSS JOIN generate_series(1, $3::int) WHERE ${where}`,
        [kiosk.id, value, value === mine.id ? 2 : 1],
      );
    await t.app.get(InsightFiguresService).refresh();
    const fund = (await t.http().get('/v1/dashboard').set(bearer(fundKey)).expect(200)).body;
    expect(fund.leadTimes[0].segment).toBe('form_sent→photo_available');
    expect(fund.leadTimes[0].days).toEqual([
      { day: yesterday, count: 1, medianDays: 2, p90Days: 2 },
      { day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), count: 1, medianDays: 1, p90Days: 1 },
    ]);
    expect(fund.organismeCode).toBe(MINE);
    expect(fund.figuresTakenAt).not.toBeNull();
    const count = (b: { cards: Array<{ label: string; count: number }> }, s: string) =>
      b.cards.find((c) => c.label === s)?.count;
    expect(count(fund, 'active')).toBe(1);
    expect(count(fund, 'opposed')).toBe(0);
    expect(fund.stuckCount).toBe(0);
    expect(fund.stuck).toEqual([]);
    expect(fund.failingJobs).toBeNull();
    const kioskTotal = (b: { kioskPerHour: Array<{ results: Record<string, number> }> }) =>
      b.kioskPerHour.reduce((n, h) => n + (h.results.confirmed ?? 0), 0);
    expect(kioskTotal(fund)).toBe(2);
    expect(fund.leadTimes.map((l: { referenceDays: number | null }) => l.referenceDays)).toEqual(
      expect.arrayContaining([2.4, 3.5]),
    );
    const op = (await t.http().get('/v1/dashboard').set(bearer(t.operatorKey)).expect(200)).body;
    expect(count(op, 'opposed')).toBeGreaterThanOrEqual(1);
    expect(op.stuckCount).toBeGreaterThanOrEqual(1);
    expect(Array.isArray(op.failingJobs)).toBe(true);
    expect(kioskTotal(op)).toBe(3);
    // The next tests read this insured's timeline without these exchanges.
    await t.dataSource.query(`DELETE FROM kiosk_exchange WHERE kiosk_partner_id = $1`, [kiosk.id]);
  });

  it("insured file: another fund's insured is not found; one's own has its cards, timeline, and the read audited", async () => {
    const miss = await t.http().get(`/v1/insured/${theirs.id}/file`).set(bearer(fundKey)).expect(404);
    expect(miss.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(miss.body.code).toBe('BENEFICIARY_NOT_FOUND');
    const res = await t.http().get(`/v1/insured/${mine.id}/file`).set(bearer(fundKey));
    expect(res.status).toBe(200);
    expect(res.body.identity.id).toBe(mine.id);
    expect(res.body.cards).toHaveLength(1);
    expect(res.body.timeline.items.map((i: { kind: string }) => i.kind)).toEqual([
      'request',
      'opposition',
      'card_state',
    ]);
    // Pages: one entry at a time, newest first, the cursor carrying on where the last page stopped.
    const kinds: string[] = [];
    let before: string | undefined;
    do {
      const page = await t
        .http()
        .get(`/v1/insured/${mine.id}/timeline`)
        .query({ limit: 1, ...(before ? { before } : {}) })
        .set(bearer(fundKey))
        .expect(200);
      kinds.push(...page.body.items.map((i: { kind: string }) => i.kind));
      before = page.body.next ?? undefined;
    } while (before && kinds.length < 10);
    expect(kinds).toEqual(['request', 'opposition', 'card_state']);
    expect(await reads(mine.id)).toContain('beneficiary.read:id');
    expect(await reads(theirs.id)).not.toContain('beneficiary.read:id');
  });

  it('search: a card by serial (tenant rule), an insured by NIR in a POST body only, by name and birth date (audited)', async () => {
    await t.http().get(`/v1/search/cards/${theirSerial}`).set(bearer(fundKey)).expect(404);
    await t.http().get(`/v1/search/cards/${theirSerial}`).set(bearer(otherKey)).expect(200);
    const byNir = await t
      .http()
      .post('/v1/search/insured/by-nir')
      .set(bearer(fundKey))
      .send({ nir: mine.nir })
      .expect(200);
    expect(byNir.body.id).toBe(mine.id);
    await t.http().post('/v1/search/insured/by-nir').set(bearer(fundKey)).send({ nir: theirs.nir }).expect(404);
    // No route takes a NIR in its URL.
    await t.http().get(`/v1/search/insured/${mine.nir}`).set(bearer(fundKey)).expect(404);
    const byName = await t
      .http()
      .post('/v1/search/insured/by-name')
      .set(bearer(fundKey))
      .send({ name: 'lefeb', birthDate: '1971-03-09' })
      .expect(200);
    expect(byName.body.items.map((i: { id: string }) => i.id)).toEqual([mine.id]);
    expect(await reads(mine.id)).toContain('beneficiary.read:name');
  });

  it('bad inputs are 4xx problem+json with a stable code, never echoed', async () => {
    const cases: Array<[string, string, object | undefined, string]> = [
      ['post', '/v1/search/insured/by-name', { name: '<script>', birthDate: '1971-03-09' }, 'NAME_INVALID_CHARACTERS'],
      ['post', '/v1/search/insured/by-name', { name: 'LEFEBVRE', birthDate: '1971-02-30' }, 'DATE_INVALID'],
      ['post', '/v1/search/insured/by-nir', { nir: '12345' }, 'NIR_FORMAT'],
      ['get', `/v1/insured/${mine.id}/file?before=zz!`, undefined, 'TIMELINE_CURSOR_INVALID'],
      ['get', '/v1/insured/not-a-uuid/file', undefined, 'BENEFICIARY_NOT_FOUND'],
      ['get', '/v1/photos/not-a-uuid/review', undefined, 'PHOTO_NOT_FOUND'],
    ];
    for (const [method, url, body, code] of cases) {
      const req = method === 'post' ? t.http().post(url).send(body) : t.http().get(url);
      const res = await req.set(bearer(fundKey));
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(res.status, url).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code, url).toBe(code);
      expect(JSON.stringify(res.body)).not.toContain('<script>');
    }
    const dash = await t.http().get('/v1/dashboard?days=1000').set(bearer(fundKey));
    expect(dash.status).toBe(400);
    expect(dash.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('photo review: a refused photo shows every measure beside its threshold; another fund gets not found', async () => {
    const req = await insertRequest(t.dataSource, {
      organismeCode: MINE,
      beneficiaryId: mine.id,
      status: RequestStatus.PhotoRejected,
    });
    const id = await insertPhoto(t.dataSource, req.id, 'rejected');
    await t.dataSource.query(`UPDATE photo SET reasons = $2, measures = $3, checked_at = now() WHERE id = $1`, [
      id,
      ['too_dark'],
      JSON.stringify({ format: 'jpeg', luminance: { meanLuminance: 40, min: 70, max: 235 } }),
    ]);
    const res = await t.http().get(`/v1/photos/${id}/review`).set(bearer(fundKey)).expect(200);
    expect(res.body.status).toBe('rejected');
    expect(res.body.measures).toEqual([{ check: 'luminance', measure: { meanLuminance: 40, min: 70, max: 235 } }]);
    expect(res.body.images.find((i: { kind: string }) => i.kind === 'print').available).toBe(false);
    expect(await reads(id)).toContain('photo.read:id');
    await t.http().get(`/v1/photos/${id}/review`).set(bearer(otherKey)).expect(404);
  });

  it('/metrics shows the business figures, refreshed by the job', async () => {
    await insertCard(t.dataSource, {
      beneficiaryId: (await insertBeneficiary(t.dataSource, { organismeCode: MINE })).id,
      organismeCode: MINE,
      state: CardState.Shipped,
    });
    const metric = async (line: RegExp) => {
      const text = (await t.http().get('/metrics').set(bearer(t.operatorKey)).expect(200)).text;
      return Number(line.exec(text)?.[1]);
    };
    const before = await metric(/^cards\{state="shipped"\} (\d+)$/m);
    await t.app.get(InsightFiguresService).refresh();
    expect(await metric(/^cards\{state="shipped"\} (\d+)$/m)).toBe((Number.isNaN(before) ? 0 : before) + 1);
    expect(await metric(/^card_requests_stuck\{status="form_sent"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    const text = (await t.http().get('/metrics').set(bearer(t.operatorKey)).expect(200)).text;
    for (const name of [
      'business_figures_age_seconds',
      'return_file_rejected_lines_total',
      'webhook_delivery_failures_total',
      'sftp_sessions_total',
      'sftp_sessions_open',
      'kiosk_exchanges_last_hour',
      'reconciliation_surplus_cards',
    ])
      expect(text).toContain(`# HELP ${name}`);
  });
});
