import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../../platform/database/transactions.js';
import { AppConfig } from '../../config/app-config.js';
import { FundEventType } from '../../events/event-types.js';
import { FundEventsService } from '../../events/fund-events.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { RegisterErrors } from '../../register/register.errors.js';
import { EmissionErrors } from '../emission.errors.js';
import { CardsService } from '../../cards/cards.service.js';
import { BeneficiariesService } from '../../register/beneficiaries.service.js';
import { RegisterClock } from '../../register/register-clock.js';
import {
  CardRequestRecord,
  CardRequestRepository,
  RequestMove,
  type RequestOrigin,
  RequestScope,
  RequestWithPhoto,
} from './card-request.repository.js';
import type {
  CardRequestPageView,
  CardRequestSummaryView,
  CardRequestView,
  CreateCardRequestDto,
  CreatedCardRequestView,
  ListCardRequestsQueryDto,
  UploadLinkView,
} from './dto/card-request.dto.js';
import { makeFormNumber } from './form-number.js';
import { AWAITING_PHOTO, RequestReason, RequestStatus } from './request-status.enum.js';
import { ageOn, CANCELLABLE, OWN_CARD_ON_REQUEST_AGE } from './request-rules.js';
import { DependantCardsService } from '../../register/dependant-cards.service.js';
import { systemActor } from '../../platform/auth/actor.js';
import { newUploadToken, uploadLink } from './upload-token.js';
import { isUuid } from '../../platform/validation/ids.js';

export const REQUEST_ENTITY = 'card_request';

export type { CardRequestRecord, RequestMove } from './card-request.repository.js';

/** One answer for unknown, malformed and another fund's request: nothing confirms that a request exists. */
export const requestNotFound = EmissionErrors.REQUEST_NOT_FOUND;

/** The same refusal the register gives: an insured the caller does not manage is indistinguishable from none. */
const beneficiaryNotFound = RegisterErrors.BENEFICIARY_NOT_FOUND;

/** Step 1 of the emission chain: a fund's card request, its eligibility, deadlines and online upload link. */
@Injectable()
export class CardRequestsService {
  constructor(
    private readonly tx: Transactions,
    private readonly repo: CardRequestRepository,
    private readonly beneficiaries: BeneficiariesService,
    private readonly cards: CardsService,
    private readonly clock: RegisterClock,
    private readonly config: AppConfig,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
    private readonly dependants: DependantCardsService,
  ) {}

