import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import {
  pgError,
  PG_CHECK_VIOLATION,
  PG_FOREIGN_KEY_VIOLATION,
  PG_UNIQUE_VIOLATION,
} from '../platform/database/pg-error.js';
import { preparedQuery } from '../platform/database/prepared.js';
import { run } from '../platform/database/sql.js';
import { CardsErrors } from './cards.errors.js';
import { RegisterErrors } from '../register/register.errors.js';
import { RegimesErrors } from '../regimes/regimes.errors.js';
import { CardOrigin, CardState, OppositionReason } from './card-state.enum.js';
import { MOVABLE_CARD_STATES, USABLE_CARD_STATES } from './card-transitions.js';
import { Card } from './card.entity.js';

/**
 * The partial unique index that keeps one usable card (shipped or active: USABLE_CARD_STATES) per holder; the
 * database is the arbiter, whatever the path (activation, reship, opposition withdrawn, a return file).
 */
export const ONE_USABLE_CARD_INDEX = 'card_one_usable_per_beneficiary';

export interface CardListFilter {
  /** When set, only cards managed by this organisme (a fund's scope). */
  scopeOrganismeCode: string | null;
  organismeCode?: string;
  beneficiaryId?: string;
  state?: CardState;
  /** Keyset cursor: the id of the last card already read. */
  afterId?: string;
  limit: number;
}

/** What a vendor's return file reports about a card it made. */
export interface ManufacturingFacts {
  cardId: string;
  chipId: string | null;
  personalisedAt: Date;
  shippedAt: Date | null;
}

/** A card that follows its holder to a new organisme. */
export interface MovableCard {
  id: string;
  serial: string | null;
  beneficiaryId: string;
}

export interface LockedCardState {
  id: string;
  state: CardState;
  serial: string | null;
  organismeCode: string;
}

/** A card as an opposition declaration or withdrawal sees it, with its withdrawal window. */
export interface OppositionStanding {
  id: string;
  serial: string;
  organismeCode: string;
  state: CardState;
  oppositionReason: OppositionReason | null;
  stateChangedAt: Date;
  withdrawableUntil: Date;
  tooLate: boolean;
  /** Another card of the same holder is ordered, being made, shipped or active: a replacement. */
  replaced: boolean;
}

export interface CardStateCount {
  organismeCode: string | null;
  state: CardState;
  count: number;
}

export interface OrganismeMove {
  cardId: string;
  from: string;
  to: string;
}

export interface CardStateChange {
  state: CardState;
  oppositionReason: OppositionReason | null;
  previousState: CardState | null;
}

/**
 * How a set-based move is audited, written by the statement that moves the cards (one `card.<action>` entry per card
 * and step, the columns and details AuditService writes for a single card): who acts, and the steps each card takes,
 * in order (the first from the state the card left).
 */
export interface MoveAudit {
  actorPartnerId: string | null;
  actorKind: string;
  requestId: string | null;
  /** The console agent who acted, if any. */
  actorAgentId?: string | null;
  steps: ReadonlyArray<{ action: string; to: CardState }>;
  reason: OppositionReason | null;
}

/**
 * The audit entries of the cards a statement moved (its CTE `moved`: id, serial, organisme_code, from_state), one per
 * card and step, in card then step order; parameters from `$at` on (moveAuditParams). Built in the statement rather
 * than sent: a 5,000-card batch or return file otherwise shipped 5,000 to 10,000 entries from Node, each serialised
 * and parsed again.
 */
const MOVE_AUDIT_SQL = (at: number) => `audited AS (
  INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details, actor_agent_id)
  SELECT $${at}::uuid, $${at + 1}, $${at + 2}, 'card.' || s.action, 'card', m.id::text, m.organisme_code,
         jsonb_build_object('serial', lpad(m.serial::text, 12, '0'), 'from', COALESCE(s.from_state, m.from_state::text),
                            'to', s.to_state, 'reason', $${at + 6}::text), $${at + 7}::uuid
    FROM moved m CROSS JOIN unnest($${at + 3}::text[], $${at + 4}::text[], $${at + 5}::text[]) WITH ORDINALITY AS s(action, from_state, to_state, n)
   ORDER BY m.id, s.n
)`;

