import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../platform/database/transactions.js';
import { tenantScope, type Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { CardsErrors } from './cards.errors.js';
import { CardAction } from './card-action.enum.js';
import { formatOptionalSerial, formatSerial, parseSerial } from './card-serial.js';
import { CardState, OppositionReason } from './card-state.enum.js';
import {
  assertCardTransition,
  CARD_TRANSITIONS,
  isBlocked,
  LIVE_CARD_STATES,
  PREVIOUS_STATE,
} from './card-transitions.js';
import { Card } from './card.entity.js';
import { CardKeyRepository, type CardPublicKeys } from './card-key.repository.js';
import {
  CardRepository,
  type CardStateCount,
  type LockedCardState,
  type OppositionStanding,
  type ManufacturingFacts,
  type MovableCard,
  type MoveAudit,
  type OrganismeMove,
} from './card.repository.js';
import type {
  CardHistoryEntryView,
  CardHistoryView,
  CardPageView,
  CardStatusView,
  CardView,
  KeylessCardCountView,
  KeylessCardPageView,
} from './dto/card.dto.js';

/** The shapes CardsService answers with (other modules import them from here, never from the repository). */
export type {
  CardStateCount,
  LockedCardState,
  ManufacturingFacts,
  MovableCard,
  OppositionStanding,
  OrganismeMove,
} from './card.repository.js';

export const CARD_AUDIT_ENTITY = 'card';

/** One body for "unknown", "malformed" and "not yours": a fund cannot tell another fund's card from no card. */
export const cardNotFound = CardsErrors.CARD_NOT_FOUND;

export interface TransitionOptions {
  reason?: OppositionReason;
}

/** Set-based transitions may carry a vendor's report on the cards (a return file), written by the same row update. */
export interface ManyTransitionOptions extends TransitionOptions {
  facts?: ManufacturingFacts[];
}

function checkReason(action: CardAction, opts: TransitionOptions): void {
  if (action === CardAction.Oppose && !opts.reason) {
    throw CardsErrors.OPPOSITION_REASON_REQUIRED();
  }
  if (action !== CardAction.Oppose && opts.reason) {
    throw CardsErrors.OPPOSITION_REASON_NOT_APPLICABLE(action);
  }
}

export interface CardListQuery {
  beneficiaryId?: string;
  state?: CardState;
  organismeCode?: string;
  after?: string;
  limit?: number;
}

/**
 * One audit entry per card and step of a set-based move, as a single-card action writes it (AuditService's columns):
 * written by the statement that moves the cards (CardRepository), so a 5,000-card step ships no entries from Node.
 */
function moveAudit(
  actor: Actor,
  steps: ReadonlyArray<{ action: CardAction | 'issue'; to: CardState }>,
  reason: OppositionReason | null,
): MoveAudit {
  return {
    actorPartnerId: actor.partnerId,
    actorKind: actor.kind,
    requestId: actor.requestId,
    actorAgentId: actor.agentId ?? null,
    steps,
    reason,
  };
}

/** A fund reaches only the cards its organisme manages; every other caller reaches all. */
const scopeOf = tenantScope;

export function toCardView(c: Card): CardView {
  return {
    id: c.id,
    serial: formatOptionalSerial(c.serial),
    beneficiaryId: c.beneficiaryId,
    organismeCode: c.organismeCode,
    dataVersion: c.dataVersion,
    origin: c.origin,
    generation: c.generation,
    state: c.state,
    oppositionReason: c.oppositionReason,
    stateChangedAt: c.stateChangedAt,
    createdAt: c.createdAt,
  };
}

/** The technical card database: card records, their life cycle (card-transitions.ts) and its audit trail. */
@Injectable()
export class CardsService {
  constructor(
    private readonly tx: Transactions,
    private readonly cards: CardRepository,
    private readonly keys: CardKeyRepository,
    private readonly audit: AuditService,
  ) {}

  /** Applies a named action in its own transaction. */
  transition(actor: Actor, serial: string, action: CardAction, opts: TransitionOptions = {}): Promise<CardView> {
    return this.tx.run((em) => this.transitionIn(em, actor, serial, action, opts));
  }

  /**
   * Applies a named action inside the caller's transaction (emission, opposition): locks the card, checks the
   * transition table, writes the new state and its audit entry. On a refusal nothing is written; on
   * CARD_HOLDER_HAS_USABLE_CARD the database has aborted the caller's transaction, which must roll back.
   */
  async transitionIn(
    em: EntityManager,
    actor: Actor,
    serial: string,
    action: CardAction,
    opts: TransitionOptions = {},
  ): Promise<CardView> {
    checkReason(action, opts);
    const dbSerial = parseSerial(serial);
    if (!dbSerial) throw cardNotFound();
    const card = await this.cards.lockBySerial(em, dbSerial, scopeOf(actor));
    if (!card) throw cardNotFound();
    return this.apply(em, actor, card, action, opts);
  }

  /** The same, for a card known by its id (an ordered card has no serial yet): the emission chain's way. */
  async transitionByIdIn(
    em: EntityManager,
    actor: Actor,
    cardId: string,
    action: CardAction,
    opts: TransitionOptions = {},
  ): Promise<CardView> {
    checkReason(action, opts);
    const card = await this.cards.lockById(em, cardId, scopeOf(actor));
    if (!card) throw cardNotFound();
    return this.apply(em, actor, card, action, opts);
  }

  private async apply(
    em: EntityManager,
    actor: Actor,
    card: Card,
    action: CardAction,
    opts: TransitionOptions,
  ): Promise<CardView> {
    const from = card.state;
    const to = assertCardTransition(card, action);
    const change = {
      state: to,
      oppositionReason: to === CardState.Opposed ? opts.reason! : null,
      // Remembered only while opposed: it is what a withdrawal restores.
      previousState: to === CardState.Opposed ? from : null,
    };
    const written = await this.cards.applyStateChange(em, card.id, change);
    await this.audit.record(em, actor, {
      action: `card.${action}`,
      entityType: CARD_AUDIT_ENTITY,
      entityId: card.id,
      organismeCode: card.organismeCode,
      details: { serial: formatOptionalSerial(card.serial), from, to, reason: change.oppositionReason },
    });
    return toCardView({ ...card, ...change, ...written });
  }

  /**
   * The same action for many cards, inside the caller's transaction, in one statement that also writes their audit
   * entries (the emission chain: personalisation batches, vendor return files). Same table, same audit entries as
   * one by one.
   * The caller locks and checks the cards first: if any of them may not take the action, the whole set is
   * refused with CARD_TRANSITION_NOT_ALLOWED and the caller's transaction must roll back.
   * Withdrawal (back to a remembered state) is not offered set-based.
   */
  async transitionManyByIdIn(
    em: EntityManager,
    actor: Actor,
    cardIds: string[],
    action: CardAction,
    opts: ManyTransitionOptions = {},
  ): Promise<CardView[]> {
    checkReason(action, opts);
    const ids = [...new Set(cardIds)];
    if (ids.length === 0) return [];
    const t = CARD_TRANSITIONS[action];
    if (t.to === PREVIOUS_STATE) throw CardsErrors.CARD_TRANSITION_NOT_SET_BASED(action, false);
    const to = t.to;
    const reason = to === CardState.Opposed ? opts.reason! : null;
    const moved = await this.cards.applyStateChangeMany(
      em,
      ids,
      t.from,
      to,
      reason,
      opts.facts ?? [],
      moveAudit(actor, [{ action, to }], reason),
    );
    if (moved.length !== ids.length) {
      throw CardsErrors.CARD_TRANSITION_NOT_ALLOWED({
        action,
        allowedFrom: t.from,
        refused: ids.length - moved.length,
        total: ids.length,
      });
    }
    return moved.map(toCardView);
  }

  /**
   * Several actions in a row (e.g. ship then activate) applied to many cards with one row update, each step audited
   * as if taken alone: a return file's shipped cards were otherwise rewritten once per step. The path must chain
   * (each action allowed from the previous one's state); refusals as for one action.
   */
  async transitionPathManyByIdIn(
    em: EntityManager,
    actor: Actor,
    cardIds: string[],
    path: readonly CardAction[],
    opts: { facts?: ManufacturingFacts[] } = {},
  ): Promise<CardView[]> {
    if (path.length === 1) return this.transitionManyByIdIn(em, actor, cardIds, path[0], opts);
    const ids = [...new Set(cardIds)];
    if (ids.length === 0) return [];
    const steps = path.map((a) => ({ action: a, t: CARD_TRANSITIONS[a] }));
    for (const [i, s] of steps.entries()) {
      if (s.t.to === PREVIOUS_STATE || s.t.to === CardState.Opposed || s.t.needsReason) {
        throw CardsErrors.CARD_TRANSITION_NOT_SET_BASED(s.action, true);
      }
      if (i > 0 && !s.t.from.includes(steps[i - 1].t.to as CardState))
        throw new Error(`card path: ${s.action} does not follow ${steps[i - 1].action}`);
    }
    const states = steps.map((s) => s.t.to as CardState);
    const moved = await this.cards.applyStateChangeMany(
      em,
      ids,
      steps[0].t.from,
      states[states.length - 1],
      null,
      opts.facts ?? [],
      moveAudit(
        actor,
        steps.map((s, i) => ({ action: s.action, to: states[i] })),
        null,
      ),
    );
    if (moved.length !== ids.length) {
      throw CardsErrors.CARD_TRANSITION_NOT_ALLOWED({
        action: path[0],
        allowedFrom: steps[0].t.from,
        refused: ids.length - moved.length,
        total: ids.length,
      });
    }
    return moved.map(toCardView);
  }

  /** A new card in state `ordered`, inside the emission chain's transaction; its serial comes with its batch. */
  async issue(
    em: EntityManager,
    actor: Actor,
    input: { beneficiaryId: string; organismeCode: string },
  ): Promise<CardView> {
    const card = await this.cards.insertOrdered(em, input);
    await this.audit.record(em, actor, {
      action: 'card.issue',
      entityType: CARD_AUDIT_ENTITY,
      entityId: card.id,
      organismeCode: card.organismeCode,
      details: { serial: null, from: null, to: card.state, reason: null },
    });
    return toCardView(card);
  }

  /** Many new `ordered` cards at once, audited by the statement that inserts them (the set-based order path). */
  async issueMany(
    em: EntityManager,
    actor: Actor,
    inputs: Array<{ beneficiaryId: string; organismeCode: string }>,
  ): Promise<CardView[]> {
    const cards = await this.cards.insertOrderedMany(
      em,
      inputs,
      moveAudit(actor, [{ action: 'issue', to: CardState.Ordered }], null),
    );
    return cards.map(toCardView);
  }

  /**
   * The card-base import's chunk (src/takeover): the cards staged in the caller's transaction, inserted set-based with
   * what the old base said of them (CardRepository.importStaged: serials already taken skipped). Imported cards are
   * audited by the import, per chunk, not per card.
   */
  importStagedIn(em: EntityManager, stage: string, importId: string): Promise<number> {
    return this.cards.importStaged(em, stage, importId);
  }

  /** Imported serials are never issued again: the allocator moves past `maxSerial` in the caller's transaction. */
  reserveImportedSerials(em: EntityManager, maxSerial: number): Promise<void> {
    return this.cards.moveAllocatorPast(em, maxSerial);
  }

  /**
   * Ordered cards entering a personalisation batch, inside the batch's transaction: serials (consecutive, in the
   * order of `cardIds`), the batch and `start_personalisation`, in one row update per card (CardRepository
   * .assignToBatch), each audited as the action alone would be. Returns card id → serial (database form). A card
   * that has a serial, a batch or another state refuses the whole set (CARD_NOT_ASSIGNABLE): the caller's
   * transaction must roll back, which gives the serials back.
   */
  async assignToBatch(
    em: EntityManager,
    actor: Actor,
    batchId: string,
    cardIds: string[],
  ): Promise<Map<string, string>> {
    const ids = [...new Set(cardIds)];
    if (ids.length === 0) return new Map();
    const action = CardAction.StartPersonalisation;
    const t = CARD_TRANSITIONS[action];
    const to = t.to as CardState;
    const moved = await this.cards.assignToBatch(
      em,
      batchId,
      ids,
      t.from,
      to,
      moveAudit(actor, [{ action, to }], null),
    );
    if (moved.length !== ids.length) {
      throw CardsErrors.CARD_NOT_ASSIGNABLE({
        action,
        allowedFrom: t.from,
        refused: ids.length - moved.length,
        total: ids.length,
      });
    }
    return new Map(moved.map((c) => [c.id, c.serial]));
  }

  /**
   * Reconciliation keeps these imported cards, in the caller's transaction: usable ones awaiting reconciliation leave
   * the waiting state (one usable card per holder holds for them from now on), each audited `card.reconciled`.
   * Answers how many were kept; CARD_HOLDER_HAS_USABLE_CARD when a holder would hold two (roll back).
   */
  keepReconciledIn(em: EntityManager, actor: Actor, cardIds: string[], runId: string): Promise<number> {
    return this.cards.keepReconciled(em, [...new Set(cardIds)], actor, runId);
  }

  /** Holders among these who have a usable card (shipped or active), in the caller's transaction: holder → card ids. */
  usableCardsOfIn(em: EntityManager, beneficiaryIds: string[]): Promise<Map<string, string[]>> {
    return this.cards.usableCardsOf(em, beneficiaryIds);
  }

  /**
   * Locks, in the caller's transaction, the cards of these holders managed by `organismeCode` that follow them to a
   * new organisme (a change of fund, a regime transfer), by holder, oldest first.
   */
  lockMovableIn(em: EntityManager, beneficiaryIds: string[], organismeCode: string): Promise<MovableCard[]> {
    return this.cards.lockMovable(em, beneficiaryIds, organismeCode);
  }

  /**
   * Moves cards (serial kept) to their new managing organisme in the caller's transaction, in one statement; a card
   * no longer with the `from` organisme stays. Answers the ids moved. The caller audits (card.organisme_changed).
   */
  moveOrganismeIn(em: EntityManager, moves: OrganismeMove[]): Promise<Set<string>> {
    return this.cards.moveOrganisme(em, moves);
  }

  /**
   * A kiosk wrote the card's records: its confirmed data version moves to the exchange's target (never backwards),
   * in the caller's transaction (the confirm's, which closes the exchange and audits). Returns the version now held.
   */
  confirmKioskUpdateIn(em: EntityManager, cardId: string, targetVersion: number): Promise<number> {
    return this.cards.confirmDataVersion(em, cardId, targetVersion);
  }

  /**
   * The kiosk/2 confirm's common case in one statement of its own (CardRepository.confirmAcknowledgedKioskUpdate):
   * the card acknowledged every record of the exchange (verified by the caller). Undefined when nothing was written
   * (the exchange is no longer this kiosk's open kiosk/2 exchange of this card, or records are missing): the caller
   * then takes its transactional path, which says why.
   */
  confirmAcknowledgedKioskUpdate(
    exchangeId: string,
    cardId: string,
    written: string[],
    actor: { partnerId: string; kind: string; requestId: string | null },
    serial: string,
    authPublicKey: Buffer,
  ): Promise<{ fromVersion: number; version: number } | undefined> {
    return this.cards.confirmAcknowledgedKioskUpdate(exchangeId, cardId, written, actor, serial, authPublicKey);
  }

  /** The cards of these holders in one of `states`, in the caller's transaction: holder → cards. */
  async ofHoldersIn(
    em: EntityManager,
    beneficiaryIds: string[],
    states: readonly CardState[],
  ): Promise<Map<string, Array<{ id: string; state: CardState }>>> {
    const out = new Map<string, Array<{ id: string; state: CardState }>>();
    for (const r of await this.cards.ofHolders(em, beneficiaryIds, states))
      out.set(r.beneficiaryId, [...(out.get(r.beneficiaryId) ?? []), { id: r.id, state: r.state }]);
    return out;
  }

  /** Locks these cards in the caller's transaction (before it changes them) and answers their state, serial, organisme. */
  lockStatesIn(em: EntityManager, ids: string[]): Promise<LockedCardState[]> {
    return this.cards.lockStates(em, ids);
  }

  /**
   * A card as an opposition sees it (state, reason, withdrawal window, whether a replacement is live), by serial in
   * the actor's reach, in the caller's transaction; locked unless `forUpdate` is false. Null when out of reach.
   */
  oppositionStandingIn(
    em: EntityManager,
    actor: Actor,
    dbSerial: string,
    withdrawalHours: number,
    forUpdate = true,
  ): Promise<OppositionStanding | null> {
    return this.cards.findForOpposition(
      em,
      dbSerial,
      scopeOf(actor) ?? null,
      withdrawalHours,
      LIVE_CARD_STATES,
      forUpdate,
    );
  }

  /** How many cards are in each of `states`, overall or per managing organisme (the emission pipeline's counts). */
  countByState(states: readonly CardState[], byOrganisme: boolean): Promise<CardStateCount[]> {
    return this.cards.countByState(states, byOrganisme);
  }

  /**
   * The chip keys of cards being shipped, in the caller's transaction (the return file's, which ships them): both
   * land or neither. A key some card already holds is refused by the database (the transaction must roll back).
   */
  recordKeysIn(em: EntityManager, keys: CardPublicKeys[]): Promise<void> {
    return this.keys.insertMany(em, keys);
  }

  /** Which of these points some card already holds (point hex → card id), in the caller's transaction. */
  keysHeldIn(em: EntityManager, points: Buffer[]): Promise<Map<string, string>> {
    return this.keys.heldBy(em, points);
  }

  /**
   * Usable cards (shipped or active) whose chip has no key, by serial: made before kiosk protocol 2, or imported.
   * A fund sees only the cards its organisme manages (another fund's never appear); operators see all, optionally
   * one organisme's.
   */
  async keyless(
    actor: Actor,
    q: { organismeCode?: string; after?: string; limit?: number },
  ): Promise<KeylessCardPageView> {
    const limit = q.limit ?? 100;
    const rows = await this.keys.listKeyless({
      scopeOrganismeCode: scopeOf(actor),
      organismeCode: q.organismeCode,
      afterSerial: q.after ? BigInt(q.after).toString() : undefined,
      limit,
    });
    const items = rows.map((r) => ({ ...r, serial: formatSerial(r.serial), state: r.state as CardState }));
    return { items, next: items.length === limit ? items[items.length - 1].serial : null };
  }

  async keylessCount(actor: Actor, q: { organismeCode?: string }): Promise<KeylessCardCountView> {
    const scope = scopeOf(actor);
    const count = await this.keys.countKeyless({ scopeOrganismeCode: scope, organismeCode: q.organismeCode });
    return { count, organismeCode: scope ?? q.organismeCode ?? null };
  }

  async get(actor: Actor, serial: string): Promise<CardView> {
    return toCardView(await this.visibleCard(actor, serial));
  }

  async list(actor: Actor, q: CardListQuery): Promise<CardPageView> {
    const limit = q.limit ?? 100;
    const rows = await this.cards.list({
      scopeOrganismeCode: scopeOf(actor),
      organismeCode: q.organismeCode,
      beneficiaryId: q.beneficiaryId,
      state: q.state,
      afterId: q.after,
      limit,
    });
    const items = rows.map(toCardView);
    return { items, next: items.length === limit ? items[items.length - 1].id : null };
  }

  /** The card's state changes, oldest first, read from the audit trail. */
  async history(actor: Actor, serial: string, q: { after?: string; limit?: number } = {}): Promise<CardHistoryView> {
    const card = await this.visibleCard(actor, serial);
    const limit = q.limit ?? 100;
    const shown = formatSerial(card.serial!);
    const entries = await this.audit.list({
      entityType: CARD_AUDIT_ENTITY,
      entityId: card.id,
      afterId: q.after,
      limit,
    });
    const items: CardHistoryEntryView[] = entries
      .filter((e) => typeof e.details?.to === 'string')
      .map((e) => ({
        id: e.id,
        at: e.at,
        action: e.action,
        from: (e.details.from as CardState | null | undefined) ?? null,
        to: e.details.to as CardState,
        reason: (e.details.reason as OppositionReason | null | undefined) ?? null,
        actorKind: e.actorKind,
      }));
    return { serial: shown, items, next: entries.length === limit ? entries[entries.length - 1].id : null };
  }

  /** For kiosks and pharmacy software: the state and whether to refuse the card, never holder data. */
  async status(serial: string): Promise<CardStatusView> {
    const dbSerial = parseSerial(serial);
    const state = dbSerial ? await this.cards.findState(dbSerial) : null;
    if (!state) throw cardNotFound();
    return { serial: formatSerial(dbSerial!), state, blocked: isBlocked(state) };
  }

  private async visibleCard(actor: Actor, serial: string): Promise<Card> {
    const dbSerial = parseSerial(serial);
    const card = dbSerial ? await this.cards.findBySerial(dbSerial, scopeOf(actor)) : null;
    if (!card) throw cardNotFound();
    return card;
  }
}
