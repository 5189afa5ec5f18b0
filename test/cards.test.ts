import { formatSerial } from '../src/cards/card-serial.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CARD_ACTIONS, CardAction } from '../src/cards/card-action.enum.js';
import { CardState, OppositionReason } from '../src/cards/card-state.enum.js';
import { nextCardState } from '../src/cards/card-transitions.js';
import { CardsService } from '../src/cards/cards.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { systemActor, type Actor } from '../src/platform/auth/actor.js';
import { DomainError } from '../src/platform/errors/domain-error.js';
import { cardAuditEntries, cardIn, cardRowBySerial, UNKNOWN_SERIAL } from './support/card-fixtures.js';
import { insertBatch } from './support/event-fixtures.js';
import { insertBeneficiary } from './support/factories.js';
import { createVendor } from './support/vendor-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const S = CardState;
const A = CardAction;
const ORG_A = '017510001';
const ORG_B = '016910001';
const CARD_KEYS = [
  'beneficiaryId',
  'createdAt',
  'dataVersion',
  'generation',
  'id',
  'oppositionReason',
  'organismeCode',
  'origin',
  'serial',
  'state',
  'stateChangedAt',
];

/** A problem body without what differs from one request to the next. */
const stable = (body: Record<string, unknown>) => {
  const { requestId: _r, instance: _i, ...rest } = body;
  return rest;
};

