import { Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../../platform/database/transactions.js';
import { CardAction } from '../../cards/card-action.enum.js';
import { CardState, OppositionReason } from '../../cards/card-state.enum.js';
import { LIVE_CARD_STATES } from '../../cards/card-transitions.js';
import { CARD_TRANSITIONS } from '../../cards/card-transitions.js';
import { CardsService } from '../../cards/cards.service.js';
import { AppConfig } from '../../config/app-config.js';
import { FundEventType, type NewFundEvent } from '../../events/event-types.js';
import { FundEventsService } from '../../events/fund-events.service.js';
import { PhotoStore } from '../../photo/photo-store.js';
import { systemActor, type Actor, tenantScope } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { EmissionErrors } from '../emission.errors.js';
import { DomainError } from '../../platform/errors/domain-error.js';
import { RegisterClock } from '../../register/register-clock.js';
import { RequestReason, RequestStatus } from '../requests/request-status.enum.js';
import type { OrderView } from './dto/order.dto.js';
import { OrderRepository, type LockedRequest } from './order.repository.js';
import { CardRequestsService } from '../requests/card-requests.service.js';

/**
 * Same body for unknown, malformed and another fund's request (a fund cannot tell them apart), and the same as
 * the requests module answers.
 */
export const requestNotFound = EmissionErrors.REQUEST_NOT_FOUND;

/** Reasons for which the replaced card is opposed at once (it may be in someone else's hands). */
const OPPOSE_AT_ORDER: Partial<Record<RequestReason, OppositionReason>> = {
  [RequestReason.Lost]: OppositionReason.Lost,
  [RequestReason.Stolen]: OppositionReason.Stolen,
};
const OPPOSABLE = CARD_TRANSITIONS[CardAction.Oppose].from;

/** The cards a request may leave alone when ordering: the one it replaces and its own earlier card. */
const exceptOf = (r: LockedRequest): string[] => [r.replacedCardId, r.cardId].filter((x): x is string => !!x);

/**
 * Step 4: ordering the card of a request whose photo is available. One method for the fund's order and for
 * automatic orders (EmissionAutoOrder), one transaction with the request row locked: every check first, so a
 * refusal writes nothing.
 */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger('emission.orders');

  constructor(
    private readonly tx: Transactions,
    private readonly config: AppConfig,
    private readonly repo: OrderRepository,
    private readonly progress: CardRequestsService,
    private readonly cards: CardsService,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
    private readonly clock: RegisterClock,
    private readonly photos: PhotoStore,
  ) {}

  /** The fund's order (POST /v1/card-requests/:id/order). */
  order(actor: Actor, requestId: string): Promise<OrderView> {
    return this.tx.run((em) => this.orderIn(em, actor, requestId));
  }

  /**
   * The EmissionAutoOrder job for a whole fetch: one transaction, set-based. Refusals are logged, not retried
   * (those requests stay photo_available, where the fund and the stuck-item view see them).
   */
  async autoOrderMany(requestIds: string[]): Promise<Array<OrderView | DomainError>> {
    const outcomes = await this.tx.run((em) => this.orderManyIn(em, systemActor(), requestIds, { automatic: true }));
    outcomes.forEach((o, i) => {
      if (o instanceof DomainError)
        this.logger.warn({ msg: 'automatic order refused', requestId: requestIds[i], code: o.code });
    });
    return outcomes;
  }

  /** Orders inside the caller's transaction. A fund actor reaches only its organisme's requests. */
  async orderIn(
    em: EntityManager,
    actor: Actor,
    requestId: string,
    opts: { automatic?: boolean } = {},
  ): Promise<OrderView> {
    const [outcome] = await this.orderManyIn(em, actor, [requestId], opts);
    if (outcome instanceof DomainError) throw outcome;
    return outcome;
  }

  /**
   * Orders many requests in the caller's transaction, the automatic orders' way (one fetch of jobs at once):
   * every check of every request first, with set-based reads, then the writes of the requests that passed,
   * set-based. A refused request writes nothing. Returns, for each id in order, its order or its refusal.
   */
  async orderManyIn(
    em: EntityManager,
    actor: Actor,
    requestIds: string[],
    opts: { automatic?: boolean } = {},
  ): Promise<Array<OrderView | DomainError>> {
    const scope = tenantScope(actor);
    const locked = await this.repo.lockRequests(em, [...new Set(requestIds.filter((id) => isUUID(id)))], scope);
    const byId = new Map(locked.map((r) => [r.id, r]));
    const affiliated = await this.repo.affiliatedPairs(em, locked, this.clock.today());
    const photos = await this.repo.acceptedPhotos(
      em,
      locked.filter((r) => r.photoId).map((r) => ({ photoId: r.photoId!, requestId: r.id })),
      this.config.photoMaxAgeDays,
    );
    const ready = new Map(
      await Promise.all(
        [...photos.values()].map(
          async (p) => [p.id, !!p.chipKey && !!p.printKey && (await this.stored(p.chipKey))] as const,
        ),
      ),
    );
    const live = await this.cards.ofHoldersIn(
      em,
      locked.map((r) => r.beneficiaryId),
      LIVE_CARD_STATES,
    );

    const refusal = (r: LockedRequest | undefined): DomainError | null => {
      if (!r) return requestNotFound();
      if (opts.automatic && !r.autoOrder) return EmissionErrors.ORDER_NOT_AUTOMATIC();
      if (r.status !== RequestStatus.PhotoAvailable) {
        return EmissionErrors.ORDER_REQUEST_NOT_READY(r.status);
      }
      if (!affiliated.has(`${r.beneficiaryId}|${r.organismeCode}`)) {
        return EmissionErrors.ORDER_NOT_AFFILIATED();
      }
      const photo = r.photoId ? photos.get(r.photoId) : undefined;
      if (!photo || !ready.get(photo.id)) return EmissionErrors.ORDER_PHOTO_MISSING();
      if (photo.tooOld) {
        return EmissionErrors.ORDER_PHOTO_TOO_OLD(photo.receivedAt, this.config.photoMaxAgeDays);
      }
      const except = exceptOf(r);
      const others = (live.get(r.beneficiaryId) ?? []).filter((c) => !except.includes(c.id));
      if (others.length > 0) {
        return EmissionErrors.ORDER_ACTIVE_CARD_EXISTS([...new Set(others.map((c) => c.state))]);
      }
      return null;
    };
    const outcomes = requestIds.map((id) => ({ id, r: byId.get(id), error: refusal(byId.get(id)) }));
    const passed = [...new Map(outcomes.filter((o) => !o.error).map((o) => [o.id, o.r!])).values()];
    if (passed.length === 0) return outcomes.map((o) => o.error!);

    // Every check passed for these: now the writes, set-based.
    const events: NewFundEvent[] = [];
    const opposedBy = new Map<string, string[]>();
    const previous = new Map((await this.cards.lockStatesIn(em, passed.flatMap(exceptOf))).map((c) => [c.id, c]));
    const toOppose = new Map<OppositionReason, Array<{ r: LockedRequest; cardId: string }>>();
    const plan = (reason: OppositionReason, r: LockedRequest, cardId: string) =>
      toOppose.set(reason, [...(toOppose.get(reason) ?? []), { r, cardId }]);
    for (const r of passed) {
      // A card of this request that came back undeliverable is never mailed again once a new one is ordered.
      const returned = r.cardId ? previous.get(r.cardId) : undefined;
      if (returned?.state === CardState.ReturnedUndeliverable) plan(OppositionReason.Undeliverable, r, returned.id);
      // A lost or stolen card is opposed now; any other replaced card stays valid until the new one is activated.
      const atOrder = OPPOSE_AT_ORDER[r.reason];
      const replaced = r.replacedCardId ? previous.get(r.replacedCardId) : undefined;
      if (atOrder && replaced && OPPOSABLE.includes(replaced.state)) plan(atOrder, r, replaced.id);
    }
    for (const [reason, pairs] of toOppose) {
      const opposed = await this.cards.transitionManyByIdIn(
        em,
        actor,
        pairs.map((p) => p.cardId),
        CardAction.Oppose,
        { reason },
      );
      const byCard = new Map(opposed.map((c) => [c.id, c]));
      for (const { r, cardId } of pairs) {
        const card = byCard.get(cardId)!;
        opposedBy.set(r.id, [...(opposedBy.get(r.id) ?? []), card.id]);
        events.push({
          organismeCode: r.organismeCode,
          type: FundEventType.CardOpposed,
          subjectType: 'card',
          subjectId: card.id,
          data: {
            cardId: card.id,
            serial: card.serial,
            reason,
            requestId: r.id,
            cardOrganismeCode: card.organismeCode,
          },
        });
      }
    }

    const cards = await this.cards.issueMany(
      em,
      actor,
      passed.map((r) => ({ beneficiaryId: r.beneficiaryId, organismeCode: r.organismeCode })),
    );
    const cardOf = new Map(passed.map((r, i) => [r.id, cards[i]]));
    await this.progress.moveIn(
      em,
      passed.map((r) => ({ id: r.id, status: RequestStatus.Ordered, cardId: cardOf.get(r.id)!.id })),
      [RequestStatus.PhotoAvailable],
    );
    for (const r of passed) {
      events.push({
        organismeCode: r.organismeCode,
        type: FundEventType.CardOrdered,
        subjectType: 'card_request',
        subjectId: r.id,
        data: {
          requestId: r.id,
          cardId: cardOf.get(r.id)!.id,
          replacedCardId: r.replacedCardId,
          automatic: !!opts.automatic,
        },
      });
    }
    await this.events.append(em, ...events);
    await this.audit.record(
      em,
      actor,
      ...passed.map((r) => ({
        action: 'card_request.order',
        entityType: 'card_request',
        entityId: r.id,
        organismeCode: r.organismeCode,
        details: {
          cardId: cardOf.get(r.id)!.id,
          replacedCardId: r.replacedCardId,
          opposedCardIds: opposedBy.get(r.id) ?? [],
          automatic: !!opts.automatic,
        },
      })),
    );
    return outcomes.map(
      (o) =>
        o.error ?? {
          requestId: o.id,
          status: RequestStatus.Ordered,
          cardId: cardOf.get(o.id)!.id,
          cardState: cardOf.get(o.id)!.state,
          replacedCardId: o.r!.replacedCardId,
          opposedCardIds: opposedBy.get(o.id) ?? [],
        },
    );
  }

  private stored(key: string): Promise<boolean> {
    return this.photos.has(key);
  }
}