const moveAuditParams = (a: MoveAudit): unknown[] => [
  a.actorPartnerId,
  a.actorKind,
  a.requestId,
  a.steps.map((s) => s.action),
  a.steps.map((s, i) => (i === 0 ? null : a.steps[i - 1].to)),
  a.steps.map((s) => s.to),
  a.reason,
  a.actorAgentId ?? null,
];

const holderHasUsableCard = CardsErrors.CARD_HOLDER_HAS_USABLE_CARD;

/**
 * Confirms a kiosk/2 exchange the card acknowledged, in one statement (one round trip, its own transaction): locks
 * the card, then the exchange (the lock order of an issue), and only if the exchange is still this kiosk's, still
 * open, opened by kiosk/2, for this card, and every one of its records is among those acknowledged ($4), moves the
 * card's confirmed version to the target (never backwards), stamps the card's update date, marks the exchange
 * confirmed and writes the audit entry `card.data_written` (the columns AuditService writes). Otherwise it writes
 * nothing and returns no row: the caller then takes the transactional path, which says why. The card's signature
 * of the acknowledgement is verified by the caller before, with the auth key $8, which must still be the card's
 * (the caller may hold it since the exchange's fetch).
 * It lives here because it writes the card; the exchange, its update date and the audit entry ride along so the
 * kiosk fleet's commonest write stays one round trip (the kiosk benchmark). Statement and names: the kiosk
 * protocol's (docs/formats/kiosk-protocol-2.md).
 */
const CONFIRM_ACKNOWLEDGED_SQL = `
WITH c AS (
  SELECT c.id, c.organisme_code, c.data_version FROM card c
   WHERE c.id = $3 AND EXISTS (SELECT 1 FROM card_key k WHERE k.card_id = c.id AND k.auth_public_key = $8::bytea)
     FOR UPDATE OF c
), e AS (
  SELECT x.id, x.target_version, x.records
    FROM kiosk_exchange x JOIN c ON x.card_id = c.id
   WHERE x.id = $1 AND x.kiosk_partner_id = $2 AND x.status = 'issued' AND x.challenge_digest IS NOT NULL AND x.records <@ $4::text[]
     FOR UPDATE OF x
), moved AS (
  UPDATE card SET data_version = GREATEST(card.data_version, e.target_version), version = card.version + 1
    FROM e WHERE card.id = $3
  RETURNING card.data_version
), stamped AS (
  UPDATE card_update_state SET data_updated_at = now() WHERE card_id = $3 AND EXISTS (SELECT 1 FROM e)
), confirmed AS (
  UPDATE kiosk_exchange SET status = 'confirmed', finished_at = now() WHERE id = (SELECT id FROM e)
), audited AS (
  INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details)
  SELECT $2::uuid, $5, $6, 'card.data_written', 'card', c.id::text, c.organisme_code,
         jsonb_build_object('serial', $7::text, 'exchangeId', e.id, 'from', c.data_version, 'to', m.data_version,
                            'records', to_jsonb(e.records), 'protocol', 'kiosk/2', 'cardAcknowledged', true)
    FROM c CROSS JOIN e CROSS JOIN moved m
)
SELECT c.data_version AS "fromVersion", m.data_version AS version FROM c CROSS JOIN moved m`;

/** Every column of a card row, named as the entity's properties (a RETURNING or SELECT list). */
const CARD_COLUMNS = `id, serial::text AS serial, beneficiary_id AS "beneficiaryId", organisme_code AS "organismeCode", data_version AS "dataVersion",
  state, opposition_reason AS "oppositionReason", previous_state AS "previousState", state_changed_at AS "stateChangedAt", batch_id AS "batchId",
  chip_id AS "chipId", personalised_at AS "personalisedAt", shipped_at AS "shippedAt", created_at AS "createdAt", version,
  origin, generation, awaiting_reconciliation AS "awaitingReconciliation"`;

