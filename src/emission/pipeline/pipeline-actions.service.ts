import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../../platform/database/transactions.js';
import { CardAction } from '../../cards/card-action.enum.js';
import { CardsService } from '../../cards/cards.service.js';
import { FundEventType } from '../../events/event-types.js';
import { FundEventsService } from '../../events/fund-events.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { EmissionErrors } from '../emission.errors.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { RequestStatus } from '../requests/request-status.enum.js';
import type { CancelView, RetryView } from './dto/pipeline.dto.js';
import { CANCELLABLE_STATUSES, RequestSituation, stepJob, StepJob } from './pipeline-rules.js';
import { CardRequestsService } from '../requests/card-requests.service.js';
import { PipelineRepository } from './pipeline.repository.js';
import { isUuid } from '../../platform/validation/ids.js';

export const REQUEST_AUDIT_ENTITY = 'card_request';

export const pipelineRequestNotFound = EmissionErrors.PIPELINE_REQUEST_NOT_FOUND;

/** Enqueues a step's job in the caller's transaction (shared by the operator's retry and the re-injector). */
export function sendStepJob(jobs: JobsService, em: EntityManager, job: StepJob): Promise<unknown> {
  return jobs.send(em, job.name, job.payload as never);
}

/** Operators' interventions on one request: re-run its step, or cancel it before the vendor has the card. */
@Injectable()
export class PipelineActionsService {
  constructor(
    private readonly tx: Transactions,
    private readonly repo: PipelineRepository,
    private readonly requests: CardRequestsService,
    private readonly jobs: JobsService,
    private readonly cards: CardsService,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Re-enqueues the job of the request's current step and clears its review flag; the re-injector counts afresh.
   * Refused when the step is not the system's to redo (waiting for a person or the vendor, or closed).
   */
  async retry(actor: Actor, id: string): Promise<RetryView> {
    return this.tx.run(async (em) => {
      const s = await this.lock(em, id);
      const job = stepJob(s);
      if (!job) {
        throw EmissionErrors.PIPELINE_NOTHING_TO_RETRY(s.status, s.waitingOn);
      }
      await sendStepJob(this.jobs, em, job);
      await this.requests.resetAfterRetryIn(em, s.id);
      await this.audit.record(em, actor, {
        action: 'card_request.retried',
        entityType: REQUEST_AUDIT_ENTITY,
        entityId: s.id,
        organismeCode: s.organismeCode,
        details: { status: s.status, job: job.name, reinjections: s.reinjections, needsReview: s.needsReview },
      });
      return { requestId: s.id, status: s.status, job: job.name };
    });
  }

  /** Cancels an open request before in_personalisation; an ordered card is cancelled with it (same transaction). */
  async cancel(actor: Actor, id: string): Promise<CancelView> {
    return this.tx.run(async (em) => {
      const s = await this.lock(em, id);
      if (!CANCELLABLE_STATUSES.includes(s.status)) {
        throw EmissionErrors.PIPELINE_CANNOT_CANCEL(s.status, CANCELLABLE_STATUSES);
      }
      // Only an ordered card can still be stopped; the card service checks its state and refuses anything else.
      const cancelledCardId = s.status === RequestStatus.Ordered && s.cardId ? s.cardId : null;
      if (cancelledCardId) await this.cards.transitionByIdIn(em, actor, cancelledCardId, CardAction.Cancel);
      await this.requests.cancelIn(em, s.id);
      await this.events.append(em, {
        organismeCode: s.organismeCode,
        type: FundEventType.RequestCancelled,
        subjectType: 'card_request',
        subjectId: s.id,
        data: { requestId: s.id, formNumber: s.formNumber, from: s.status, cardId: cancelledCardId, by: 'operator' },
      });
      await this.audit.record(em, actor, {
        action: 'card_request.cancelled',
        entityType: REQUEST_AUDIT_ENTITY,
        entityId: s.id,
        organismeCode: s.organismeCode,
        details: { from: s.status, to: RequestStatus.Cancelled, cardId: cancelledCardId },
      });
      return { requestId: s.id, status: RequestStatus.Cancelled, previousStatus: s.status, cancelledCardId };
    });
  }

  private async lock(em: EntityManager, id: string): Promise<RequestSituation> {
    const s = isUuid(id) ? await this.repo.lockSituation(em, id) : null;
    if (!s) throw pipelineRequestNotFound();
    return s;
  }
}
