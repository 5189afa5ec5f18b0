import { Injectable, Logger } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { DataSource, EntityManager } from 'typeorm';
import { CardAction } from '../../cards/card-action.enum.js';
import { CardState, OppositionReason } from '../../cards/card-state.enum.js';
import { CARD_TRANSITIONS } from '../../cards/card-transitions.js';
import { CardsService } from '../../cards/cards.service.js';
import { AppConfig } from '../../config/app-config.js';
import { FundEventType, type NewFundEvent } from '../../events/event-types.js';
import { FundEventsService } from '../../events/fund-events.service.js';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import { PhotoStore } from '../../photo/photo-store.js';
import { systemActor, type Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { conflict, DomainError } from '../../platform/errors/domain-error.js';
import { RegisterClock } from '../../register/register-clock.js';
import { RequestReason, RequestStatus } from '../requests/request-status.enum.js';
import type { OrderView } from './dto/order.dto.js';
import { OrderRepository } from './order.repository.js';
import { RequestProgressRepository } from './request-progress.repository.js';

/**
 * Same body for unknown, malformed and another fund's request (a fund cannot tell them apart), and the same as
 * the requests module answers.
 */
export const requestNotFound = () => new DomainError('REQUEST_NOT_FOUND', 404, 'No such card request among your organisme\'s');

/** Reasons for which the replaced card is opposed at once (it may be in someone else's hands). */
const OPPOSE_AT_ORDER: Partial<Record<RequestReason, OppositionReason>> = {
  [RequestReason.Lost]: OppositionReason.Lost,
  [RequestReason.Stolen]: OppositionReason.Stolen,
};
const OPPOSABLE = CARD_TRANSITIONS[CardAction.Oppose].from;

/**
 * Step 4: ordering the card of a request whose photo is available. One method for the fund's order and for
 * automatic orders (EmissionAutoOrder), one transaction with the request row locked: every check first, so a
 * refusal writes nothing.
 */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger('emission.orders');

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly repo: OrderRepository,
    private readonly progress: RequestProgressRepository,
    private readonly cards: CardsService,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
    private readonly clock: RegisterClock,
    private readonly photos: PhotoStore,
  ) {}

  /** The fund's order (POST /v1/card-requests/:id/order). */
  order(actor: Actor, requestId: string): Promise<OrderView> {
    return this.dataSource.transaction((em) => this.orderIn(em, actor, requestId));
  }

  /**
   * The EmissionAutoOrder job: orders when the request asks for it. A refusal (not ready any more, not
   * affiliated, ...) is not retried: the request stays photo_available, where the fund and the stuck-item view
   * see it.
   */
  async autoOrder(requestId: string): Promise<OrderView | null> {
    try {
      return await this.dataSource.transaction((em) => this.orderIn(em, systemActor(), requestId, { automatic: true }));
    } catch (e) {
      if (e instanceof DomainError && e.status < 500) {
        this.logger.warn({ msg: 'automatic order refused', requestId, code: e.code });
        return null;
      }
      throw e;
    }
  }

  /** Orders inside the caller's transaction. A fund actor reaches only its organisme's requests. */
  async orderIn(em: EntityManager, actor: Actor, requestId: string, opts: { automatic?: boolean } = {}): Promise<OrderView> {
    const scope = actor.kind === PartnerKind.Fund ? actor.organismeCode ?? '' : null;
    const r = isUUID(requestId) ? await this.repo.lockRequest(em, requestId, scope) : null;
    if (!r) throw requestNotFound();
    if (opts.automatic && !r.autoOrder) throw conflict('ORDER_NOT_AUTOMATIC', 'This request is ordered by its fund');
    if (r.status !== RequestStatus.PhotoAvailable) {
      throw conflict('ORDER_REQUEST_NOT_READY', `A card is ordered for a request whose photo is available; this one is ${r.status}`, { requestStatus: r.status });
    }
    if (!(await this.repo.isAffiliated(em, r.beneficiaryId, r.organismeCode, this.clock.today()))) {
      throw conflict('ORDER_NOT_AFFILIATED', 'The insured is not currently affiliated to this organisme in the register');
    }
    const photo = r.photoId ? await this.repo.acceptedPhoto(em, r.photoId, r.id, this.config.photoMaxAgeDays) : null;
    if (!photo || !photo.chipKey || !photo.printKey || !(await this.stored(photo.chipKey))) {
      throw conflict('ORDER_PHOTO_MISSING', 'The request has no accepted photo ready for the card');
    }
    if (photo.tooOld) {
      throw conflict('ORDER_PHOTO_TOO_OLD', `The photo was received more than ${this.config.photoMaxAgeDays} days ago; a new one is needed`, {
        receivedAt: photo.receivedAt, maxAgeDays: this.config.photoMaxAgeDays,
      });
    }
    const except = [r.replacedCardId, r.cardId].filter((x): x is string => !!x);
    const live = await this.repo.liveCardsOfHolder(em, r.beneficiaryId, except);
    if (live.length > 0) {
      throw conflict('ORDER_ACTIVE_CARD_EXISTS', 'The insured already holds a card (in any regime) that this request does not replace', {
        states: [...new Set(live.map((c) => c.state))],
      });
    }

    // Every check passed: now the writes.
    const events: NewFundEvent[] = [];
    const opposed: string[] = [];
    const oppose = async (cardId: string, reason: OppositionReason) => {
      const [card] = await this.cards.transitionManyByIdIn(em, actor, [cardId], CardAction.Oppose, { reason });
      opposed.push(card.id);
      events.push({
        organismeCode: r.organismeCode, type: FundEventType.CardOpposed, subjectType: 'card', subjectId: card.id,
        data: { cardId: card.id, serial: card.serial, reason, requestId: r.id, cardOrganismeCode: card.organismeCode },
      });
    };
    const previous = await this.repo.cardStates(em, except);
    // A card of this request that came back undeliverable is never mailed again once a new one is ordered.
    const returned = previous.find((c) => c.id === r.cardId && c.state === CardState.ReturnedUndeliverable);
    if (returned) await oppose(returned.id, OppositionReason.Undeliverable);
    // A lost or stolen card is opposed now; any other replaced card stays valid until the new one is activated.
    const atOrder = OPPOSE_AT_ORDER[r.reason];
    const replaced = previous.find((c) => c.id === r.replacedCardId);
    if (atOrder && replaced && OPPOSABLE.includes(replaced.state)) await oppose(replaced.id, atOrder);

    const card = await this.cards.issue(em, actor, { beneficiaryId: r.beneficiaryId, organismeCode: r.organismeCode });
    await this.progress.move(em, [{ id: r.id, status: RequestStatus.Ordered, cardId: card.id }], [RequestStatus.PhotoAvailable]);
    events.push({
      organismeCode: r.organismeCode, type: FundEventType.CardOrdered, subjectType: 'card_request', subjectId: r.id,
      data: { requestId: r.id, cardId: card.id, replacedCardId: r.replacedCardId, automatic: !!opts.automatic },
    });
    await this.events.append(em, ...events);
    await this.audit.record(em, actor, {
      action: 'card_request.order', entityType: 'card_request', entityId: r.id, organismeCode: r.organismeCode,
      details: { cardId: card.id, replacedCardId: r.replacedCardId, opposedCardIds: opposed, automatic: !!opts.automatic },
    });
    return { requestId: r.id, status: RequestStatus.Ordered, cardId: card.id, cardState: card.state, replacedCardId: r.replacedCardId, opposedCardIds: opposed };
  }

  private stored(key: string): Promise<boolean> {
    return this.photos.has(key);
  }
}
