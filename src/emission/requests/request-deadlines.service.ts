import { Injectable } from '@nestjs/common';
import { Transactions } from '../../platform/database/transactions.js';
import { FundEventType } from '../../events/event-types.js';
import { FundEventsService } from '../../events/fund-events.service.js';
import { systemActor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { CardRequestRepository, DeadlineHit } from './card-request.repository.js';
import { REQUEST_ENTITY } from './card-requests.service.js';

/** Requests handled per transaction: short transactions, and a crash loses at most one batch's work (it is redone). */
const BATCH = 500;

/**
 * The form deadlines of requests still waiting for a photo (form_sent, photo_rejected): past reminder_due_at the
 * fund is told once (request.reminder); past expires_at the request expires. Set-based, in batches, each batch
 * with its events and audit in one transaction; rows locked by another transaction are left for the next run.
 */
@Injectable()
export class RequestDeadlinesService {
  constructor(
    private readonly tx: Transactions,
    private readonly repo: CardRequestRepository,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
  ) {}

  async run(): Promise<{ expired: number; reminded: number }> {
    let expired = 0;
    let reminded = 0;
    // Expiry first: a request past both dates expires without a pointless reminder.
    for (;;) {
      const n = await this.tx.run(async (em) => {
        const hits = await this.repo.expireDue(em, BATCH);
        await this.events.append(em, ...hits.map((h) => event(h, FundEventType.RequestExpired)));
        if (hits.length) {
          await this.audit.record(
            em,
            systemActor(),
            ...hits.map((h) => ({
              action: 'card_request.expired',
              entityType: REQUEST_ENTITY,
              entityId: h.id,
              organismeCode: h.organismeCode,
              details: { from: h.status },
            })),
          );
        }
        return hits.length;
      });
      expired += n;
      if (n < BATCH) break;
    }
    for (;;) {
      const n = await this.tx.run(async (em) => {
        const hits = await this.repo.remindDue(em, BATCH);
        await this.events.append(em, ...hits.map((h) => event(h, FundEventType.RequestReminder)));
        return hits.length;
      });
      reminded += n;
      if (n < BATCH) break;
    }
    return { expired, reminded };
  }
}

function event(h: DeadlineHit, type: FundEventType) {
  return {
    organismeCode: h.organismeCode,
    type,
    subjectType: 'card_request' as const,
    subjectId: h.id,
    data: { requestId: h.id, formNumber: h.formNumber, status: h.status },
  };
}
