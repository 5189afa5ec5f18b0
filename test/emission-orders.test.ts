import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState, OppositionReason } from '../src/cards/card-state.enum.js';
import { RequestReason, RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { JobsService } from '../src/platform/jobs/jobs.service.js';
import { insertCard } from './support/factories.js';
import {
  counts,
  ORG_A,
  ORG_B,
  ORG_MSA,
  requestReadyToOrder,
  requestRow,
  tempDataDir,
  waitFor,
} from './support/order-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const stable = (body: Record<string, unknown>) => {
  const { requestId: _r, instance: _i, ...rest } = body;
  return rest;
};

describe('step 4: ordering the card', () => {
  let t: TestApp;
  let fundA: Record<string, string>;
  let fundB: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ dataDir: tempDataDir(), sftpPort: 0 });
    fundA = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    fundB = bearer((await t.partner(PartnerKind.Fund, ORG_B)).key);
  });
  afterAll(async () => {
    await t?.close();
  });

  const order = (id: string, headers = fundA) => t.http().post(`/v1/card-requests/${id}/order`).set(headers).send();
  const cardsOf = (beneficiaryId: string) =>
    t.dataSource.query(
      `SELECT id, state, serial, organisme_code, opposition_reason FROM card WHERE beneficiary_id = $1 ORDER BY created_at`,
      [beneficiaryId],
    );
  const eventsOf = (requestId: string) =>
    t.dataSource.query(`SELECT type, subject_type, data FROM fund_event WHERE data->>'requestId' = $1 ORDER BY id`, [
      requestId,
    ]);

  it('orders a card: request ordered with its card (no serial yet), a step row, card.ordered, audited', async () => {
    const r = await requestReadyToOrder(t);
    const res = await order(r.requestId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      requestId: r.requestId,
      status: 'ordered',
      cardState: 'ordered',
      replacedCardId: null,
      opposedCardIds: [],
    });
    const cards = await cardsOf(r.beneficiary.id);
    expect(cards).toEqual([
      expect.objectContaining({ id: res.body.cardId, state: 'ordered', serial: null, organisme_code: ORG_A }),
    ]);
    const row = await requestRow(t.dataSource, r.requestId);
    expect(row).toMatchObject({ status: 'ordered', card_id: res.body.cardId });
    const steps = await t.dataSource.query(`SELECT status FROM card_request_step WHERE request_id = $1 ORDER BY id`, [
      r.requestId,
    ]);
    expect(steps.map((s: { status: string }) => s.status)).toEqual(['photo_available', 'ordered']);
    const events = await eventsOf(r.requestId);
    expect(events).toEqual([expect.objectContaining({ type: 'card.ordered', subject_type: 'card_request' })]);
    expect(events[0].data).toMatchObject({ cardId: res.body.cardId, automatic: false });
    const audit = await t.dataSource.query(
      `SELECT action, actor_kind FROM audit_entry WHERE entity_id IN ($1, $2) ORDER BY id`,
      [r.requestId, res.body.cardId],
    );
    expect(audit).toEqual([
      { action: 'card.issue', actor_kind: 'fund' },
      { action: 'card_request.order', actor_kind: 'fund' },
    ]);
  });

  it('a second order of the same request is refused and makes no second card', async () => {
    const r = await requestReadyToOrder(t);
    expect((await order(r.requestId)).status).toBe(200);
    const again = await order(r.requestId);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'ORDER_REQUEST_NOT_READY', status: 409, requestStatus: 'ordered' });
    expect(await cardsOf(r.beneficiary.id)).toHaveLength(1);
  });

  it('a lost card is opposed in the same transaction (reason lost), with card.opposed', async () => {
    const holder = await requestReadyToOrder(t, { photo: false, status: RequestStatus.Cancelled });
    const old = await insertCard(t.dataSource, { beneficiaryId: holder.beneficiary.id, state: CardState.Active });
    const r = await requestReadyToOrder(t, {
      beneficiary: holder.beneficiary,
      reason: RequestReason.Lost,
      replacedCardId: old.id,
    });
    const res = await order(r.requestId);
    expect(res.status).toBe(200);
    expect(res.body.opposedCardIds).toEqual([old.id]);
    const cards = await cardsOf(r.beneficiary.id);
    expect(cards.find((c: { id: string }) => c.id === old.id)).toMatchObject({
      state: 'opposed',
      opposition_reason: OppositionReason.Lost,
    });
    expect((await eventsOf(r.requestId)).map((e: { type: string }) => e.type)).toEqual([
      'card.opposed',
      'card.ordered',
    ]);
  });

  it('a stolen card is opposed with reason stolen', async () => {
    const holder = await requestReadyToOrder(t, { photo: false, status: RequestStatus.Cancelled });
    const old = await insertCard(t.dataSource, { beneficiaryId: holder.beneficiary.id, state: CardState.Active });
    const r = await requestReadyToOrder(t, {
      beneficiary: holder.beneficiary,
      reason: RequestReason.Stolen,
      replacedCardId: old.id,
    });
    expect((await order(r.requestId)).status).toBe(200);
    expect((await cardsOf(r.beneficiary.id)).find((c: { id: string }) => c.id === old.id)).toMatchObject({
      state: 'opposed',
      opposition_reason: 'stolen',
    });
  });

  it('a damaged card stays active until the new one is activated', async () => {
    const holder = await requestReadyToOrder(t, { photo: false, status: RequestStatus.Cancelled });
    const old = await insertCard(t.dataSource, { beneficiaryId: holder.beneficiary.id, state: CardState.Active });
    const r = await requestReadyToOrder(t, {
      beneficiary: holder.beneficiary,
      reason: RequestReason.Damaged,
      replacedCardId: old.id,
    });
    const res = await order(r.requestId);
    expect(res.status).toBe(200);
    expect(res.body.opposedCardIds).toEqual([]);
    expect((await cardsOf(r.beneficiary.id)).find((c: { id: string }) => c.id === old.id)).toMatchObject({
      state: 'active',
      opposition_reason: null,
    });
  });

  describe('each refusal has its code and changes nothing', () => {
    async function refused(requestId: string, code: string, headers = fundA): Promise<Record<string, unknown>> {
      const before = { row: await requestRow(t.dataSource, requestId), counts: await counts(t.dataSource) };
      const res = await order(requestId, headers);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe(code);
      expect(await requestRow(t.dataSource, requestId)).toEqual(before.row);
      expect(await counts(t.dataSource)).toEqual(before.counts);
      return res.body;
    }

    it('ORDER_REQUEST_NOT_READY (409) before the photo is available', async () => {
      for (const status of [
        RequestStatus.FormSent,
        RequestStatus.PhotoReceived,
        RequestStatus.PhotoRejected,
        RequestStatus.Cancelled,
      ]) {
        const r = await requestReadyToOrder(t, { status, photo: false });
        const body = await refused(r.requestId, 'ORDER_REQUEST_NOT_READY');
        expect(body).toMatchObject({ status: 409, requestStatus: status });
      }
    });

    it('ORDER_NOT_AFFILIATED (409) when the insured left the organisme', async () => {
      const r = await requestReadyToOrder(t);
      await t.dataSource.query(`UPDATE affiliation SET valid_to = current_date - 1 WHERE beneficiary_id = $1`, [
        r.beneficiary.id,
      ]);
      await refused(r.requestId, 'ORDER_NOT_AFFILIATED');
    });

    it('ORDER_NOT_AFFILIATED (409) when the insured is now affiliated elsewhere', async () => {
      const r = await requestReadyToOrder(t);
      await t.dataSource.query(`UPDATE affiliation SET organisme_code = $2 WHERE beneficiary_id = $1`, [
        r.beneficiary.id,
        ORG_B,
      ]);
      await refused(r.requestId, 'ORDER_NOT_AFFILIATED');
    });

    it('ORDER_PHOTO_MISSING (409): no photo, a refused photo, or its image files gone', async () => {
      await refused((await requestReadyToOrder(t, { photo: false })).requestId, 'ORDER_PHOTO_MISSING');
      await refused((await requestReadyToOrder(t, { photo: 'rejected' })).requestId, 'ORDER_PHOTO_MISSING');
      await refused((await requestReadyToOrder(t, { photo: 'no-file' })).requestId, 'ORDER_PHOTO_MISSING');
    });

    it('ORDER_PHOTO_TOO_OLD (409) past PHOTO_MAX_AGE_DAYS', async () => {
      const r = await requestReadyToOrder(t, { photoAgeDays: t.config.photoMaxAgeDays + 1 });
      const body = await refused(r.requestId, 'ORDER_PHOTO_TOO_OLD');
      expect(body.maxAgeDays).toBe(t.config.photoMaxAgeDays);
      // One day younger is fine.
      expect(
        (await order((await requestReadyToOrder(t, { photoAgeDays: t.config.photoMaxAgeDays - 1 })).requestId)).status,
      ).toBe(200);
    });

    it('ORDER_ACTIVE_CARD_EXISTS (409): an active card in another regime, or one on its way, that the request does not replace', async () => {
      const r1 = await requestReadyToOrder(t);
      await insertCard(t.dataSource, {
        beneficiaryId: r1.beneficiary.id,
        organismeCode: ORG_MSA,
        state: CardState.Active,
      });
      await refused(r1.requestId, 'ORDER_ACTIVE_CARD_EXISTS');

      const r2 = await requestReadyToOrder(t);
      await insertCard(t.dataSource, { beneficiaryId: r2.beneficiary.id, state: CardState.Shipped });
      await refused(r2.requestId, 'ORDER_ACTIVE_CARD_EXISTS');

      // Replacing a card of another regime is allowed: that card is the one replaced.
      const holder = await requestReadyToOrder(t, { photo: false, status: RequestStatus.Cancelled });
      const msaCard = await insertCard(t.dataSource, {
        beneficiaryId: holder.beneficiary.id,
        organismeCode: ORG_MSA,
        state: CardState.Active,
      });
      const r3 = await requestReadyToOrder(t, {
        beneficiary: holder.beneficiary,
        reason: RequestReason.Lost,
        replacedCardId: msaCard.id,
      });
      const res = await order(r3.requestId);
      expect(res.status).toBe(200);
      expect(res.body.opposedCardIds).toEqual([msaCard.id]);
    });

    it("another fund's request answers exactly like an unknown one (404 REQUEST_NOT_FOUND)", async () => {
      const r = await requestReadyToOrder(t);
      const other = await refused(r.requestId, 'REQUEST_NOT_FOUND', fundB);
      const unknown = await order('5f0c4a52-8f8b-4bb3-9a5b-3f1a3c1d2e4f', fundB);
      const malformed = await order('not-a-uuid', fundB);
      expect(unknown.status).toBe(404);
      expect(stable(other)).toEqual(stable(unknown.body));
      expect(stable(malformed.body)).toEqual(stable(unknown.body));
      expect((await requestRow(t.dataSource, r.requestId)).status).toBe('photo_available');
    });
  });

  it('only funds order (operators and vendors are refused)', async () => {
    const r = await requestReadyToOrder(t);
    expect((await order(r.requestId, bearer(t.operatorKey))).status).toBe(403);
    expect((await order(r.requestId, bearer((await t.partner(PartnerKind.PersonalisationVendor)).key))).status).toBe(
      403,
    );
  });

  it('EmissionAutoOrder orders with the same checks for requests that ask for it, and leaves the others', async () => {
    const jobs = t.app.get(JobsService);
    const auto = await requestReadyToOrder(t, { autoOrder: true });
    const manual = await requestReadyToOrder(t, { autoOrder: false });
    const tooOld = await requestReadyToOrder(t, { autoOrder: true, photoAgeDays: 1000 });
    await t.dataSource.transaction(async (em) => {
      for (const r of [auto, manual, tooOld])
        await jobs.send(em, JobName.EmissionAutoOrder, { requestId: r.requestId });
    });
    await waitFor(async () => (await requestRow(t.dataSource, auto.requestId)).status === 'ordered', 'auto order');
    const events = await eventsOf(auto.requestId);
    expect(events[0].data).toMatchObject({ automatic: true });
    const audit = await t.dataSource.query(
      `SELECT actor_kind FROM audit_entry WHERE entity_id = $1 AND action = 'card_request.order'`,
      [auto.requestId],
    );
    expect(audit).toEqual([{ actor_kind: 'system' }]);
    // The refused ones complete as jobs (no retry storm) and stay where the fund sees them.
    await waitFor(async () => {
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state = 'completed'`,
        [JobName.EmissionAutoOrder],
      );
      return n >= 3;
    }, 'auto-order jobs to complete');
    expect((await requestRow(t.dataSource, manual.requestId)).status).toBe('photo_available');
    expect((await requestRow(t.dataSource, tooOld.requestId)).status).toBe('photo_available');
  });
});
