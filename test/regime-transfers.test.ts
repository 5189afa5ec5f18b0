import { daysAfter } from '../src/emission/requests/request-rules.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { JobsService } from '../src/platform/jobs/jobs.service.js';
import { parisToday } from '../src/register/beneficiary-input.js';
import { MutationsService } from '../src/update/mutations.service.js';
import { RegimeTransfersJobs } from '../src/update/regime-transfers.jobs.js';
import { RegimeTransfersService } from '../src/update/regime-transfers.service.js';
import { cardIn } from './support/card-fixtures.js';
import { insertBeneficiary } from './support/factories.js';
import { LYON, PARIS } from './support/kiosk-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const SNCF = '047510001';
const RATP = '057510001';
const MSA = '020110001';
const ENIM = '067510001';
const CFE = '177710001';

const addDays = daysAfter;
const today = () => parisToday();
const DEFAULT_RECORD_CHUNK = RegimeTransfersService.recordChunkSize;
const DEFAULT_APPLY_CHUNK = MutationsService.applyChunkSize;

async function insured(t: TestApp, organismeCode: string, cards: CardState[] = []) {
  const b = await insertBeneficiary(t.dataSource, { organismeCode, affiliatedFrom: '2020-01-01' });
  const list = [];
  for (const state of cards) list.push(await cardIn(t.dataSource, state, { beneficiaryId: b.id, organismeCode }));
  return { b, cards: list };
}

const affiliations = (t: TestApp, id: string) =>
  t.dataSource.query(
    `SELECT organisme_code, valid_from::text AS f, valid_to::text AS t FROM affiliation WHERE beneficiary_id = $1 ORDER BY valid_from`,
    [id],
  );