  /**
   * Checks eligibility and opens the request in one transaction, the beneficiary row locked: currently affiliated
   * to the caller's organisme, old enough, no active card for a first card, no other open request (the partial
   * unique index decides). Every refusal writes nothing.
   */
  async create(actor: Actor, dto: CreateCardRequestDto): Promise<CreatedCardRequestView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    const token = newUploadToken();
    return this.tx.run(async (em) => {
      // An insured the fund manages, or a dependant of a parent it manages (their own card, from 12).
      const b =
        (await this.beneficiaries.lockVisibleIn(em, { organismeCode, today }, dto.beneficiaryId)) ??
        (await this.dependants.lockDependantOfIn(em, { organismeCode, today }, dto.beneficiaryId));
      if (!b) throw beneficiaryNotFound();
      const minAge = (await this.dependants.isDependantIn(em, b.id, today))
        ? Math.min(OWN_CARD_ON_REQUEST_AGE, this.config.cardMinAge)
        : this.config.cardMinAge;
      if (ageOn(b.birthDate, today) < minAge) {
        throw EmissionErrors.REQUEST_TOO_YOUNG(minAge);
      }
      // The holder's usable card (at most one, a unique index), if any: the one a replacement replaces.
      const activeCardId = (await this.cards.usableCardsOfIn(em, [b.id])).get(b.id)?.[0] ?? null;
      if (dto.reason === RequestReason.FirstCard && activeCardId) {
        throw EmissionErrors.REQUEST_ACTIVE_CARD_EXISTS();
      }
      const id = await this.openIn(em, actor, {
        beneficiaryId: b.id,
        organismeCode,
        reason: dto.reason,
        autoOrder: dto.autoOrder ?? false,
        replacedCardId: dto.reason === RequestReason.FirstCard ? null : activeCardId,
        uploadTokenHash: token.hash,
        origin: 'fund',
      });
      if (!id) throw EmissionErrors.REQUEST_ALREADY_OPEN();
      const view = await this.view({ organismeCode }, id, em);
      return { ...view, photoUploadLink: uploadLink(token.token) };
    });
  }

  /**
   * The 16th-birthday job's request for one dependant, under the organisme of the parent the register chose, in the
   * caller's transaction: null when the young person already had it or has an open request (the unique indexes
   * decide, also between two instances running the job at once). No upload link yet: the fund asks for one
   * (POST /v1/card-requests/:id/upload-link) if it sends links.
   */
  openAtSixteenIn(em: EntityManager, c: { dependantId: string; organismeCode: string }): Promise<string | null> {
    return this.openIn(em, systemActor(), {
      beneficiaryId: c.dependantId,
      organismeCode: c.organismeCode,
      reason: RequestReason.FirstCard,
      autoOrder: false,
      replacedCardId: null,
      uploadTokenHash: null,
      origin: 'sixteenth_birthday',
    });
  }

  /**
   * A renewal campaign's request for one holder of its cohort (src/campaigns), in the caller's transaction: the card
   * it renews is replaced when the new one is active. Null when the holder has an open request or already had this
   * campaign's (the unique indexes decide, whatever the instances). No upload link, as for the 16th-birthday job.
   */
  openForCampaignIn(
    em: EntityManager,
    c: { campaignId: string; beneficiaryId: string; organismeCode: string; replacedCardId: string },
  ): Promise<string | null> {
    return this.openIn(em, systemActor(), {
      beneficiaryId: c.beneficiaryId,
      organismeCode: c.organismeCode,
      reason: RequestReason.Other,
      autoOrder: false,
      replacedCardId: c.replacedCardId,
      uploadTokenHash: null,
      origin: 'campaign',
      campaignId: c.campaignId,
    });
  }

  /** Step 1 for an eligible holder: the request, its first step, the fund's event and the audit entry; null if refused by an index. */
  private async openIn(
    em: EntityManager,
    actor: Actor,
    o: {
      beneficiaryId: string;
      organismeCode: string;
      reason: RequestReason;
      autoOrder: boolean;
      replacedCardId: string | null;
      uploadTokenHash: Buffer | null;
      origin: RequestOrigin;
      campaignId?: string;
    },
  ): Promise<string | null> {
    const formNumber = await this.allocateFormNumber(em);
    const id = await this.repo.insert(em, {
      formNumber,
      beneficiaryId: o.beneficiaryId,
      organismeCode: o.organismeCode,
      reason: o.reason,
      autoOrder: o.autoOrder,
      replacedCardId: o.replacedCardId,
      reminderDays: this.config.formReminderDays,
      expiryDays: this.config.formExpiryDays,
      uploadTokenHash: o.uploadTokenHash,
      uploadLinkDays: this.config.uploadLinkDays,
      origin: o.origin,
      campaignId: o.campaignId ?? null,
    });
    if (!id) return null;
    await this.repo.insertStep(em, id, RequestStatus.FormSent);
    await this.events.append(em, {
      organismeCode: o.organismeCode,
      type: FundEventType.RequestFormSent,
      subjectType: 'card_request',
      subjectId: id,
      data: { requestId: id, formNumber, reason: o.reason },
    });
    await this.audit.record(em, actor, {
      action: 'card_request.created',
      entityType: REQUEST_ENTITY,
      entityId: id,
      organismeCode: o.organismeCode,
      details: {
        formNumber,
        reason: o.reason,
        autoOrder: o.autoOrder,
        replacedCardId: o.replacedCardId,
        ...(o.origin === 'fund' ? {} : { origin: o.origin }),
        ...(o.campaignId ? { campaignId: o.campaignId } : {}),
      },
    });
    return id;
  }

  /**
   * The form number of a new request: the next one of the sequence while it lasts, then the number of the request
   * closed longest ago (FORM_NUMBER_REUSE_DAYS or more). When every number is held: 503 FORM_NUMBERS_EXHAUSTED.
   */
  private async allocateFormNumber(em: EntityManager): Promise<string> {
    const sequence = await this.repo.nextFormSequence(em);
    if (sequence !== null) return makeFormNumber(sequence);
    const reused = await this.repo.releaseOldestFormNumber(em, this.config.formNumberReuseDays);
    if (reused !== null) return reused;
    throw EmissionErrors.FORM_NUMBERS_EXHAUSTED(this.config.formNumberReuseDays);
  }

  async get(actor: Actor, id: string): Promise<CardRequestView> {
    const scope = scopeOf(actor);
    if (!isUuid(id)) throw requestNotFound();
    return this.view(scope, id);
  }

  async list(actor: Actor, q: ListCardRequestsQueryDto): Promise<CardRequestPageView> {
    const limit = q.limit ?? 100;
    const rows = await this.repo.list(scopeOf(actor), {
      status: q.status,
      beneficiaryId: q.beneficiaryId,
      afterId: q.after,
      limit,
    });
    return { items: rows.map(toSummary), next: rows.length === limit ? rows[rows.length - 1].id : null };
  }

  /** Cancels an open request before its card is ordered; the upload link stops working. */
  async cancel(actor: Actor, id: string): Promise<CardRequestView> {
    const organismeCode = fundOrganisme(actor);
    if (!isUuid(id)) throw requestNotFound();
    return this.tx.run(async (em) => {
      const r = await this.lockOwn(em, organismeCode, id);
      if (!CANCELLABLE.includes(r.status)) {
        throw EmissionErrors.REQUEST_NOT_CANCELLABLE(r.status);
      }
      await this.repo.enterStatus(em, r.id, RequestStatus.Cancelled, { clearUploadLink: true });
      await this.events.append(em, {
        organismeCode,
        type: FundEventType.RequestCancelled,
        subjectType: 'card_request',
        subjectId: r.id,
        data: { requestId: r.id, formNumber: r.formNumber, from: r.status },
      });
      await this.audit.record(em, actor, {
        action: 'card_request.cancelled',
        entityType: REQUEST_ENTITY,
        entityId: r.id,
        organismeCode,
        details: { from: r.status },
      });
      return this.view({ organismeCode }, r.id, em);
    });
  }

  /** A new one-time upload link (the previous one stops working), while the request waits for a photo. */
  async renewUploadLink(actor: Actor, id: string): Promise<UploadLinkView> {
    const organismeCode = fundOrganisme(actor);
    if (!isUuid(id)) throw requestNotFound();
    const token = newUploadToken();
    return this.tx.run(async (em) => {
      const r = await this.lockOwn(em, organismeCode, id);
      if (!AWAITING_PHOTO.includes(r.status)) throw notAwaitingPhoto(r.status);
      const expiresAt = await this.repo.setUploadToken(em, r.id, token.hash, this.config.uploadLinkDays);
      await this.audit.record(em, actor, {
        action: 'card_request.upload_link_renewed',
        entityType: REQUEST_ENTITY,
        entityId: r.id,
        organismeCode,
      });
      return { photoUploadLink: uploadLink(token.token), expiresAt };
    });
  }

  /**
   * Steps 4-6 (orders, batches, returns), in the caller's transaction: the requests still in one of `from` move,
   * set-based, each with its step row; returns those that moved.
   */
  moveIn(
    em: EntityManager,
    moves: RequestMove[],
    from: RequestStatus[],
  ): Promise<Array<{ id: string; status: RequestStatus; organismeCode: string }>> {
    return this.repo.move(em, moves, from);
  }

  /** The pipeline's re-injector: these requests were re-run once more / are left for an operator to review. */
  markReinjectedIn(em: EntityManager, ids: string[]): Promise<void> {
    return this.repo.markReinjected(em, ids);
  }

  markNeedsReviewIn(em: EntityManager, ids: string[]): Promise<void> {
    return this.repo.markNeedsReview(em, ids);
  }

  /** After an operator's retry: the re-injector starts counting again, a full period from now. */
  resetAfterRetryIn(em: EntityManager, id: string): Promise<void> {
    return this.repo.resetAfterRetry(em, id);
  }

  /** An operator's cancellation, in the caller's transaction: status, step row, and the upload link dies with it. */
  cancelIn(em: EntityManager, id: string): Promise<void> {
    return this.repo.cancel(em, id);
  }

  /** The photo module's steps, in its transaction: the request locked by id (any fund), by form number, by upload token. */
  lockIn(em: EntityManager, id: string): Promise<CardRequestRecord | null> {
    return this.repo.lock(em, { organismeCode: null }, id);
  }

  lockByFormNumberIn(em: EntityManager, formNumber: string): Promise<CardRequestRecord | null> {
    return this.repo.lockByFormNumber(em, formNumber);
  }

  /** Whether a one-time upload link is known and not expired (nothing changed). */
  uploadTokenLive(hash: Buffer): Promise<boolean> {
    return this.repo.uploadTokenLive(hash);
  }

  /** Uses the one-time upload link: the request it opened, now without a link; null when unknown or expired. */
  consumeUploadTokenIn(em: EntityManager, hash: Buffer): Promise<CardRequestRecord | null> {
    return this.repo.consumeUploadToken(em, hash);
  }

  /** Moves the request to a photo step (photo_received, photo_available with its photo, photo_rejected). */
  enterPhotoStatusIn(
    em: EntityManager,
    id: string,
    status: RequestStatus,
    opts: { photoId?: string; clearUploadLink?: boolean } = {},
  ): Promise<void> {
    return this.repo.enterStatus(em, id, status, opts);
  }

  private async lockOwn(em: EntityManager, organismeCode: string, id: string): Promise<CardRequestRecord> {
    const r = await this.repo.lock(em, { organismeCode }, id);
    if (!r) throw requestNotFound();
    return r;
  }

  private async view(scope: RequestScope, id: string, em?: EntityManager): Promise<CardRequestView> {
    const r = await this.repo.find(scope, id, em);
    if (!r) throw requestNotFound();
    return { ...toSummary(r), steps: await this.repo.steps(r.id, em) };
  }
}