describe('card records', () => {
  let t: TestApp;
  let cards: CardsService;
  let op: Record<string, string>;
  let fundA: Record<string, string>;
  let fundB: Record<string, string>;
  const operatorActor: Actor = systemActor();

  beforeAll(async () => {
    t = await startTestApp({ rateLimitPerMinute: 3 });
    cards = t.app.get(CardsService);
    op = bearer(t.operatorKey);
    fundA = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    fundB = bearer((await t.partner(PartnerKind.Fund, ORG_B)).key);
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (serial: string, body: Record<string, unknown>, headers = op) =>
    t.http().post(`/v1/cards/${serial}/transitions`).set(headers).send(body);

  describe('issuing', () => {
    it('creates an ordered card without serial, audited under its id', async () => {
      const holder = await insertBeneficiary(t.dataSource);
      const c = await t.dataSource.transaction((em) =>
        cards.issue(em, operatorActor, { beneficiaryId: holder.id, organismeCode: ORG_A }),
      );
      expect(Object.keys(c).sort()).toEqual(CARD_KEYS);
      expect(c).toMatchObject({
        serial: null,
        state: S.Ordered,
        beneficiaryId: holder.id,
        organismeCode: ORG_A,
        oppositionReason: null,
        dataVersion: 2,
      }); // issued with its identity and organisme records (versions 1, 2)
      const audit = await t.dataSource.query(
        `SELECT action, organisme_code, details FROM audit_entry WHERE entity_type = 'card' AND entity_id = $1`,
        [c.id],
      );
      expect(audit).toEqual([
        {
          action: 'card.issue',
          organisme_code: ORG_A,
          details: { serial: null, from: null, to: S.Ordered, reason: null },
        },
      ]);
      const listed = await t.http().get('/v1/cards').query({ beneficiaryId: holder.id }).set(op).expect(200);
      expect(listed.body.items.map((x: { id: string; serial: string | null }) => [x.id, x.serial])).toEqual([
        [c.id, null],
      ]);
    });

    it('puts ordered cards in a batch with consecutive serials from the counter row, never twice, and gives them back on rollback', async () => {
      const holder = await insertBeneficiary(t.dataSource);
      const vendor = await createVendor(t, { login: 'cardsbatchvendor' });
      const batchId = await insertBatch(t.dataSource, vendor.partnerId, 'allocated', []);
      const ordered = await t.dataSource.transaction(async (em) => [
        await cards.issue(em, operatorActor, { beneficiaryId: holder.id, organismeCode: ORG_A }),
        await cards.issue(em, operatorActor, { beneficiaryId: holder.id, organismeCode: ORG_A }),
      ]);
      const ids = ordered.map((c) => c.id);
      const [[{ next }]] = [await t.dataSource.query(`SELECT next_serial::text AS next FROM serial_allocator`)];
      await expect(
        t.dataSource.transaction(async (em) => {
          await cards.assignToBatch(em, operatorActor, batchId, ids);
          throw new Error('crash before commit');
        }),
      ).rejects.toThrow('crash before commit');
      expect((await t.dataSource.query(`SELECT next_serial::text AS next FROM serial_allocator`))[0].next).toBe(next);
      const serials = await t.dataSource.transaction((em) => cards.assignToBatch(em, operatorActor, batchId, ids));
      expect([serials.get(ids[0]), serials.get(ids[1])]).toEqual([next, (BigInt(next) + 1n).toString()]);
      await expect(
        t.dataSource.transaction((em) => cards.assignToBatch(em, operatorActor, batchId, [ids[0]])),
      ).rejects.toMatchObject({ code: 'CARD_NOT_ASSIGNABLE' });
      expect((await t.dataSource.query(`SELECT next_serial::text AS next FROM serial_allocator`))[0].next).toBe(
        (BigInt(next) + 2n).toString(),
      );
      const res = await t
        .http()
        .get(`/v1/cards/${formatSerial(next)}`)
        .set(op)
        .expect(200);
      expect(res.body).toMatchObject({ id: ids[0], state: S.InPersonalisation });
      const rows = await t.dataSource.query(`SELECT batch_id::text AS batch FROM card WHERE id = ANY($1::uuid[])`, [
        ids,
      ]);
      expect(rows).toEqual([{ batch: batchId }, { batch: batchId }]);
      const audit = await cardAuditEntries(t.dataSource, formatSerial(next));
      expect(audit.map((a) => [a.action, a.details.from, a.details.to])).toEqual([
        ['card.issue', null, S.Ordered],
        ['card.start_personalisation', S.Ordered, S.InPersonalisation],
      ]);
    });

    it('audits a set-based move, in the statement that moves the cards, as one card at a time would', async () => {
      const partnerId = (await t.partner(PartnerKind.Fund, ORG_A)).id;
      const fund: Actor = { ...systemActor('req-set-based'), kind: PartnerKind.Fund, partnerId, organismeCode: ORG_A };
      const entries = async (serial12: string) =>
        (
          await t.dataSource.query(
            `SELECT action, actor_partner_id, actor_kind, request_id, organisme_code, details FROM audit_entry
              WHERE entity_type = 'card' AND entity_id = (SELECT id::text FROM card WHERE serial = $1) ORDER BY id`,
            [BigInt(serial12).toString()],
          )
        ).map((e: { details: Record<string, unknown> }) => ({ ...e, details: { ...e.details, serial: 'x' } }));
      // Ship then activate: one card step by step, the other set-based (one row update, both steps audited).
      const [one, many] = [
        await cardIn(t.dataSource, S.InPersonalisation),
        await cardIn(t.dataSource, S.InPersonalisation),
      ];
      await t.dataSource.transaction(async (em) => {
        await cards.transitionIn(em, fund, one.serial12, A.Ship);
        await cards.transitionIn(em, fund, one.serial12, A.Activate);
        await cards.transitionPathManyByIdIn(em, fund, [many.id], [A.Ship, A.Activate]);
      });
      const [byOne, byMany] = [await entries(one.serial12), await entries(many.serial12)];
      expect(byMany).toEqual(byOne);
      expect(byMany.map((e: { action: string }) => e.action)).toEqual(['card.ship', 'card.activate']);
      expect((await cardAuditEntries(t.dataSource, many.serial12))[1].details).toEqual({
        serial: many.serial12,
        from: S.Shipped,
        to: S.Active,
        reason: null,
      });
      // An opposition, with its reason.
      await t.dataSource.transaction(async (em) => {
        await cards.transitionIn(em, fund, one.serial12, A.Oppose, { reason: OppositionReason.Lost });
        await cards.transitionManyByIdIn(em, fund, [many.id], A.Oppose, { reason: OppositionReason.Lost });
      });
      expect(await entries(many.serial12)).toEqual(await entries(one.serial12));
      // Issued: one by one, or many in one statement.
      const [h1, h2] = [
        await insertBeneficiary(t.dataSource, { organismeCode: ORG_A }),
        await insertBeneficiary(t.dataSource, { organismeCode: ORG_A }),
      ];
      const [single, [multi]] = await t.dataSource.transaction(async (em) => [
        await cards.issue(em, fund, { beneficiaryId: h1.id, organismeCode: ORG_A }),
        await cards.issueMany(em, fund, [{ beneficiaryId: h2.id, organismeCode: ORG_A }]),
      ]);
      const issued = async (id: string) =>
        t.dataSource.query(
          `SELECT action, actor_partner_id, actor_kind, request_id, organisme_code, details FROM audit_entry WHERE entity_id = $1 ORDER BY id`,
          [id],
        );
      expect(await issued(multi.id)).toEqual(await issued(single.id));
      expect((await issued(multi.id))[0]).toMatchObject({
        action: 'card.issue',
        details: { serial: null, from: null, to: S.Ordered, reason: null },
      });
      // Refused as a whole: nothing moved, nothing audited (the caller rolls back).
      await expect(
        t.dataSource.transaction((em) => cards.transitionManyByIdIn(em, fund, [many.id, one.id], A.Activate)),
      ).rejects.toMatchObject({ code: 'CARD_TRANSITION_NOT_ALLOWED' });
      expect(await entries(many.serial12)).toHaveLength(3);
    });

    it('refuses an unknown holder with a domain error', async () => {
      await expect(
        t.dataSource.transaction((em) =>
          cards.issue(em, operatorActor, {
            beneficiaryId: '00000000-0000-4000-8000-000000000000',
            organismeCode: ORG_A,
          }),
        ),
      ).rejects.toMatchObject({ code: 'BENEFICIARY_NOT_FOUND', status: 404 });
    });
  });

  describe('transitions over HTTP', () => {
    it('walks a card from order to destruction, each step audited and in its history', async () => {
      const card = await cardIn(t.dataSource, S.Ordered);
      const steps: Array<[CardAction, CardState, OppositionReason?]> = [
        [A.StartPersonalisation, S.InPersonalisation],
        [A.Ship, S.Shipped],
        [A.ReturnUndeliverable, S.ReturnedUndeliverable],
        [A.Reship, S.Shipped],
        [A.Activate, S.Active],
        [A.Oppose, S.Opposed, OppositionReason.Stolen],
        [A.Destroy, S.Destroyed],
      ];
      let from: CardState = S.Ordered;
      for (const [action, to, reason] of steps) {
        const res = await post(card.serial12, reason ? { action, reason } : { action }).expect(200);
        expect(Object.keys(res.body).sort()).toEqual(CARD_KEYS);
        expect(res.body).toMatchObject({ serial: card.serial12, state: to, oppositionReason: reason ?? null });
        const row = await cardRowBySerial(t.dataSource, card.serial);
        expect(row.state).toBe(to);
        from = to;
      }
      expect(from).toBe(S.Destroyed);
      const audit = await cardAuditEntries(t.dataSource, card.serial12);
      expect(audit.map((a) => a.action)).toEqual(steps.map(([a]) => `card.${a}`));
      expect(audit[5]).toMatchObject({
        actor_kind: 'operator',
        organisme_code: ORG_A,
        details: { from: S.Active, to: S.Opposed, reason: OppositionReason.Stolen },
      });
      // No personal data in the trail: states, reasons, nothing else.
      for (const a of audit) expect(Object.keys(a.details).sort()).toEqual(['from', 'reason', 'serial', 'to']);

      const history = await t.http().get(`/v1/cards/${card.serial12}/history`).set(fundA).expect(200);
      expect(history.body.serial).toBe(card.serial12);
      expect(history.body.items.map((i: { action: string; to: string }) => [i.action, i.to])).toEqual(
        steps.map(([a, to]) => [`card.${a}`, to]),
      );
      expect(history.body.items[5]).toMatchObject({
        from: S.Active,
        to: S.Opposed,
        reason: OppositionReason.Stolen,
        actorKind: 'operator',
      });
    });

    it.each([S.Shipped, S.Active, S.ReturnedUndeliverable])(
      'opposes a %s card with a reason and a withdrawal restores exactly that state',
      async (state) => {
        const card = await cardIn(t.dataSource, state);
        const opposed = await post(card.serial12, { action: A.Oppose, reason: OppositionReason.Lost }).expect(200);
        expect(opposed.body).toMatchObject({ state: S.Opposed, oppositionReason: OppositionReason.Lost });
        expect(await cardRowBySerial(t.dataSource, card.serial)).toMatchObject({
          state: S.Opposed,
          previous_state: state,
          opposition_reason: 'lost',
        });

        // Opposed is not suspended: only a withdrawal brings it back, never activate or reship.
        await post(card.serial12, { action: A.Activate }).expect(409);
        const back = await post(card.serial12, { action: A.WithdrawOpposition }).expect(200);
        expect(back.body).toMatchObject({ state, oppositionReason: null });
        expect(await cardRowBySerial(t.dataSource, card.serial)).toMatchObject({
          state,
          previous_state: null,
          opposition_reason: null,
        });
        const audit = await cardAuditEntries(t.dataSource, card.serial12);
        expect(audit.map((a) => a.details)).toEqual([
          { serial: card.serial12, from: state, to: S.Opposed, reason: 'lost' },
          { serial: card.serial12, from: S.Opposed, to: state, reason: null },
        ]);
      },
    );

    it('refuses oppose without a reason (422) and a reason on another action, changing nothing', async () => {
      const card = await cardIn(t.dataSource, S.Active);
      const before = await cardRowBySerial(t.dataSource, card.serial);
      const res = await post(card.serial12, { action: A.Oppose }).expect(422);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('OPPOSITION_REASON_REQUIRED');
      const other = await cardIn(t.dataSource, S.Shipped);
      expect((await post(other.serial12, { action: A.Activate, reason: 'lost' }).expect(422)).body.code).toBe(
        'OPPOSITION_REASON_NOT_APPLICABLE',
      );
      expect((await post(card.serial12, { action: A.Oppose, reason: 'misplaced' }).expect(400)).body.code).toBe(
        'VALIDATION_FAILED',
      );
      expect((await post(card.serial12, { action: 'reactivate' }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect(await cardRowBySerial(t.dataSource, card.serial)).toEqual(before);
      expect(await cardAuditEntries(t.dataSource, card.serial12)).toEqual([]);
    });

    it.each([
      [S.Cancelled, A.Activate],
      [S.Destroyed, A.WithdrawOpposition],
      [S.Active, A.Activate],
      [S.Opposed, A.Activate],
      [S.Ordered, A.Ship],
      [S.InPersonalisation, A.Cancel],
      [S.Shipped, A.Destroy],
    ])('refuses %s + %s over HTTP with CARD_TRANSITION_NOT_ALLOWED, row unchanged', async (state, action) => {
      const card = await cardIn(t.dataSource, state);
      const before = await cardRowBySerial(t.dataSource, card.serial);
      const res = await post(card.serial12, { action }).expect(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 409, code: 'CARD_TRANSITION_NOT_ALLOWED', state, action });
      expect(res.body.detail).toContain(state);
      expect(res.body.detail).toContain(action);
      expect(await cardRowBySerial(t.dataSource, card.serial)).toEqual(before);
      expect(await cardAuditEntries(t.dataSource, card.serial12)).toEqual([]);
    });

    it('is for operators only; unknown or malformed serials are CARD_NOT_FOUND', async () => {
      const card = await cardIn(t.dataSource, S.Shipped);
      expect((await post(card.serial12, { action: A.Activate }, fundA).expect(403)).body.code).toBe(
        'PARTNER_KIND_FORBIDDEN',
      );
      expect((await post(UNKNOWN_SERIAL, { action: A.Activate }).expect(404)).body.code).toBe('CARD_NOT_FOUND');
      expect((await post('12ab', { action: A.Activate }).expect(404)).body.code).toBe('CARD_NOT_FOUND');
      expect((await cardRowBySerial(t.dataSource, card.serial)).state).toBe(S.Shipped);
    });
  });

  describe('the full matrix through the service', () => {
    it('refuses every pair the table does not allow, changing neither the row nor the audit trail', async () => {
      let refused = 0;
      for (const state of Object.values(CardState)) {
        // An opposed card is tried with a remembered state and without one (nothing to restore).
        const previousStates = state === S.Opposed ? [S.Active, null] : [null];
        for (const previousState of previousStates) {
          for (const action of ALL_CARD_ACTIONS) {
            if (nextCardState({ state, previousState }, action) !== null) continue;
            const card = await cardIn(t.dataSource, state, { previousState });
            const before = await cardRowBySerial(t.dataSource, card.serial);
            const reason = action === A.Oppose ? { reason: OppositionReason.Fraud } : {};
            const err = await cards.transition(operatorActor, card.serial12, action, reason).then(
              () => null,
              (e: unknown) => e,
            );
            expect(err, `${state}/${previousState}/${action}`).toBeInstanceOf(DomainError);
            expect(err, `${state}/${previousState}/${action}`).toMatchObject({
              code: 'CARD_TRANSITION_NOT_ALLOWED',
              status: 409,
            });
            expect(await cardRowBySerial(t.dataSource, card.serial)).toEqual(before);
            expect(await cardAuditEntries(t.dataSource, card.serial12)).toEqual([]);
            refused++;
          }
        }
      }
      // 8 states x 10 actions = 80 pairs, 14 allowed (withdraw counted once) = 66 refused, + 9 for the opposed card with no previous state (all but destroy).
      expect(refused).toBe(66 + 9);
    });

    it('applies every allowed pair to its documented target', async () => {
      for (const state of Object.values(CardState)) {
        for (const action of ALL_CARD_ACTIONS) {
          const to = nextCardState({ state, previousState: S.Shipped }, action);
          if (to === null) continue;
          const card = await cardIn(t.dataSource, state, { previousState: S.Shipped });
          const reason = action === A.Oppose ? { reason: OppositionReason.Fraud } : {};
          const view = await cards.transition(operatorActor, card.serial12, action, reason);
          expect(view.state, `${state}/${action}`).toBe(to);
          expect((await cardRowBySerial(t.dataSource, card.serial)).state).toBe(to);
          // (A card back in use after a withdrawal also gets the register's chip records: audited card.data_changed.)
          const entries = (await cardAuditEntries(t.dataSource, card.serial12)).filter(
            (a) => a.details.source !== 'register',
          );
          expect(entries.map((a) => a.action)).toEqual([`card.${action}`]);
        }
      }
    });

    it('transitionIn joins the caller transaction: a rollback undoes the state and its audit entry', async () => {
      const card = await cardIn(t.dataSource, S.Shipped);
      const before = await cardRowBySerial(t.dataSource, card.serial);
      await expect(
        t.dataSource.transaction(async (em) => {
          await cards.transitionIn(em, operatorActor, card.serial12, A.Activate);
          throw new Error('caller fails later');
        }),
      ).rejects.toThrow('caller fails later');
      expect(await cardRowBySerial(t.dataSource, card.serial)).toEqual(before);
      expect(await cardAuditEntries(t.dataSource, card.serial12)).toEqual([]);
    });
  });

  describe('one usable card (shipped or active) per holder', () => {
    it('lets exactly one of two simultaneous reships win', async () => {
      for (let round = 0; round < 3; round++) {
        const holder = await insertBeneficiary(t.dataSource);
        const c1 = await cardIn(t.dataSource, S.ReturnedUndeliverable, { beneficiaryId: holder.id });
        const c2 = await cardIn(t.dataSource, S.ReturnedUndeliverable, { beneficiaryId: holder.id });
        const results = await Promise.all([
          post(c1.serial12, { action: A.Reship }),
          post(c2.serial12, { action: A.Reship }),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        const loser = results.find((r) => r.status === 409)!;
        expect(loser.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(loser.body.code).toBe('CARD_HOLDER_HAS_USABLE_CARD');
        const rows: Array<{ serial: string; state: string }> = await t.dataSource.query(
          `SELECT serial::text, state FROM card WHERE beneficiary_id = $1 ORDER BY serial`,
          [holder.id],
        );
        expect(rows.filter((r) => r.state === S.Shipped)).toHaveLength(1);
        expect(rows.filter((r) => r.state === S.ReturnedUndeliverable)).toHaveLength(1);
        // The loser's refusal left no trace in the audit trail.
        const entries = [
          ...(await cardAuditEntries(t.dataSource, c1.serial12)),
          ...(await cardAuditEntries(t.dataSource, c2.serial12)),
        ];
        expect(entries.map((e) => e.action)).toEqual(['card.reship']);
      }
    });

    it('refuses a reship, an activation or a withdrawal to shipped or active while the holder has another usable card', async () => {
      for (const other of [S.Active, S.Shipped]) {
        const holder = await insertBeneficiary(t.dataSource);
        await cardIn(t.dataSource, other, { beneficiaryId: holder.id });
        const returned = await cardIn(t.dataSource, S.ReturnedUndeliverable, { beneficiaryId: holder.id });
        const toShipped = await cardIn(t.dataSource, S.Opposed, { beneficiaryId: holder.id, previousState: S.Shipped });
        const toActive = await cardIn(t.dataSource, S.Opposed, { beneficiaryId: holder.id, previousState: S.Active });
        for (const [card, action] of [
          [returned, A.Reship],
          [toShipped, A.WithdrawOpposition],
          [toActive, A.WithdrawOpposition],
        ] as const) {
          const before = await cardRowBySerial(t.dataSource, card.serial);
          const res = await post(card.serial12, { action }).expect(409);
          expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
          expect(res.body.code, `${other}: ${card.state} ${action}`).toBe('CARD_HOLDER_HAS_USABLE_CARD');
          expect(await cardRowBySerial(t.dataSource, card.serial)).toEqual(before);
          expect(await cardAuditEntries(t.dataSource, card.serial12)).toEqual([]);
        }
      }
      // Once the other card is opposed, the same reship goes through.
      const holder = await insertBeneficiary(t.dataSource);
      const first = await cardIn(t.dataSource, S.Active, { beneficiaryId: holder.id });
      const returned = await cardIn(t.dataSource, S.ReturnedUndeliverable, { beneficiaryId: holder.id });
      await post(first.serial12, { action: A.Oppose, reason: OppositionReason.Lost }).expect(200);
      await post(returned.serial12, { action: A.Reship }).expect(200);
    });

    it('is enforced by the database itself for every usable state, even through raw SQL, as is serial uniqueness', async () => {
      const holder = await insertBeneficiary(t.dataSource);
      const active = await cardIn(t.dataSource, S.Active, { beneficiaryId: holder.id });
      const returned = await cardIn(t.dataSource, S.ReturnedUndeliverable, { beneficiaryId: holder.id });
      const refused = {
        driverError: expect.objectContaining({ code: '23505', constraint: 'card_one_usable_per_beneficiary' }),
      };
      for (const state of [S.Shipped, S.Active]) {
        await expect(
          t.dataSource.query(`UPDATE card SET state = $2 WHERE id = $1`, [returned.id, state]),
        ).rejects.toMatchObject(refused);
        await expect(
          t.dataSource.query(
            `INSERT INTO card (beneficiary_id, organisme_code, state, serial) VALUES ($1, $2, $3, 999999999990)`,
            [holder.id, ORG_A, state],
          ),
        ).rejects.toMatchObject(refused);
      }
      expect((await cardRowBySerial(t.dataSource, returned.serial)).state).toBe(S.ReturnedUndeliverable);
      await expect(
        t.dataSource.query(
          `INSERT INTO card (serial, beneficiary_id, organisme_code, state) VALUES ($1, $2, $3, 'ordered')`,
          [active.serial, holder.id, ORG_A],
        ),
      ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23505' }) });
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM card WHERE serial = $1`, [
        active.serial,
      ]);
      expect(n).toBe(1);
      // Cards not usable do not count: an ordered or opposed card beside the active one is fine.
      await cardIn(t.dataSource, S.Ordered, { beneficiaryId: holder.id });
      await cardIn(t.dataSource, S.Opposed, { beneficiaryId: holder.id });
    });
  });

  describe('reading and tenant isolation', () => {
    it('shows a fund its own cards and nothing of another fund, with the same 404 as a random serial', async () => {
      const mine = await cardIn(t.dataSource, S.Active, { organismeCode: ORG_A });
      const theirs = await cardIn(t.dataSource, S.Active, { organismeCode: ORG_B });

      const own = await t.http().get(`/v1/cards/${mine.serial12}`).set(fundA).expect(200);
      expect(Object.keys(own.body).sort()).toEqual(CARD_KEYS);
      expect(own.body).toMatchObject({
        serial: mine.serial12,
        beneficiaryId: mine.beneficiaryId,
        organismeCode: ORG_A,
        state: S.Active,
      });

      const random = await t.http().get(`/v1/cards/${UNKNOWN_SERIAL}`).set(fundA).expect(404);
      expect(random.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(random.body.code).toBe('CARD_NOT_FOUND');
      for (const path of [
        `/v1/cards/${theirs.serial12}`,
        `/v1/cards/${theirs.serial12}/history`,
        `/v1/cards/${UNKNOWN_SERIAL}/history`,
        '/v1/cards/not-a-serial',
        '/v1/cards/000000000000',
      ]) {
        const res = await t.http().get(path).set(fundA).expect(404);
        expect(stable(res.body), path).toEqual(stable(random.body));
      }
      // Fund B and the operator do see it.
      await t.http().get(`/v1/cards/${theirs.serial12}`).set(fundB).expect(200);
      await t.http().get(`/v1/cards/${theirs.serial12}`).set(op).expect(200);
      await t.http().get(`/v1/cards/${mine.serial12}`).set(fundB).expect(404);

      // Lists are filtered in SQL: fund A never lists B's cards, even when asking for them by holder or organisme.
      const listed = await t.http().get('/v1/cards').query({ limit: 1000 }).set(fundA).expect(200);
      expect(listed.body.items.every((c: { organismeCode: string }) => c.organismeCode === ORG_A)).toBe(true);
      expect(listed.body.items.map((c: { serial: string }) => c.serial)).toContain(mine.serial12);
      for (const query of [{ beneficiaryId: theirs.beneficiaryId }, { organismeCode: ORG_B }]) {
        const res = await t.http().get('/v1/cards').query(query).set(fundA).expect(200);
        expect(res.body).toEqual({ items: [], next: null });
      }
      const byOperator = await t
        .http()
        .get('/v1/cards')
        .query({ beneficiaryId: theirs.beneficiaryId })
        .set(op)
        .expect(200);
      expect(byOperator.body.items.map((c: { serial: string }) => c.serial)).toEqual([theirs.serial12]);
    });

    it('pages with a cursor and filters by holder and state', async () => {
      const holder = await insertBeneficiary(t.dataSource);
      const made = [];
      for (const state of [S.Ordered, S.ReturnedUndeliverable, S.Opposed, S.Destroyed, S.ReturnedUndeliverable]) {
        made.push(await cardIn(t.dataSource, state, { beneficiaryId: holder.id }));
      }
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 5; page++) {
        const res = await t
          .http()
          .get('/v1/cards')
          .query({ beneficiaryId: holder.id, limit: 2, ...(after ? { after } : {}) })
          .set(fundA)
          .expect(200);
        seen.push(...res.body.items.map((c: { serial: string }) => c.serial));
        after = res.body.next ?? undefined;
        if (!after) break;
      }
      expect([...seen].sort()).toEqual(made.map((c) => c.serial12).sort());
      expect(new Set(seen).size).toBe(made.length);
      const shipped = await t
        .http()
        .get('/v1/cards')
        .query({ beneficiaryId: holder.id, state: S.ReturnedUndeliverable })
        .set(op)
        .expect(200);
      expect(shipped.body.items.map((c: { serial: string }) => c.serial).sort()).toEqual(
        [made[1].serial12, made[4].serial12].sort(),
      );
      expect((await t.http().get('/v1/cards').query({ state: 'lost' }).set(op).expect(400)).body.code).toBe(
        'VALIDATION_FAILED',
      );
      expect((await t.http().get('/v1/cards').query({ beneficiaryId: 'x' }).set(op).expect(400)).body.code).toBe(
        'VALIDATION_FAILED',
      );
    });

    it('is closed to kiosks and pharmacy software, who only get card-status', async () => {
      const kiosk = bearer((await t.partner(PartnerKind.Kiosk)).key);
      const card = await cardIn(t.dataSource, S.Active);
      expect((await t.http().get(`/v1/cards/${card.serial12}`).set(kiosk).expect(403)).body.code).toBe(
        'PARTNER_KIND_FORBIDDEN',
      );
      await t.http().get('/v1/cards').expect(401);
    });
  });

  describe('card-status (kiosks and pharmacy software)', () => {
    it('answers state and blocked only, never holder data', async () => {
      const kiosk = bearer((await t.partner(PartnerKind.Kiosk)).key);
      const pharmacy = bearer((await t.partner(PartnerKind.PharmacySoftware)).key);
      const active = await cardIn(t.dataSource, S.Active);
      const opposed = await cardIn(t.dataSource, S.Opposed);
      const ok = await t.http().get(`/v1/card-status/${active.serial12}`).set(kiosk).expect(200);
      expect(ok.body).toEqual({ serial: active.serial12, state: S.Active, blocked: false });
      const blocked = await t.http().get(`/v1/card-status/${opposed.serial12}`).set(pharmacy).expect(200);
      expect(blocked.body).toEqual({ serial: opposed.serial12, state: S.Opposed, blocked: true });
      const unknown = await t.http().get(`/v1/card-status/${UNKNOWN_SERIAL}`).set(kiosk).expect(404);
      expect(unknown.body.code).toBe('CARD_NOT_FOUND');
      const malformed = await t.http().get('/v1/card-status/12345').set(kiosk).expect(404);
      expect(stable(malformed.body)).toEqual(stable(unknown.body));
      expect((await t.http().get(`/v1/card-status/${active.serial12}`).set(fundA).expect(403)).body.code).toBe(
        'PARTNER_KIND_FORBIDDEN',
      );
    });

    it('limits each credential and answers 429 RATE_LIMITED with Retry-After once exceeded', async () => {
      expect(t.config.rateLimitPerMinute).toBe(3);
      const kiosk = bearer((await t.partner(PartnerKind.Kiosk)).key);
      const other = bearer((await t.partner(PartnerKind.Kiosk)).key);
      const card = await cardIn(t.dataSource, S.Shipped);
      for (let i = 0; i < 3; i++) await t.http().get(`/v1/card-status/${card.serial12}`).set(kiosk).expect(200);
      const limited = await t.http().get(`/v1/card-status/${card.serial12}`).set(kiosk).expect(429);
      expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited.body).not.toHaveProperty('state');
      // Another credential is not affected, nor are the non-limited card routes.
      await t.http().get(`/v1/card-status/${card.serial12}`).set(other).expect(200);
      for (let i = 0; i < 5; i++) await t.http().get(`/v1/cards/${card.serial12}`).set(op).expect(200);
    });
  });

  it('documents the card routes in the OpenAPI description', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/cards',
        '/v1/cards/{serial}',
        '/v1/cards/{serial}/history',
        '/v1/cards/{serial}/transitions',
        '/v1/card-status/{serial}',
      ]),
    );
  });
});
