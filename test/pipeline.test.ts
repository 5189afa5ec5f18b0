import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { PipelineJobs } from '../src/emission/pipeline/pipeline.jobs.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { ReinjectorService } from '../src/emission/pipeline/reinjector.service.js';
import { RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { insertBeneficiary, insertCard } from './support/factories.js';
import {
  eventually,
  insertBatch,
  insertPhoto,
  insertRequest,
  insertStep,
  queuedJobs,
  requestWithCard,
} from './support/event-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const S = RequestStatus;

describe('emission pipeline for operators', () => {
  let t: TestApp;
  let vendorId: string;
  let fundKey: string;

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    vendorId = (await t.partner(PartnerKind.PersonalisationVendor)).id;
    fundKey = (await t.partner(PartnerKind.Fund, '017510001')).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  const op = () => bearer(t.operatorKey);
  const requestRow = async (id: string) =>
    (
      await t.dataSource.query(
        `SELECT status::text, reinjections, needs_review, status_changed_at FROM card_request WHERE id = $1`,
        [id],
      )
    )[0];
  const auditOf = async (id: string) =>
    (await t.dataSource.query(`SELECT action, actor_kind, details FROM audit_entry WHERE entity_id = $1 ORDER BY id`, [
      id,
    ])) as Array<{ action: string; actor_kind: string; details: Record<string, unknown> }>;
  const eventsOf = async (id: string) =>
    (await t.dataSource.query(`SELECT type, data FROM fund_event WHERE subject_id = $1 ORDER BY id`, [id])) as Array<{
      type: string;
      data: Record<string, unknown>;
    }>;
  const jobsFor = async (name: JobName, pick: (d: Record<string, unknown>) => boolean = () => true) =>
    (await queuedJobs(t.dataSource, name)).filter(pick);

  describe('GET /v1/pipeline', () => {
    it('counts open requests per status (zeros included) and chain cards per state, overall and per organisme', async () => {
      const P1 = '015910001';
      const P2 = '013510001';
      const before = (await t.http().get('/v1/pipeline').set(op()).expect(200)).body;
      await insertRequest(t.dataSource, { organismeCode: P1, status: S.FormSent, idleHours: 100 });
      await insertRequest(t.dataSource, { organismeCode: P1, status: S.FormSent, idleHours: 1 });
      await requestWithCard(t.dataSource, { organismeCode: P1, status: S.Ordered, needsReview: true });
      await insertRequest(t.dataSource, { organismeCode: P1, status: S.Completed, idleHours: 1000 });
      const b = await insertBeneficiary(t.dataSource, { organismeCode: P1 });
      await insertCard(t.dataSource, { beneficiaryId: b.id, organismeCode: P1, state: CardState.Shipped });
      await insertCard(t.dataSource, {
        beneficiaryId: (await insertBeneficiary(t.dataSource, { organismeCode: P1 })).id,
        organismeCode: P1,
        state: CardState.Active,
      });
      await insertRequest(t.dataSource, { organismeCode: P2, status: S.PhotoReceived });

      const res = await t.http().get('/v1/pipeline').query({ by: 'organisme' }).set(op()).expect(200);
      expect(res.body.stuckAfterHours).toBe(48);
      expect(res.body.requests.map((r: { status: string }) => r.status)).toEqual([
        'form_sent',
        'photo_received',
        'photo_rejected',
        'photo_available',
        'ordered',
        'in_personalisation',
      ]);
      expect(res.body.openRequests - before.openRequests).toBe(4);
      expect(res.body.stuck - before.stuck).toBe(1);
      expect(res.body.needsReview - before.needsReview).toBe(1);
      const p1 = res.body.organismes.find((o: { organismeCode: string }) => o.organismeCode === P1);
      expect(p1.requests).toEqual([
        { status: 'form_sent', count: 2, stuck: 1, needsReview: 0 },
        { status: 'photo_received', count: 0, stuck: 0, needsReview: 0 },
        { status: 'photo_rejected', count: 0, stuck: 0, needsReview: 0 },
        { status: 'photo_available', count: 0, stuck: 0, needsReview: 0 },
        { status: 'ordered', count: 1, stuck: 0, needsReview: 1 },
        { status: 'in_personalisation', count: 0, stuck: 0, needsReview: 0 },
      ]);
      expect(p1.cards).toEqual([
        { state: 'ordered', count: 1 },
        { state: 'in_personalisation', count: 0 },
        { state: 'shipped', count: 1 },
        { state: 'returned_undeliverable', count: 0 },
      ]);
      const p2 = res.body.organismes.find((o: { organismeCode: string }) => o.organismeCode === P2);
      expect(p2.requests.find((r: { status: string }) => r.status === 'photo_received').count).toBe(1);
      const overall = await t.http().get('/v1/pipeline').set(op()).expect(200);
      expect(overall.body.organismes).toBeUndefined();
      expect((await t.http().get('/v1/pipeline').query({ by: 'vendor' }).set(op()).expect(400)).body.code).toBe(
        'VALIDATION_FAILED',
      );
      expect((await t.http().get('/v1/pipeline').set(bearer(fundKey)).expect(403)).body.code).toBe(
        'PARTNER_KIND_FORBIDDEN',
      );
    });
  });

  describe('GET /v1/pipeline/stuck', () => {
    const ORG = '013310001';
    let ids: Record<string, string>;
    beforeAll(async () => {
      ids = {
        formSent: (await insertRequest(t.dataSource, { organismeCode: ORG, status: S.FormSent, idleHours: 100 })).id,
        fundWait: (await insertRequest(t.dataSource, { organismeCode: ORG, status: S.PhotoAvailable, idleHours: 60 }))
          .id,
        check: (
          await insertRequest(t.dataSource, {
            organismeCode: ORG,
            status: S.PhotoReceived,
            idleHours: 54,
            needsReview: true,
            reinjections: 3,
          })
        ).id,
        auto: (
          await insertRequest(t.dataSource, {
            organismeCode: ORG,
            status: S.PhotoAvailable,
            autoOrder: true,
            idleHours: 53,
          })
        ).id,
        ordered: (await insertRequest(t.dataSource, { organismeCode: ORG, status: S.Ordered, idleHours: 52 })).id,
        ordered2: (await insertRequest(t.dataSource, { organismeCode: ORG, status: S.Ordered, idleHours: 51 })).id,
        ordered3: (await insertRequest(t.dataSource, { organismeCode: ORG, status: S.Ordered, idleHours: 50 })).id,
        recent: (await insertRequest(t.dataSource, { organismeCode: ORG, status: S.Ordered, idleHours: 10 })).id,
      };
      await insertPhoto(t.dataSource, ids.check, 'pending');
    });
    const stuck = (q: Record<string, unknown>) =>
      t
        .http()
        .get('/v1/pipeline/stuck')
        .query({ organismeCode: ORG, ...q })
        .set(op());

    it('lists requests idle longer than the threshold, oldest first, with who they wait on', async () => {
      const res = await stuck({}).expect(200);
      expect(res.body.olderThanHours).toBe(48);
      expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([
        ids.formSent,
        ids.fundWait,
        ids.check,
        ids.auto,
        ids.ordered,
        ids.ordered2,
        ids.ordered3,
      ]);
      expect(res.body.next).toBeNull();
      const check = res.body.items[2];
      expect(check).toMatchObject({
        id: ids.check,
        organismeCode: ORG,
        status: 'photo_received',
        waitingOn: 'system',
        reinjections: 3,
        needsReview: true,
        retryable: true,
        autoOrder: false,
      });
      expect(check.idleHours).toBeCloseTo(54, 0);
      expect(new Date(check.since).getTime()).toBeLessThan(Date.now() - 53 * 3600_000);
      expect(res.body.items[0]).toMatchObject({ waitingOn: 'insured', retryable: false });
      expect(res.body.items[1]).toMatchObject({ waitingOn: 'fund', retryable: false });
    });

    it('filters by threshold, status, who it waits on and the review flag', async () => {
      const idsOf = (r: { body: { items: Array<{ id: string }> } }) => r.body.items.map((i) => i.id);
      expect(idsOf(await stuck({ olderThanHours: 55 }).expect(200))).toEqual([ids.formSent, ids.fundWait]);
      expect(idsOf(await stuck({ waitingOn: 'system' }).expect(200))).toEqual([
        ids.check,
        ids.auto,
        ids.ordered,
        ids.ordered2,
        ids.ordered3,
      ]);
      expect(idsOf(await stuck({ waitingOn: 'insured,fund' }).expect(200))).toEqual([ids.formSent, ids.fundWait]);
      expect(idsOf(await stuck({ status: 'ordered', olderThanHours: 5 }).expect(200))).toEqual([
        ids.ordered,
        ids.ordered2,
        ids.ordered3,
        ids.recent,
      ]);
      expect(idsOf(await stuck({ needsReview: 'true' }).expect(200))).toEqual([ids.check]);
      expect((await stuck({ waitingOn: 'nobody' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect((await stuck({ status: 'completed' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect((await stuck({ olderThanHours: 0 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    });

    it('pages with an opaque cursor without repeating or skipping', async () => {
      const all = (await stuck({}).expect(200)).body.items.map((i: { id: string }) => i.id);
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = await stuck(after ? { limit: 2, after } : { limit: 2 }).expect(200);
        seen.push(...res.body.items.map((i: { id: string }) => i.id));
        if (!res.body.next) break;
        after = res.body.next;
      }
      expect(seen).toEqual(all);
      for (const bad of ['%%%', Buffer.from('12.not-a-uuid').toString('base64url'), 'abc']) {
        const res = await stuck({ after: bad }).expect(400);
        expect(res.body.code).toBe('PIPELINE_CURSOR_INVALID');
      }
    });
  });

  describe('GET /v1/pipeline/lead-times', () => {
    it('gives median and p90 per segment in days, computed from the step rows, beside the reference figures', async () => {
      const ORG = '014410001';
      // Request k (1..5): form_sent --k days--> photo_available --2 d--> ordered --0.5 d--> in_personalisation --k days--> completed (5 days ago).
      for (let k = 1; k <= 5; k++) {
        const { id } = await insertRequest(t.dataSource, { organismeCode: ORG, status: S.Completed, idleHours: 120 });
        const inPerso = 120 + 24 * k;
        const ordered = inPerso + 12;
        const available = ordered + 48;
        const formSent = available + 24 * k;
        await insertStep(t.dataSource, id, S.InPersonalisation, inPerso);
        await insertStep(t.dataSource, id, S.Ordered, ordered);
        await insertStep(t.dataSource, id, S.PhotoAvailable, available);
        if (k === 1) {
          // a rejected photo on the way changes nothing to form_sent→photo_available
          await insertStep(t.dataSource, id, S.PhotoReceived, available + 10);
          await insertStep(t.dataSource, id, S.PhotoRejected, available + 9);
        }
        await insertStep(t.dataSource, id, S.FormSent, formSent);
      }
      // Ended before `since`: not counted.
      const old = await insertRequest(t.dataSource, { organismeCode: ORG, status: S.Completed, idleHours: 24 * 60 });
      await insertStep(t.dataSource, old.id, S.InPersonalisation, 24 * 100);

      const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const res = await t
        .http()
        .get('/v1/pipeline/lead-times')
        .query({ since, organismeCode: ORG })
        .set(op())
        .expect(200);
      const seg = Object.fromEntries(res.body.segments.map((s: { segment: string }) => [s.segment, s]));
      expect(res.body.segments.map((s: { segment: string }) => s.segment)).toEqual([
        'form_sent→photo_available',
        'photo_available→ordered',
        'ordered→in_personalisation',
        'in_personalisation→completed',
        'form_sent→completed',
      ]);
      expect(seg['in_personalisation→completed']).toMatchObject({
        count: 5,
        medianDays: 3,
        p90Days: 4.6,
        referenceDays: 3.5,
      });
      expect(seg['form_sent→photo_available']).toMatchObject({
        count: 5,
        medianDays: 3,
        p90Days: 4.6,
        referenceDays: 2.4,
      });
      expect(seg['photo_available→ordered']).toMatchObject({
        count: 5,
        medianDays: 2,
        p90Days: 2,
        referenceDays: null,
      });
      expect(seg['ordered→in_personalisation']).toMatchObject({ count: 5, medianDays: 0.5, p90Days: 0.5 });
      expect(seg['form_sent→completed']).toMatchObject({ count: 5, medianDays: 8.5, p90Days: 11.7 });
      expect(seg['in_personalisation→completed'].referenceNote).toMatch(/assumed/);

      const elsewhere = await t
        .http()
        .get('/v1/pipeline/lead-times')
        .query({ since, organismeCode: '016710001' })
        .set(op())
        .expect(200);
      expect(elsewhere.body.segments[3]).toMatchObject({ count: 0, medianDays: null, p90Days: null });
      expect(
        (await t.http().get('/v1/pipeline/lead-times').query({ since: 'yesterday' }).set(op()).expect(400)).body.code,
      ).toBe('VALIDATION_FAILED');
      const byDefault = await t.http().get('/v1/pipeline/lead-times').set(op()).expect(200);
      expect(Date.now() - new Date(byDefault.body.since).getTime()).toBeGreaterThan(89 * 86_400_000);
    });

    it('measures a segment from the last entry of its start before its end (a reopened request)', async () => {
      const ORG = '010610001';
      const { id } = await insertRequest(t.dataSource, {
        organismeCode: ORG,
        status: S.InPersonalisation,
        idleHours: 96,
      });
      await insertStep(t.dataSource, id, S.Ordered, 24 * 15);
      await insertStep(t.dataSource, id, S.InPersonalisation, 24 * 14);
      await insertStep(t.dataSource, id, S.Ordered, 24 * 5); // the card was spoiled: ordered again
      const since = new Date(Date.now() - 12 * 86_400_000).toISOString();
      const res = await t
        .http()
        .get('/v1/pipeline/lead-times')
        .query({ since, organismeCode: ORG })
        .set(op())
        .expect(200);
      expect(res.body.segments[2]).toMatchObject({ segment: 'ordered→in_personalisation', count: 1, medianDays: 1 });
    });
  });

  describe('POST /v1/pipeline/requests/:id/retry', () => {
    const retry = (id: string) => t.http().post(`/v1/pipeline/requests/${id}/retry`).set(op());

    it('re-enqueues the job of the current step and clears the review flag, with an audit entry', async () => {
      const photo = await insertRequest(t.dataSource, {
        status: S.PhotoReceived,
        idleHours: 80,
        needsReview: true,
        reinjections: 3,
      });
      await insertPhoto(t.dataSource, photo.id, 'rejected');
      const pending = await insertPhoto(t.dataSource, photo.id, 'pending');
      const res = await retry(photo.id).expect(200);
      expect(res.body).toEqual({ requestId: photo.id, status: 'photo_received', job: JobName.PhotoCheck });
      expect(await jobsFor(JobName.PhotoCheck, (d) => d.photoId === pending)).toHaveLength(1);
      expect(await requestRow(photo.id)).toMatchObject({
        status: 'photo_received',
        needs_review: false,
        reinjections: 0,
      });
      const audit = await auditOf(photo.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        action: 'card_request.retried',
        actor_kind: 'operator',
        details: { status: 'photo_received', job: 'photo.check', needsReview: true },
      });

      const auto = await insertRequest(t.dataSource, { status: S.PhotoAvailable, autoOrder: true });
      expect((await retry(auto.id).expect(200)).body.job).toBe(JobName.EmissionAutoOrder);
      expect(await jobsFor(JobName.EmissionAutoOrder, (d) => d.requestId === auto.id)).toHaveLength(1);

      const ordered = await requestWithCard(t.dataSource, { status: S.Ordered });
      const builds = (await jobsFor(JobName.EmissionBuildBatches)).length;
      expect((await retry(ordered.id).expect(200)).body.job).toBe(JobName.EmissionBuildBatches);
      expect(await jobsFor(JobName.EmissionBuildBatches)).toHaveLength(builds + 1);

      const inPerso = await requestWithCard(t.dataSource, {
        status: S.InPersonalisation,
        cardState: CardState.InPersonalisation,
      });
      const batchId = await insertBatch(t.dataSource, vendorId, 'allocated', [inPerso.cardId]);
      expect((await retry(inPerso.id).expect(200)).body.job).toBe(JobName.EmissionWriteBatchFile);
      expect(await jobsFor(JobName.EmissionWriteBatchFile, (d) => d.batchId === batchId)).toHaveLength(1);
    });

    it("refuses with 409 PIPELINE_NOTHING_TO_RETRY when the step is not the system's, and writes nothing", async () => {
      const atVendor = await requestWithCard(t.dataSource, {
        status: S.InPersonalisation,
        cardState: CardState.InPersonalisation,
      });
      await insertBatch(t.dataSource, vendorId, 'written', [atVendor.cardId]);
      const noPhoto = await insertRequest(t.dataSource, { status: S.PhotoReceived });
      const cases: Array<[string, string]> = [
        [(await insertRequest(t.dataSource, { status: S.FormSent, needsReview: true })).id, 'insured'],
        [(await insertRequest(t.dataSource, { status: S.PhotoRejected })).id, 'insured'],
        [(await insertRequest(t.dataSource, { status: S.PhotoAvailable, autoOrder: false })).id, 'fund'],
        [atVendor.id, 'vendor'],
        [noPhoto.id, 'system'],
        [(await insertRequest(t.dataSource, { status: S.Completed })).id, 'system'],
      ];
      const jobCounts = async () =>
        Promise.all(
          [
            JobName.PhotoCheck,
            JobName.EmissionAutoOrder,
            JobName.EmissionBuildBatches,
            JobName.EmissionWriteBatchFile,
          ].map(async (n) => (await queuedJobs(t.dataSource, n)).length),
        );
      const before = await jobCounts();
      for (const [id, waitingOn] of cases) {
        const res = await retry(id).expect(409);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 409, code: 'PIPELINE_NOTHING_TO_RETRY', waitingOn });
        expect(await auditOf(id)).toEqual([]);
      }
      expect(await jobCounts()).toEqual(before);
      expect((await requestRow(cases[0][0])).needs_review).toBe(true);
    });

    it('answers 404 for an unknown or malformed id, 403 for a fund', async () => {
      expect((await retry('00000000-0000-4000-8000-000000000000').expect(404)).body.code).toBe(
        'PIPELINE_REQUEST_NOT_FOUND',
      );
      expect((await retry('nope').expect(404)).body.code).toBe('PIPELINE_REQUEST_NOT_FOUND');
      const r = await insertRequest(t.dataSource, { status: S.Ordered });
      await t.http().post(`/v1/pipeline/requests/${r.id}/retry`).set(bearer(fundKey)).expect(403);
    });
  });

  describe('POST /v1/pipeline/requests/:id/cancel', () => {
    const cancel = (id: string) => t.http().post(`/v1/pipeline/requests/${id}/cancel`).set(op());

    it('cancels an ordered request and its card in one transaction: step row, fund event, audit', async () => {
      const r = await requestWithCard(t.dataSource, { status: S.Ordered, needsReview: true, reinjections: 2 });
      const res = await cancel(r.id).expect(200);
      expect(res.body).toEqual({
        requestId: r.id,
        status: 'cancelled',
        previousStatus: 'ordered',
        cancelledCardId: r.cardId,
      });
      expect(await requestRow(r.id)).toMatchObject({ status: 'cancelled', needs_review: false, reinjections: 0 });
      const steps = await t.dataSource.query(
        `SELECT status::text FROM card_request_step WHERE request_id = $1 ORDER BY id`,
        [r.id],
      );
      expect(steps.map((s: { status: string }) => s.status)).toEqual(['ordered', 'cancelled']);
      expect((await t.dataSource.query(`SELECT state::text FROM card WHERE id = $1`, [r.cardId]))[0].state).toBe(
        'cancelled',
      );
      expect(await eventsOf(r.id)).toEqual([
        {
          type: 'request.cancelled',
          data: {
            requestId: r.id,
            formNumber: expect.stringMatching(/^\d{8}$/),
            from: 'ordered',
            cardId: r.cardId,
            by: 'operator',
          },
        },
      ]);
      expect((await auditOf(r.id)).map((a) => a.action)).toEqual(['card_request.cancelled']);
      expect((await auditOf(r.cardId)).map((a) => a.action)).toEqual(['card.cancel']);
      // The fund sees it in its feed.
      // Waits for this very event (older cancellations may already be served: an answer holding only them is no proof).
      const seen = await eventually(async () => {
        const feed = await t
          .http()
          .get('/v1/events')
          .query({ types: 'request.cancelled', limit: 1000 })
          .set(bearer(fundKey))
          .expect(200);
        return feed.body.items.some((e: { subjectId: string }) => e.subjectId === r.id);
      });
      expect(seen).toBe(true);

      const again = await cancel(r.id).expect(409);
      expect(again.body).toMatchObject({ status: 409, code: 'PIPELINE_CANNOT_CANCEL', requestStatus: 'cancelled' });
    });

    it('cancels a request waiting for its photo (no card)', async () => {
      const r = await insertRequest(t.dataSource, { status: S.FormSent });
      expect((await cancel(r.id).expect(200)).body).toMatchObject({
        previousStatus: 'form_sent',
        cancelledCardId: null,
      });
      expect((await requestRow(r.id)).status).toBe('cancelled');
    });

    it('refuses from in_personalisation on (409 PIPELINE_CANNOT_CANCEL) and changes nothing', async () => {
      for (const [status, cardState] of [
        [S.InPersonalisation, CardState.InPersonalisation],
        [S.Completed, CardState.Shipped],
      ] as const) {
        const r = await requestWithCard(t.dataSource, { status, cardState });
        const before = await requestRow(r.id);
        const res = await cancel(r.id).expect(409);
        expect(res.body).toMatchObject({ status: 409, code: 'PIPELINE_CANNOT_CANCEL', requestStatus: status });
        expect(await requestRow(r.id)).toEqual(before);
        expect(await eventsOf(r.id)).toEqual([]);
        expect(await auditOf(r.id)).toEqual([]);
        expect((await t.dataSource.query(`SELECT state::text FROM card WHERE id = $1`, [r.cardId]))[0].state).toBe(
          cardState,
        );
      }
    });

    it('rolls everything back when the card refuses to be cancelled', async () => {
      const r = await requestWithCard(t.dataSource, { status: S.Ordered, cardState: CardState.InPersonalisation });
      const before = await requestRow(r.id);
      expect((await cancel(r.id).expect(409)).body.code).toBe('CARD_TRANSITION_NOT_ALLOWED');
      expect(await requestRow(r.id)).toEqual(before);
      expect(await eventsOf(r.id)).toEqual([]);
      expect(await auditOf(r.id)).toEqual([]);
      const steps = await t.dataSource.query(`SELECT count(*)::int AS n FROM card_request_step WHERE request_id = $1`, [
        r.id,
      ]);
      expect(steps[0].n).toBe(1);
    });

    it('answers 404 for unknown ids and 403 for funds', async () => {
      expect((await cancel('00000000-0000-4000-8000-000000000000').expect(404)).body.code).toBe(
        'PIPELINE_REQUEST_NOT_FOUND',
      );
      const r = await insertRequest(t.dataSource, { status: S.FormSent });
      await t.http().post(`/v1/pipeline/requests/${r.id}/cancel`).set(bearer(fundKey)).expect(403);
      expect((await requestRow(r.id)).status).toBe('form_sent');
    });
  });

  describe('re-injector (EmissionReinjectStuck)', () => {
    it('re-injects idle system steps up to the limit, then flags them for review and tells the fund once', async () => {
      const ds = t.dataSource;
      const photoStuck = await insertRequest(ds, { status: S.PhotoReceived, idleHours: 50 });
      const photoId = await insertPhoto(ds, photoStuck.id, 'pending');
      const auto = await insertRequest(ds, { status: S.PhotoAvailable, autoOrder: true, idleHours: 50 });
      const ord1 = await insertRequest(ds, { status: S.Ordered, idleHours: 50 });
      const ord2 = await insertRequest(ds, { status: S.Ordered, idleHours: 70 });
      const p1 = await requestWithCard(ds, {
        status: S.InPersonalisation,
        cardState: CardState.InPersonalisation,
        idleHours: 50,
      });
      const p2 = await requestWithCard(ds, {
        status: S.InPersonalisation,
        cardState: CardState.InPersonalisation,
        idleHours: 50,
      });
      const batchId = await insertBatch(ds, vendorId, 'allocated', [p1.cardId, p2.cardId]);
      const atVendor = await requestWithCard(ds, {
        status: S.InPersonalisation,
        cardState: CardState.InPersonalisation,
        idleHours: 500,
      });
      await insertBatch(ds, vendorId, 'written', [atVendor.cardId]);
      const waiting = [
        await insertRequest(ds, { status: S.FormSent, idleHours: 500 }),
        await insertRequest(ds, { status: S.PhotoRejected, idleHours: 500 }),
        await insertRequest(ds, { status: S.PhotoAvailable, autoOrder: false, idleHours: 500 }),
        await insertRequest(ds, { status: S.PhotoReceived, idleHours: 10 }), // not idle long enough
        await insertRequest(ds, { status: S.Ordered, idleHours: 500, needsReview: true }), // already with a person
        await insertRequest(ds, { status: S.Completed, idleHours: 500 }),
      ];
      const atLimit = await insertRequest(ds, { status: S.PhotoReceived, idleHours: 50, reinjections: 3 });
      const atLimitPhoto = await insertPhoto(ds, atLimit.id, 'pending');
      const noJob = await insertRequest(ds, { status: S.PhotoReceived, idleHours: 50 }); // no pending photo: nothing could move it
      const untouched = [atVendor, ...waiting];
      const snapshot = await Promise.all(untouched.map((r) => requestRow(r.id)));
      const builds = (await jobsFor(JobName.EmissionBuildBatches)).length;

      await t.app.get(PipelineJobs).emissionReinjectStuck();

      for (const r of [photoStuck, auto, ord1, ord2, p1, p2])
        expect(await requestRow(r.id)).toMatchObject({ reinjections: 1, needs_review: false });
      expect(await jobsFor(JobName.PhotoCheck, (d) => d.photoId === photoId)).toHaveLength(1);
      expect(await jobsFor(JobName.EmissionAutoOrder, (d) => d.requestId === auto.id)).toHaveLength(1);
      expect(await jobsFor(JobName.EmissionWriteBatchFile, (d) => d.batchId === batchId)).toHaveLength(1); // once per batch
      expect(await jobsFor(JobName.EmissionBuildBatches)).toHaveLength(builds + 1); // once per run
      expect(await Promise.all(untouched.map((r) => requestRow(r.id)))).toEqual(snapshot);
      for (const r of untouched) expect(await eventsOf(r.id)).toEqual([]);
      expect((await auditOf(photoStuck.id)).map((a) => [a.action, a.actor_kind])).toEqual([
        ['card_request.reinjected', 'system'],
      ]);

      for (const [r, reason, reinjections] of [
        [atLimit, 'reinject_limit', 3],
        [noJob, 'no_job', 0],
      ] as const) {
        expect(await requestRow(r.id)).toMatchObject({ needs_review: true, reinjections });
        expect(await eventsOf(r.id)).toEqual([
          {
            type: 'request.needs_review',
            data: { requestId: r.id, formNumber: expect.any(String), status: 'photo_received', reinjections, reason },
          },
        ]);
      }
      expect(await jobsFor(JobName.PhotoCheck, (d) => d.photoId === atLimitPhoto)).toHaveLength(0);

      // Run again at once: a re-injected request waits another full period, a flagged one is not told twice.
      const reinjector = t.app.get(ReinjectorService);
      expect(await reinjector.run()).toMatchObject({ reinjected: 0, flaggedForReview: 0 });
      expect(await requestRow(photoStuck.id)).toMatchObject({ reinjections: 1 });
      expect(await eventsOf(atLimit.id)).toHaveLength(1);

      // Time passes (another period without progress), three times: two more re-injections, then review.
      const passPeriod = () =>
        ds.query(`UPDATE card_request SET updated_at = now() - interval '49 hours' WHERE id = $1`, [photoStuck.id]);
      for (const expected of [2, 3]) {
        await passPeriod();
        await reinjector.run();
        expect(await requestRow(photoStuck.id)).toMatchObject({ reinjections: expected, needs_review: false });
      }
      expect(await jobsFor(JobName.PhotoCheck, (d) => d.photoId === photoId)).toHaveLength(3);
      await passPeriod();
      await reinjector.run();
      expect(await requestRow(photoStuck.id)).toMatchObject({ reinjections: 3, needs_review: true });
      expect(await jobsFor(JobName.PhotoCheck, (d) => d.photoId === photoId)).toHaveLength(3);
      await passPeriod();
      await reinjector.run();
      expect((await eventsOf(photoStuck.id)).map((e) => e.type)).toEqual(['request.needs_review']);

      // The operator's retry clears the flag and gives the re-injector its attempts back.
      await t.http().post(`/v1/pipeline/requests/${photoStuck.id}/retry`).set(op()).expect(200);
      expect(await requestRow(photoStuck.id)).toMatchObject({ reinjections: 0, needs_review: false });
    });

    it('the hourly cron only enqueues the singleton job', async () => {
      const scheduler = t.app.get(JobScheduler);
      const count = async () => (await queuedJobs(t.dataSource, JobName.EmissionReinjectStuck)).length;
      const before = await count();
      await scheduler.tick(JobName.EmissionReinjectStuck);
      await scheduler.tick(JobName.EmissionReinjectStuck);
      expect(await count()).toBe(before + 1);
    });
  });
});