export const notAwaitingPhoto = (status: RequestStatus) => EmissionErrors.REQUEST_NOT_AWAITING_PHOTO(status);

/** A fund acts for its organisme; the guard lets only funds and operators in. */
export function scopeOf(actor: Actor): RequestScope {
  if (actor.kind === 'fund') return { organismeCode: fundOrganisme(actor) };
  return { organismeCode: null };
}

function fundOrganisme(actor: Actor): string {
  if (actor.kind !== 'fund' || !actor.organismeCode) throw PlatformErrors.FUND_ONLY();
  return actor.organismeCode;
}

function toSummary(r: RequestWithPhoto): CardRequestSummaryView {
  return {
    id: r.id,
    formNumber: r.formNumber,
    beneficiaryId: r.beneficiaryId,
    organismeCode: r.organismeCode,
    reason: r.reason,
    status: r.status,
    origin: r.origin,
    campaignId: r.campaignId,
    autoOrder: r.autoOrder,
    photo: r.photo,
    acceptedPhotoId: r.photoId,
    cardId: r.cardId,
    replacedCardId: r.replacedCardId,
    reminderDueAt: r.reminderDueAt,
    remindedAt: r.remindedAt,
    expiresAt: r.expiresAt,
    uploadLinkExpiresAt: r.uploadLinkExpiresAt,
    statusChangedAt: r.statusChangedAt,
    needsReview: r.needsReview,
    createdAt: r.createdAt,
  };
}