describe('regime transfers: recording and applying (service level)', () => {
  let t: TestApp;
  let fund: { id: string; key: string };
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    fund = await t.partner(PartnerKind.Fund, PARIS);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    RegimeTransfersService.recordChunkSize = DEFAULT_RECORD_CHUNK;
    MutationsService.applyChunkSize = DEFAULT_APPLY_CHUNK;
  });

  const post = (key: string, body: unknown) =>
    t
      .http()
      .post('/v1/regime-transfers')
      .set(bearer(key))
      .send(body as object);
  const jobsOf = async () =>
    (
      await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [
        JobName.UpdateRecordRegimeTransfer,
      ])
    )[0].n as number;

  it('refusals are problem+json with stable codes and write nothing', async () => {
    const m = (fromOrganismeCode: string, toOrganismeCode: string) => ({ fromOrganismeCode, toOrganismeCode });
    const tomorrow = addDays(today(), 1);
    const cases: Array<[string, unknown, number, string | null]> = [
      [
        t.operatorKey,
        { effectiveDate: addDays(today(), -1), mappings: [m(SNCF, PARIS)] },
        422,
        'MUTATION_DATE_INVALID',
      ],
      [t.operatorKey, { effectiveDate: '2030-02-30', mappings: [m(SNCF, PARIS)] }, 422, 'MUTATION_DATE_INVALID'],
      [
        t.operatorKey,
        { effectiveDate: tomorrow, mappings: [m(SNCF, PARIS), m(SNCF, LYON)] },
        422,
        'REGIME_TRANSFER_SOURCE_DUPLICATE',
      ],
      [t.operatorKey, { effectiveDate: tomorrow, mappings: [m(SNCF, SNCF)] }, 422, 'MUTATION_SAME_ORGANISME'],
      [t.operatorKey, { effectiveDate: tomorrow, mappings: [m(SNCF, '099999999')] }, 422, 'ORGANISME_UNKNOWN'],
      [t.operatorKey, { effectiveDate: tomorrow, mappings: [m('099999998', PARIS)] }, 422, 'ORGANISME_UNKNOWN'],
      [
        t.operatorKey,
        { effectiveDate: tomorrow, mappings: [m(SNCF, RATP), m(RATP, PARIS)] },
        422,
        'REGIME_TRANSFER_CHAINED',
      ],
      [t.operatorKey, { effectiveDate: tomorrow, mappings: [] }, 400, 'VALIDATION_FAILED'],
      [
        t.operatorKey,
        { effectiveDate: tomorrow, mappings: Array.from({ length: 501 }, (_, i) => m(String(100000000 + i), PARIS)) },
        400,
        'VALIDATION_FAILED',
      ],
      [t.operatorKey, { effectiveDate: tomorrow, mappings: [m('12', PARIS)] }, 400, 'VALIDATION_FAILED'],
      [t.operatorKey, { mappings: [m(SNCF, PARIS)] }, 400, 'VALIDATION_FAILED'],
      [fund.key, { effectiveDate: tomorrow, mappings: [m(SNCF, PARIS)] }, 403, null],
    ];
    for (const [key, body, status, code] of cases) {
      const res = await post(key, body);
      expect(res.status, JSON.stringify(body).slice(0, 200)).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      if (code) expect(res.body.code).toBe(code);
    }
    expect(await t.dataSource.query(`SELECT 1 FROM regime_transfer`)).toEqual([]);
    expect(await jobsOf()).toBe(0);

    // A source already in a transfer not yet in force is refused too (and only the first transfer exists).
    const first = await post(t.operatorKey, { effectiveDate: tomorrow, mappings: [m(ENIM, PARIS)] });
    expect(first.status).toBe(202);
    const busy = await post(t.operatorKey, {
      effectiveDate: addDays(today(), 3),
      mappings: [m(CFE, PARIS), m(ENIM, LYON)],
    });
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({
      code: 'REGIME_TRANSFER_SOURCE_BUSY',
      organismeCodes: [ENIM],
      transferIds: [first.body.id],
    });
    expect(await t.dataSource.query(`SELECT id FROM regime_transfer`)).toEqual([{ id: first.body.id }]);
    expect(await jobsOf()).toBe(1);
    expect((await t.http().get(`/v1/regime-transfers/${first.body.id}`).set(bearer(fund.key))).status).toBe(403);
    expect(
      (await t.http().get('/v1/regime-transfers/00000000-0000-4000-8000-000000000000').set(bearer(t.operatorKey))).body
        .code,
    ).toBe('REGIME_TRANSFER_NOT_FOUND');
    expect((await t.http().get('/v1/regime-transfers/nope').set(bearer(t.operatorKey))).status).toBe(404);
  });

  it('moves every current insured of two source organismes, keeping cards; skips pending changes; leaves others alone', async () => {
    const E = addDays(today(), 1);
    const a1 = await insured(t, SNCF, [CardState.Active]);
    const a2 = await insured(t, SNCF); // no card
    const a3 = await insured(t, RATP, [CardState.Active, CardState.ReturnedUndeliverable, CardState.Opposed]);
    // A change of fund already recorded (its affiliation already ends): skipped.
    const a4 = await insured(t, RATP, [CardState.Active]);
    const pending = await t
      .http()
      .post(`/v1/beneficiaries/${a4.b.id}/mutations`)
      .set(bearer(t.operatorKey))
      .send({ toOrganismeCode: LYON, effectiveDate: addDays(today(), 3) });
    expect(pending.status).toBe(201);
    // A pending mutation on an open-ended affiliation: skipped as well.
    const a5 = await insured(t, SNCF, [CardState.Active]);
    await t.dataSource.query(
      `INSERT INTO card_mutation (beneficiary_id, card_id, from_organisme, to_organisme, effective_date, kind)
                              VALUES ($1, $2, $3, $4, $5, 'fund_change')`,
      [a5.b.id, a5.cards[0].id, SNCF, LYON, addDays(today(), 9)],
    );
    const others = [await insured(t, LYON, [CardState.Active]), await insured(t, MSA, [CardState.Active])];
    const statsBefore = (await t.http().get('/v1/mutations/stats').set(bearer(t.operatorKey))).body;

    const res = await post(t.operatorKey, {
      effectiveDate: E,
      mappings: [
        { fromOrganismeCode: SNCF, toOrganismeCode: PARIS },
        { fromOrganismeCode: RATP, toOrganismeCode: PARIS },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'pending',
      effectiveDate: E,
      counts: { insured: 0, cards: 0, skipped: 0, applied: 0 },
    });
    const id = res.body.id as string;
    // The job was enqueued with it.
    expect(
      await t.dataSource.query(`SELECT data FROM pgboss.job WHERE name = $1 AND data->>'transferId' = $2`, [
        JobName.UpdateRecordRegimeTransfer,
        id,
      ]),
    ).toHaveLength(1);

    RegimeTransfersService.recordChunkSize = 2;
    const transfers = t.app.get(RegimeTransfersService);
    const outcome = await transfers.record(id);
    expect(outcome.status).toBe('recorded');
    expect(outcome.chunks).toBeGreaterThanOrEqual(3);
    const got = await t.http().get(`/v1/regime-transfers/${id}`).set(bearer(t.operatorKey));
    expect(got.body).toMatchObject({
      status: 'recorded',
      counts: { insured: 3, cards: 3, skipped: 2, mutations: 4, applied: 0 },
    });

    for (const { b } of [a1, a2])
      expect(await affiliations(t, b.id)).toEqual([
        { organisme_code: SNCF, f: '2020-01-01', t: E },
        { organisme_code: PARIS, f: E, t: null },
      ]);
    expect(await affiliations(t, a3.b.id)).toEqual([
      { organisme_code: RATP, f: '2020-01-01', t: E },
      { organisme_code: PARIS, f: E, t: null },
    ]);
    expect(await affiliations(t, a5.b.id)).toEqual([{ organisme_code: SNCF, f: '2020-01-01', t: null }]);
    expect((await affiliations(t, a4.b.id)).map((a: { organisme_code: string }) => a.organisme_code)).toEqual([
      RATP,
      LYON,
    ]);
    for (const o of others) expect(await affiliations(t, o.b.id)).toHaveLength(1);
    const rows = await t.dataSource.query(
      `SELECT beneficiary_id, card_id, from_organisme, to_organisme, kind, effective_date::text AS e FROM card_mutation WHERE transfer_id = $1`,
      [id],
    );
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r: { kind: string }) => r.kind))).toEqual(new Set(['regime_transfer']));
    expect(
      rows
        .filter((r: { beneficiary_id: string }) => r.beneficiary_id === a3.b.id)
        .map((r: { card_id: string }) => r.card_id)
        .sort(),
    ).toEqual([a3.cards[0].id, a3.cards[1].id].sort()); // the opposed card stays behind
    expect(rows.find((r: { beneficiary_id: string }) => r.beneficiary_id === a2.b.id)).toMatchObject({
      card_id: null,
      from_organisme: SNCF,
      to_organisme: PARIS,
      e: E,
    });
    const audit = await t.dataSource.query(
      `SELECT entity_id, action, details->>'transferId' AS transfer, details->>'reason' AS reason FROM audit_entry
                                              WHERE action IN ('beneficiary.mutation_recorded', 'beneficiary.regime_transfer_skipped') AND details->>'transferId' = $1`,
      [id],
    );
    expect(
      audit
        .filter((a: { action: string }) => a.action === 'beneficiary.mutation_recorded')
        .map((a: { entity_id: string }) => a.entity_id)
        .sort(),
    ).toEqual([a1.b.id, a2.b.id, a3.b.id].sort());
    expect(
      audit
        .filter((a: { action: string }) => a.action === 'beneficiary.regime_transfer_skipped')
        .map((a: { reason: string }) => a.reason)
        .sort(),
    ).toEqual(['affiliation_ends', 'mutation_pending']);

    // Running the recording again (a retried or duplicate job) records nothing twice, even with its cursor lost.
    const snapshot = async () => ({
      mutations: (await t.dataSource.query(`SELECT count(*)::int AS n FROM card_mutation`))[0].n,
      affiliations: (await t.dataSource.query(`SELECT count(*)::int AS n FROM affiliation`))[0].n,
    });
    const before = await snapshot();
    expect((await transfers.record(id)).status).toBe('recorded');
    await t.dataSource.query(
      `UPDATE regime_transfer SET status = 'recording', cursor_organisme = NULL, cursor_beneficiary = NULL WHERE id = $1`,
      [id],
    );
    expect((await transfers.record(id)).status).toBe('recorded');
    expect(await snapshot()).toEqual(before);
    // The moved insured are not met again (their affiliation no longer is current on the date); only the skipped are.
    expect((await t.http().get(`/v1/regime-transfers/${id}`).set(bearer(t.operatorKey))).body.counts).toMatchObject({
      insured: 3,
      cards: 3,
      mutations: 4,
      skipped: 4,
    });
    // A real cursor is never lost (it commits with its chunk): put the simulation's recount back.
    await t.dataSource.query(`UPDATE regime_transfer SET skipped_count = 2 WHERE id = $1`, [id]);

    // Not due before the date.
    const mutations = t.app.get(MutationsService);
    await mutations.applyDue(today());
    expect(await t.dataSource.query(`SELECT organisme_code FROM card WHERE id = $1`, [a1.cards[0].id])).toEqual([
      { organisme_code: SNCF },
    ]);

    // On the effective date: applied in chunks, cards moved with their serial, organisme record rewritten, both funds told.
    MutationsService.applyChunkSize = 2;
    const applied = await mutations.applyDue(E);
    expect(applied.applied).toBe(4);
    expect(
      new Set(
        (await t.dataSource.query(`SELECT applied_at FROM card_mutation WHERE transfer_id = $1`, [id])).map(
          (r: { applied_at: Date }) => r.applied_at.toISOString(),
        ),
      ).size,
    ).toBeGreaterThanOrEqual(2);
    for (const c of [a1.cards[0], a3.cards[0], a3.cards[1]]) {
      expect(
        await t.dataSource.query(`SELECT id, serial::text AS serial, organisme_code FROM card WHERE id = $1`, [c.id]),
      ).toEqual([{ id: c.id, serial: c.serial, organisme_code: PARIS }]);
      expect(
        (
          await t.dataSource.query(
            `SELECT content FROM card_data_record WHERE card_id = $1 AND record_type = 'organisme'`,
            [c.id],
          )
        )[0].content,
      ).toMatchObject({ code: PARIS });
    }
    expect(await t.dataSource.query(`SELECT organisme_code FROM card WHERE id = $1`, [a3.cards[2].id])).toEqual([
      { organisme_code: RATP },
    ]);
    for (const o of others)
      expect(await t.dataSource.query(`SELECT organisme_code FROM card WHERE id = $1`, [o.cards[0].id])).toEqual([
        { organisme_code: o.cards[0].organismeCode },
      ]);
    expect(await t.dataSource.query(`SELECT organisme_code FROM card WHERE id = $1`, [a5.cards[0].id])).toEqual([
      { organisme_code: SNCF },
    ]);
    const events = await t.dataSource.query(
      `SELECT organisme_code, type, data->>'transferId' AS transfer FROM fund_event WHERE subject_id = $1 ORDER BY id`,
      [a2.b.id],
    );
    expect(events).toEqual([
      { organisme_code: SNCF, type: 'beneficiary.mutated_out', transfer: id },
      { organisme_code: PARIS, type: 'beneficiary.mutated_in', transfer: id },
    ]);

    const done = await t.http().get(`/v1/regime-transfers/${id}`).set(bearer(t.operatorKey));
    expect(done.body).toMatchObject({
      status: 'applied',
      counts: { insured: 3, cards: 3, skipped: 2, mutations: 4, applied: 4 },
    });
    expect(done.body.appliedAt).not.toBeNull();
    const list = await t.http().get('/v1/regime-transfers').set(bearer(t.operatorKey));
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(id);
    // Pages of one, following `next`, give the same transfers in the same order.
    const paged: string[] = [];
    for (let after: string | null = null, i = 0; i < 100; i++) {
      const page: { body: { items: Array<{ id: string }>; next: string | null } } = await t
        .http()
        .get('/v1/regime-transfers')
        .query({ limit: 1, ...(after ? { after } : {}) })
        .set(bearer(t.operatorKey))
        .expect(200);
      paged.push(...page.body.items.map((x: { id: string }) => x.id));
      after = page.body.next;
      if (!after) break;
    }
    expect(paged).toEqual(list.body.items.map((x: { id: string }) => x.id));
    const statsAfter = (await t.http().get('/v1/mutations/stats').set(bearer(t.operatorKey))).body;
    expect(statsAfter.regimeTransfers - statsBefore.regimeTransfers).toBe(3);
    expect(statsAfter.cardsKept - statsBefore.cardsKept).toBe(3);
  });

  it('a failing run marks the transfer failed with its reason, keeps its committed chunks, and a retry carries on', async () => {
    const E = addDays(today(), 2);
    const movers = [
      await insured(t, CFE, [CardState.Active]),
      await insured(t, CFE),
      await insured(t, CFE, [CardState.Active]),
    ];
    const res = await post(t.operatorKey, {
      effectiveDate: E,
      mappings: [{ fromOrganismeCode: CFE, toOrganismeCode: LYON }],
    });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    RegimeTransfersService.recordChunkSize = 2;
    const transfers = t.app.get(RegimeTransfersService);
    const jobs = t.app.get(RegimeTransfersJobs);
    // As if a run had committed a chunk up to the second insured (its cursor), then the target is made unusable so
    // the next chunk fails (foreign key on affiliation).
    const sorted = movers.map((m) => m.b.id).sort();
    await t.dataSource.query(
      `UPDATE regime_transfer SET cursor_organisme = $2, cursor_beneficiary = $3, mappings = $4::jsonb WHERE id = $1`,
      [id, CFE, sorted[1], JSON.stringify([{ fromOrganismeCode: CFE, toOrganismeCode: '099999999' }])],
    );
    await expect(jobs.record({ transferId: id })).rejects.toThrow();
    const failed = (await t.http().get(`/v1/regime-transfers/${id}`).set(bearer(t.operatorKey))).body;
    expect(failed.status).toBe('failed');
    expect(failed.failure).toBeTruthy();
    expect(await t.dataSource.query(`SELECT 1 FROM card_mutation WHERE transfer_id = $1`, [id])).toEqual([]);
    // Repaired, the operator resumes it (the job had given up): pending again, its job queued once more.
    await t.dataSource.query(`UPDATE regime_transfer SET mappings = $2::jsonb WHERE id = $1`, [
      id,
      JSON.stringify([{ fromOrganismeCode: CFE, toOrganismeCode: LYON }]),
    ]);
    const queued = async () =>
      (
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'update.record-regime-transfer' AND data->>'transferId' = $1`,
          [id],
        )
      )[0].n as number;
    const before = await queued();
    const resumed = await t.http().post(`/v1/regime-transfers/${id}/resume`).set(bearer(t.operatorKey)).send({});
    expect(resumed.status).toBe(202);
    expect(resumed.body.status).toBe('pending');
    expect(await queued()).toBe(before + 1);
    const notFailed = await t.http().post(`/v1/regime-transfers/${id}/resume`).set(bearer(t.operatorKey)).send({});
    expect(notFailed.status).toBe(409);
    expect(notFailed.body.code).toBe('REGIME_TRANSFER_NOT_FAILED');
    // The run resumes after the cursor: only the last insured is recorded by it.
    await jobs.record({ transferId: id });
    const ok = (await t.http().get(`/v1/regime-transfers/${id}`).set(bearer(t.operatorKey))).body;
    expect(ok).toMatchObject({ status: 'recorded', failure: null, counts: { insured: 1 } });
    expect(
      (await t.dataSource.query(`SELECT beneficiary_id FROM card_mutation WHERE transfer_id = $1`, [id])).map(
        (r: { beneficiary_id: string }) => r.beneficiary_id,
      ),
    ).toEqual([sorted[2]]);
    // Without the cursor the others are met too, and recorded once.
    await t.dataSource.query(
      `UPDATE regime_transfer SET status = 'recording', cursor_organisme = NULL, cursor_beneficiary = NULL WHERE id = $1`,
      [id],
    );
    await transfers.record(id);
    expect(
      (await t.dataSource.query(`SELECT beneficiary_id FROM card_mutation WHERE transfer_id = $1`, [id]))
        .map((r: { beneficiary_id: string }) => r.beneficiary_id)
        .sort(),
    ).toEqual(sorted);
  });
});

describe('regime transfers: the job path for real (workers on)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: true });
  });
  afterAll(async () => {
    RegimeTransfersService.recordChunkSize = DEFAULT_RECORD_CHUNK;
    MutationsService.applyChunkSize = DEFAULT_APPLY_CHUNK;
    await t?.close();
  });

  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('records in chunks, applies in chunks on the date; access follows; a re-run duplicates nothing', async () => {
    RegimeTransfersService.recordChunkSize = 3;
    MutationsService.applyChunkSize = 4;
    const cfe = await t.partner(PartnerKind.Fund, CFE);
    const paris = await t.partner(PartnerKind.Fund, PARIS);
    const movers = [];
    for (let i = 0; i < 7; i++) movers.push(await insured(t, i % 2 ? ENIM : CFE, i % 3 ? [CardState.Active] : []));
    const stay = await insured(t, LYON, [CardState.Active]);
    const E = today();

    const res = await t
      .http()
      .post('/v1/regime-transfers')
      .set(bearer(t.operatorKey))
      .send({
        effectiveDate: E,
        mappings: [
          { fromOrganismeCode: CFE, toOrganismeCode: PARIS },
          { fromOrganismeCode: ENIM, toOrganismeCode: PARIS },
        ],
      });
    expect(res.status).toBe(202);
    const id = res.body.id as string;
    const done = await waitFor('transfer applied', async () => {
      const r = await t.http().get(`/v1/regime-transfers/${id}`).set(bearer(t.operatorKey));
      return r.body.status === 'applied' ? r.body : undefined;
    });
    const withCards = movers.filter((m) => m.cards.length);
    expect(done.counts).toEqual({ insured: 7, cards: withCards.length, skipped: 0, mutations: 7, applied: 7 });
    // Several recording transactions and several applying ones (each stamps its own now()).
    const stamps = await t.dataSource.query(
      `SELECT count(DISTINCT created_at)::int AS recorded, count(DISTINCT applied_at)::int AS applied FROM card_mutation WHERE transfer_id = $1`,
      [id],
    );
    expect(stamps[0].recorded).toBeGreaterThanOrEqual(3);
    expect(stamps[0].applied).toBeGreaterThanOrEqual(2);

    for (const m of movers) {
      const from = (await affiliations(t, m.b.id))[0].organisme_code as string;
      expect(await affiliations(t, m.b.id)).toEqual([
        { organisme_code: from, f: '2020-01-01', t: E },
        { organisme_code: PARIS, f: E, t: null },
      ]);
    }
    for (const m of withCards) {
      const c = m.cards[0];
      expect(
        await t.dataSource.query(
          `SELECT id, serial::text AS serial, organisme_code FROM card WHERE beneficiary_id = $1`,
          [m.b.id],
        ),
      ).toEqual([{ id: c.id, serial: c.serial, organisme_code: PARIS }]);
      expect((await t.http().get(`/v1/cards/${c.serial12}/updates`).set(bearer(paris.key))).body).toMatchObject({
        pendingRecordTypes: ['organisme'],
      });
    }
    // The old fund loses the insured (404 as for an unknown id), the new one gains them.
    const cfeOnes = movers.filter((_, i) => i % 2 === 0);
    for (const m of cfeOnes) {
      expect((await t.http().get(`/v1/beneficiaries/${m.b.id}`).set(bearer(cfe.key))).status).toBe(404);
      expect((await t.http().get(`/v1/beneficiaries/${m.b.id}`).set(bearer(paris.key))).status).toBe(200);
      for (const c of m.cards) {
        expect((await t.http().get(`/v1/cards/${c.serial12}`).set(bearer(cfe.key))).status).toBe(404);
        expect((await t.http().get(`/v1/cards/${c.serial12}`).set(bearer(paris.key))).status).toBe(200);
      }
    }
    // The feed shows an event once no older transaction of this database is still open (its gap-free rule); the
    // app's own workers write here, so it may lag a moment: wait for it.
    const feedItems = await waitFor("mutated_out events in the old fund's feed", async () => {
      const feed = await t.http().get('/v1/events').query({ types: 'beneficiary.mutated_out' }).set(bearer(cfe.key));
      expect(feed.status).toBe(200);
      return feed.body.items.length >= cfeOnes.length ? feed.body.items : undefined;
    });
    expect(feedItems.length).toBeGreaterThanOrEqual(cfeOnes.length);
    expect(await affiliations(t, stay.b.id)).toHaveLength(1);
    expect(await t.dataSource.query(`SELECT organisme_code FROM card WHERE id = $1`, [stay.cards[0].id])).toEqual([
      { organisme_code: LYON },
    ]);

    // The recording job run again (a duplicate): completes, records nothing more.
    const count = async () =>
      (
        await t.dataSource.query(
          `SELECT (SELECT count(*) FROM card_mutation)::int AS m, (SELECT count(*) FROM affiliation)::int AS a, (SELECT count(*) FROM fund_event)::int AS e`,
        )
      )[0];
    const before = await count();
    const jobId = await t.dataSource.transaction((em) =>
      t.app.get(JobsService).send(em, JobName.UpdateRecordRegimeTransfer, { transferId: id }),
    );
    await waitFor('re-run completed', async () => {
      const [row] = await t.dataSource.query(`SELECT state FROM pgboss.job WHERE id = $1`, [jobId]);
      return row?.state === 'completed' ? true : undefined;
    });
    expect(await count()).toEqual(before);
    expect((await t.http().get(`/v1/regime-transfers/${id}`).set(bearer(t.operatorKey))).body).toMatchObject({
      status: 'applied',
      counts: done.counts,
    });
  });
});