/** The only place that writes the card table (other modules reach it through CardsService, in their own transaction). */
@Injectable()
export class CardRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Locks the card row for the rest of the caller's transaction (SELECT ... FOR UPDATE). */
  lockBySerial(em: EntityManager, serial: string, scopeOrganismeCode: string | null): Promise<Card | null> {
    const qb = em
      .getRepository(Card)
      .createQueryBuilder('c')
      .where('c.serial = :serial', { serial })
      .setLock('pessimistic_write');
    if (scopeOrganismeCode) qb.andWhere('c.organismeCode = :scope', { scope: scopeOrganismeCode });
    return qb.getOne();
  }

  lockById(em: EntityManager, id: string, scopeOrganismeCode: string | null): Promise<Card | null> {
    const qb = em.getRepository(Card).createQueryBuilder('c').where('c.id = :id', { id }).setLock('pessimistic_write');
    if (scopeOrganismeCode) qb.andWhere('c.organismeCode = :scope', { scope: scopeOrganismeCode });
    return qb.getOne();
  }

  findBySerial(
    serial: string,
    scopeOrganismeCode: string | null,
    em: EntityManager = this.dataSource.manager,
  ): Promise<Card | null> {
    const qb = em.getRepository(Card).createQueryBuilder('c').where('c.serial = :serial', { serial });
    if (scopeOrganismeCode) qb.andWhere('c.organismeCode = :scope', { scope: scopeOrganismeCode });
    return qb.getOne();
  }

  /** Writes a new state. A second usable card for the holder is refused by the partial unique index. */
  async applyStateChange(
    em: EntityManager,
    id: string,
    change: CardStateChange,
  ): Promise<{ stateChangedAt: Date; version: number }> {
    try {
      const res = await em
        .createQueryBuilder()
        .update(Card)
        .set({
          state: change.state,
          oppositionReason: change.oppositionReason,
          previousState: change.previousState,
          stateChangedAt: () => 'now()',
          version: () => 'version + 1',
        })
        .where('id = :id', { id })
        .returning(['stateChangedAt', 'version'])
        .execute();
      const row = (res.raw as Array<{ state_changed_at: Date; version: number }>)[0];
      return { stateChangedAt: row.state_changed_at, version: row.version };
    } catch (e) {
      const pg = pgError(e);
      if (pg?.code === PG_UNIQUE_VIOLATION && pg.constraint === ONE_USABLE_CARD_INDEX) throw holderHasUsableCard();
      throw e;
    }
  }

  /**
   * One state change for many cards in one statement (the emission chain's volumes). Only rows still in one of
   * `from` move (the caller has locked and checked them); each comes back with the state it left, for the audit.
   * A second usable card for a holder is refused by the partial unique index, as for one card.
   */
  async applyStateChangeMany(
    em: EntityManager,
    ids: string[],
    from: readonly CardState[],
    to: CardState,
    reason: OppositionReason | null,
    facts: ManufacturingFacts[],
    audit: MoveAudit,
  ): Promise<Array<Card & { fromState: CardState }>> {
    if (ids.length === 0) return [];
    // A vendor's report rides on the same row update (a card named in it takes its chip id and dates). The facts
    // come as one JSON object keyed by card id, read with a key lookup per row: joined as a list, a plan made on
    // statistics that do not know the cards' state yet (a return right after its batch) could rescan the whole list
    // for each card, as the request moves did.
    const withFacts = facts.length > 0;
    const fact = (key: string) => `($5::jsonb -> c.id::text ->> '${key}')`;
    const factsSet = withFacts
      ? `, chip_id = CASE WHEN $5::jsonb ? c.id::text THEN ${fact('chipId')} ELSE c.chip_id END,
           personalised_at = CASE WHEN $5::jsonb ? c.id::text THEN ${fact('personalisedAt')}::timestamptz ELSE c.personalised_at END,
           shipped_at = CASE WHEN $5::jsonb ? c.id::text THEN ${fact('shippedAt')}::timestamptz ELSE c.shipped_at END`
      : '';
    const factsParams = withFacts
      ? [
          JSON.stringify(
            Object.fromEntries(
              facts.map((f) => [
                f.cardId,
                {
                  chipId: f.chipId,
                  personalisedAt: f.personalisedAt.toISOString(),
                  shippedAt: f.shippedAt?.toISOString() ?? null,
                },
              ]),
            ),
          ),
        ]
      : [];
    const auditAt = 5 + factsParams.length;
    try {
      const { rows } = await run<Record<string, unknown>>(
        em,
        `WITH old AS (SELECT id, state FROM card WHERE id = ANY($1::uuid[]) AND state = ANY($2::card_state[]) FOR UPDATE),
         moved AS (
           UPDATE card c
              SET state = $3::card_state, opposition_reason = $4::opposition_reason,
                  previous_state = CASE WHEN $3::card_state = 'opposed' THEN old.state END,
                  state_changed_at = now(), version = c.version + 1${factsSet}
             FROM old
            WHERE c.id = old.id
           RETURNING c.id, c.serial, c.beneficiary_id, c.organisme_code, c.data_version, c.state, c.opposition_reason,
                     c.previous_state, c.state_changed_at, c.created_at, c.version, c.batch_id, c.origin, c.generation,
                     c.awaiting_reconciliation, old.state AS from_state
         ), ${MOVE_AUDIT_SQL(auditAt)}
         SELECT id, serial::text AS serial, beneficiary_id, organisme_code, data_version, state, opposition_reason,
                previous_state, state_changed_at, created_at, version, batch_id, origin, generation,
                awaiting_reconciliation, from_state FROM moved`,
        [ids, from, to, reason, ...factsParams, ...moveAuditParams(audit)],
      );
      return rows.map((r) => ({
        id: r.id as string,
        serial: r.serial as string | null,
        beneficiaryId: r.beneficiary_id as string | null,
        organismeCode: r.organisme_code as string,
        dataVersion: r.data_version as number,
        state: r.state as CardState,
        oppositionReason: r.opposition_reason as OppositionReason | null,
        previousState: r.previous_state as CardState | null,
        stateChangedAt: r.state_changed_at as Date,
        createdAt: r.created_at as Date,
        version: r.version as number,
        batchId: r.batch_id as string | null,
        chipId: null,
        personalisedAt: null,
        shippedAt: null,
        origin: r.origin as CardOrigin,
        generation: r.generation as number,
        awaitingReconciliation: r.awaiting_reconciliation as boolean,
        fromState: r.from_state as CardState,
      }));
    } catch (e) {
      const pg = pgError(e);
      if (pg?.code === PG_UNIQUE_VIOLATION && pg.constraint === ONE_USABLE_CARD_INDEX) throw holderHasUsableCard();
      throw e;
    }
  }

  /**
   * Reconciliation keeps these imported cards (docs/reconciliation.md): each still usable and awaiting leaves the
   * waiting state, so "one usable card per holder" holds for it from now on (a second usable card of the holder that
   * is not awaiting is refused by the index, and the caller's transaction must roll back). Each card kept is audited
   * (`card.reconciled`) by the same statement. Answers how many were kept.
   */
  async keepReconciled(
    em: EntityManager,
    ids: string[],
    actor: { partnerId: string | null; kind: string; requestId: string | null },
    runId: string,
  ): Promise<number> {
    if (ids.length === 0) return 0;
    try {
      const { rows } = await run<{ n: number }>(
        em,
        `WITH kept AS (
           UPDATE card SET awaiting_reconciliation = false, version = version + 1
            WHERE id = ANY($1::uuid[]) AND awaiting_reconciliation AND state IN ('shipped', 'active')
           RETURNING id, serial, organisme_code, state
         ), audited AS (
           INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details)
           SELECT $2::uuid, $3, $4, 'card.reconciled', 'card', k.id::text, k.organisme_code,
                  jsonb_build_object('serial', lpad(k.serial::text, 12, '0'), 'state', k.state, 'runId', $5::text)
             FROM kept k ORDER BY k.id
         )
         SELECT count(*)::int AS n FROM kept`,
        [ids, actor.partnerId, actor.kind, actor.requestId, runId],
      );
      return rows[0].n;
    } catch (e) {
      const pg = pgError(e);
      if (pg?.code === PG_UNIQUE_VIOLATION && pg.constraint === ONE_USABLE_CARD_INDEX) throw holderHasUsableCard();
      throw e;
    }
  }

  /** A new card in state `ordered`, without serial: it is allocated when the card joins a personalisation batch. */
  async insertOrdered(em: EntityManager, input: { beneficiaryId: string; organismeCode: string }): Promise<Card> {
    let id: string;
    try {
      const res = await em
        .createQueryBuilder()
        .insert()
        .into(Card)
        .values({
          beneficiaryId: input.beneficiaryId,
          organismeCode: input.organismeCode,
          state: CardState.Ordered,
        })
        .returning(['id'])
        .execute();
      id = (res.raw as Array<{ id: string }>)[0].id;
    } catch (e) {
      const pg = pgError(e);
      if (pg?.code === PG_FOREIGN_KEY_VIOLATION && pg.detail?.includes('(beneficiary_id)')) {
        throw RegisterErrors.BENEFICIARY_NOT_FOUND();
      }
      if (pg?.code === PG_FOREIGN_KEY_VIOLATION && pg.detail?.includes('(organisme_code)')) {
        throw RegimesErrors.ORGANISME_UNKNOWN();
      }
      throw e;
    }
    return em.getRepository(Card).findOneByOrFail({ id });
  }

  /** Many new `ordered` cards in one statement (the set-based order path), audited; ids in the order of the inputs. */
  async insertOrderedMany(
    em: EntityManager,
    inputs: Array<{ beneficiaryId: string; organismeCode: string }>,
    audit: MoveAudit,
  ): Promise<Card[]> {
    if (inputs.length === 0) return [];
    try {
      // The new rows come back whole from the INSERT (triggers included: RETURNING sees what was stored), each audited
      // by the same statement (from no state).
      const { rows } = await run<Card>(
        em,
        `WITH moved AS (
           INSERT INTO card (beneficiary_id, organisme_code, state)
           SELECT b, o, 'ordered' FROM unnest($1::uuid[], $2::char(9)[]) AS t(b, o)
           RETURNING *, NULL::text AS from_state
         ), ${MOVE_AUDIT_SQL(3)}
         SELECT ${CARD_COLUMNS} FROM moved`,
        [inputs.map((i) => i.beneficiaryId), inputs.map((i) => i.organismeCode), ...moveAuditParams(audit)],
      );
      // Matched back to the inputs by holder (a holder has one open request, so one new card in a call).
      const byHolder = new Map<string, Card[]>();
      // An inserted card always names its holder (only imported cards may not).
      for (const r of rows) byHolder.set(r.beneficiaryId!, [...(byHolder.get(r.beneficiaryId!) ?? []), r]);
      return inputs.map((i) => byHolder.get(i.beneficiaryId)!.shift()!);
    } catch (e) {
      const pg = pgError(e);
      if (pg?.code === PG_FOREIGN_KEY_VIOLATION) throw RegisterErrors.BENEFICIARY_NOT_FOUND();
      throw e;
    }
  }

  /**
   * Ordered cards entering a personalisation batch, in ONE statement of the caller's transaction: consecutive
   * serials from the counter row (its row lock serialises concurrent batches, a rollback gives them back, so a
   * serial is never issued twice and none is skipped), the batch, and the move `from` → `to`. Only cards without
   * serial, in no batch and in one of `from` take part; the caller compares the count (the counter moved for all
   * of them, so a shortfall must roll the transaction back). Rows in the order of `cardIds` (the serials' order).
   */
  async assignToBatch(
    em: EntityManager,
    batchId: string,
    cardIds: string[],
    from: readonly CardState[],
    to: CardState,
    audit: MoveAudit,
  ): Promise<Array<{ id: string; serial: string; organismeCode: string; fromState: CardState }>> {
    if (cardIds.length === 0) return [];
    try {
      const { rows } = await run<{
        id: string;
        serial: string;
        organismeCode: string;
        fromState: CardState;
        ord: string;
      }>(
        em,
        `WITH alloc AS (
           UPDATE serial_allocator SET next_serial = next_serial + $2 WHERE id = 1 RETURNING next_serial - $2 AS first
         ), old AS (
           SELECT c.id, c.state, t.ord FROM card c JOIN unnest($1::uuid[]) WITH ORDINALITY AS t(id, ord) ON c.id = t.id
            WHERE c.id = ANY($1::uuid[]) AND c.serial IS NULL AND c.batch_id IS NULL AND c.state = ANY($4::card_state[])
              FOR UPDATE OF c
         ), moved AS (
           UPDATE card c
              SET serial = alloc.first + old.ord - 1, batch_id = $3, state = $5::card_state, opposition_reason = NULL,
                  previous_state = NULL, state_changed_at = now(), version = c.version + 1
             FROM alloc, old
            WHERE c.id = old.id
           RETURNING c.id, c.serial, c.organisme_code, old.state AS from_state, old.ord
         ), ${MOVE_AUDIT_SQL(6)}
         SELECT id, serial::text AS serial, organisme_code AS "organismeCode", from_state AS "fromState", ord FROM moved`,
        [cardIds, cardIds.length, batchId, from, to, ...moveAuditParams(audit)],
      );
      return rows.sort((a, b) => Number(a.ord) - Number(b.ord)).map(({ ord: _o, ...r }) => r);
    } catch (e) {
      const pg = pgError(e);
      if (pg?.code === PG_CHECK_VIOLATION && pg.constraint === 'card_serial_range')
        throw CardsErrors.CARD_SERIALS_EXHAUSTED();
      if (pg?.code === PG_UNIQUE_VIOLATION) throw CardsErrors.CARD_SERIAL_ALREADY_ISSUED();
      throw e;
    }
  }

  /** Holders among these who have a usable card (shipped or active): holder → those card ids. */
  async usableCardsOf(em: EntityManager, beneficiaryIds: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (beneficiaryIds.length === 0) return out;
    const { rows } = await run<{ id: string; beneficiaryId: string }>(
      em,
      `SELECT id, beneficiary_id AS "beneficiaryId" FROM card WHERE beneficiary_id = ANY($1::uuid[]) AND state = ANY($2::card_state[])`,
      [beneficiaryIds, USABLE_CARD_STATES],
    );
    for (const r of rows) out.set(r.beneficiaryId, [...(out.get(r.beneficiaryId) ?? []), r.id]);
    return out;
  }

  /**
   * Locks the cards of these holders managed by `organismeCode` that follow them to a new organisme
   * (MOVABLE_CARD_STATES), by holder, oldest card first.
   */
  async lockMovable(em: EntityManager, beneficiaryIds: string[], organismeCode: string): Promise<MovableCard[]> {
    if (beneficiaryIds.length === 0) return [];
    const { rows } = await run<MovableCard>(
      em,
      `SELECT id, serial::text AS serial, beneficiary_id AS "beneficiaryId" FROM card
        WHERE beneficiary_id = ANY($1::uuid[]) AND organisme_code = $2 AND state = ANY($3::card_state[])
        ORDER BY beneficiary_id, created_at, id FOR UPDATE`,
      [beneficiaryIds, organismeCode, MOVABLE_CARD_STATES],
    );
    return rows;
  }

  /**
   * Moves cards to their new managing organisme in one statement; answers the ids moved (a card no longer with the
   * old organisme stays where it is). Each card at most once per call.
   */
  async moveOrganisme(em: EntityManager, moves: OrganismeMove[]): Promise<Set<string>> {
    if (moves.length === 0) return new Set();
    const { rows } = await run<{ id: string }>(
      em,
      `UPDATE card c SET organisme_code = x.to_org, version = c.version + 1
         FROM unnest($1::uuid[], $2::char(9)[], $3::char(9)[]) AS x(id, from_org, to_org)
        WHERE c.id = x.id AND c.organisme_code = x.from_org
        RETURNING c.id`,
      [moves.map((m) => m.cardId), moves.map((m) => m.from), moves.map((m) => m.to)],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** A kiosk exchange is confirmed: the card's confirmed data version moves to `targetVersion`, never backwards. */
  async confirmDataVersion(em: EntityManager, cardId: string, targetVersion: number): Promise<number> {
    const {
      rows: [upd],
    } = await run<{ dataVersion: number }>(
      em,
      `UPDATE card SET data_version = GREATEST(data_version, $2), version = version + 1 WHERE id = $1 RETURNING data_version AS "dataVersion"`,
      [cardId, targetVersion],
    );
    return upd.dataVersion;
  }

  /** See CONFIRM_ACKNOWLEDGED_SQL (a named prepared statement, outside any transaction): undefined when nothing was written. */
  async confirmAcknowledgedKioskUpdate(
    exchangeId: string,
    cardId: string,
    written: string[],
    actor: { partnerId: string; kind: string; requestId: string | null },
    serial: string,
    authPublicKey: Buffer,
  ): Promise<{ fromVersion: number; version: number } | undefined> {
    const rows = await preparedQuery<{ fromVersion: number; version: number }>(
      this.dataSource,
      'kiosk2_confirm_acknowledged_v3',
      CONFIRM_ACKNOWLEDGED_SQL,
      [exchangeId, actor.partnerId, cardId, written, actor.kind, actor.requestId, serial, authPublicKey],
    );
    return rows[0];
  }

  /** The cards of these holders in one of `states`. */
  async ofHolders(
    em: EntityManager,
    beneficiaryIds: string[],
    states: readonly CardState[],
  ): Promise<Array<{ id: string; state: CardState; beneficiaryId: string }>> {
    if (beneficiaryIds.length === 0) return [];
    const { rows } = await run<{ id: string; state: CardState; beneficiaryId: string }>(
      em,
      `SELECT id, state, beneficiary_id AS "beneficiaryId" FROM card WHERE beneficiary_id = ANY($1::uuid[]) AND state = ANY($2::card_state[])`,
      [beneficiaryIds, states],
    );
    return rows;
  }

  /** Locks these cards (the caller's transaction) and answers their state, serial and organisme. */
  async lockStates(em: EntityManager, ids: string[]): Promise<LockedCardState[]> {
    if (ids.length === 0) return [];
    const { rows } = await run<LockedCardState>(
      em,
      `SELECT id, state, serial::text AS serial, organisme_code AS "organismeCode" FROM card WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return rows;
  }

  /**
   * A card as an opposition declaration or withdrawal sees it, by serial if the scope reaches it (null scope: every
   * card), optionally locked: its withdrawal window computed in SQL, and whether another card of the holder is live
   * (`liveStates`: a replacement ordered, being made or in use).
   */
  async findForOpposition(
    em: EntityManager,
    serial: string,
    scope: string | null,
    withdrawalHours: number,
    liveStates: readonly CardState[],
    forUpdate: boolean,
  ): Promise<OppositionStanding | null> {
    const { rows } = await run<OppositionStanding>(
      em,
      `SELECT id, serial::text, organisme_code AS "organismeCode", state, opposition_reason AS "oppositionReason", state_changed_at AS "stateChangedAt",
              state_changed_at + make_interval(hours => $3) AS "withdrawableUntil",
              now() > state_changed_at + make_interval(hours => $3) AS "tooLate",
              EXISTS (SELECT 1 FROM card o WHERE o.beneficiary_id = card.beneficiary_id AND o.id <> card.id
                         AND o.state = ANY($4::card_state[])) AS replaced
         FROM card WHERE serial = $1 AND ($2::text IS NULL OR organisme_code = $2) ${forUpdate ? 'FOR UPDATE' : ''}`,
      [serial, scope, withdrawalHours, liveStates],
    );
    return rows[0] ?? null;
  }

  /** How many cards are in each of `states`, overall or per managing organisme (organismeCode null overall). */
  async countByState(states: readonly CardState[], byOrganisme: boolean): Promise<CardStateCount[]> {
    const org = byOrganisme ? 'organisme_code' : 'NULL::char(9)';
    const { rows } = await run<CardStateCount>(
      this.dataSource.manager,
      `SELECT ${org} AS "organismeCode", state::text AS state, count(*)::int AS count FROM card WHERE state = ANY ($1::card_state[]) GROUP BY 1, 2 ORDER BY 1, 2`,
      [states],
    );
    return rows;
  }

  /** Keyset page by id; the fund scope and every filter are applied in SQL. */
  list(f: CardListFilter): Promise<Card[]> {
    const qb = this.dataSource.getRepository(Card).createQueryBuilder('c').orderBy('c.id', 'ASC').limit(f.limit);
    if (f.scopeOrganismeCode) qb.andWhere('c.organismeCode = :scope', { scope: f.scopeOrganismeCode });
    if (f.organismeCode) qb.andWhere('c.organismeCode = :organismeCode', { organismeCode: f.organismeCode });
    if (f.beneficiaryId) qb.andWhere('c.beneficiaryId = :beneficiaryId', { beneficiaryId: f.beneficiaryId });
    if (f.state) qb.andWhere('c.state = :state', { state: f.state });
    if (f.afterId) qb.andWhere('c.id > :after', { after: f.afterId });
    return qb.getMany();
  }

  /** The kiosk and pharmacy hot path: one lookup on the unique serial index, the state only. */
  async findState(serial: string): Promise<CardState | null> {
    const rows: Array<{ state: CardState }> = await this.dataSource.query(`SELECT state FROM card WHERE serial = $1`, [
      serial,
    ]);
    return rows[0]?.state ?? null;
  }
  // The card-base import (src/takeover): cards of the old base, set-based, in the import chunk's transaction.
  /**
   * Inserts the cards staged in `stage` (a temp table of the caller's transaction with the columns of
   * CARD_IMPORT_STAGE_COLUMNS) and, in the same statement, what the old base said of each card inserted
   * (`imported_card`: issue and last update dates, dependants, the import and line; the holder's NIR only when the
   * register does not know the holder): holder by NIR, else by a NIR the register replaced; unknown holders kept with
   * no beneficiary. A serial already taken is skipped (the unique index decides; the caller reports the line).
   * One statement, so the chunk never looks its cards up again in the whole card table (a join that grew with every
   * chunk). Returns how many cards were inserted.
   */
  async importStaged(em: EntityManager, stage: string, importId: string): Promise<number> {
    const { count } = await run(
      em,
      `WITH inserted AS (
         INSERT INTO card (id, serial, beneficiary_id, organisme_code, data_version, state, opposition_reason,
                           state_changed_at, chip_id, origin, generation, awaiting_reconciliation)
         SELECT s.card_id, s.serial, coalesce(b.id, h.beneficiary_id), s.organisme_code, s.data_version, s.state,
                s.opposition_reason, coalesce(s.last_updated_on, s.issued_on)::timestamptz, s.chip_id,
                '${CardOrigin.Imported}', s.generation, s.state IN ('${USABLE_CARD_STATES.join("', '")}')
           FROM ${stage} s
           LEFT JOIN beneficiary b ON b.nir = s.nir
           LEFT JOIN beneficiary_nir_history h ON b.id IS NULL AND h.nir = s.nir
          ORDER BY s.line
         ON CONFLICT (serial) DO NOTHING
         RETURNING id, beneficiary_id)
       INSERT INTO imported_card (card_id, holder_nir, issued_on, last_updated_on, dependants_carried, import_id, import_line)
       SELECT s.card_id, CASE WHEN i.beneficiary_id IS NULL THEN s.nir END, s.issued_on, s.last_updated_on, s.dependants,
              $1, s.line
         FROM inserted i JOIN ${stage} s ON s.card_id = i.id`,
      [importId],
    );
    return count;
  }

  /**
   * Imported serials are never issued again: the allocator moves past the highest serial of an import chunk, in the
   * chunk's transaction.
   */
  async moveAllocatorPast(em: EntityManager, maxSerial: number): Promise<void> {
    if (maxSerial <= 0) return;
    await run(
      em,
      `UPDATE serial_allocator SET next_serial = $1::bigint + 1 WHERE id = 1 AND next_serial <= $1::bigint`,
      [maxSerial],
    );
  }
}
