import { failpoint } from '../../platform/failpoint.js';
import { Injectable, Logger } from '@nestjs/common';
import { Transactions } from '../../platform/database/transactions.js';
import { formatSerial } from '../../cards/card-serial.js';
import { CardsService } from '../../cards/cards.service.js';
import { AppConfig } from '../../config/app-config.js';
import { FundEventType } from '../../events/event-types.js';
import { FundEventsService } from '../../events/fund-events.service.js';
import { systemActor, type Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { CardRequestsService } from '../requests/card-requests.service.js';
import { RequestStatus } from '../requests/request-status.enum.js';
import { BatchRepository } from './batch.repository.js';

export interface BuiltBatch {
  id: string;
  batchNumber: string;
  vendorPartnerId: string;
  cardCount: number;
  firstSerial: string;
  lastSerial: string;
}

export interface BuildResult {
  batches: BuiltBatch[];
  /** Ordered cards of regimes no vendor takes: they wait (and show as stuck) until a vendor or a default exists. */
  waitingWithoutVendor: number;
  /**
   * Ordered cards whose vendor has no age recipient yet: they wait (and show as stuck) until an operator registers
   * one (`PUT /v1/vendors/:id/age-recipient`). A personalisation file is never written in clear.
   */
  waitingWithoutRecipient: number;
}

/**
 * Step 5, first half: ordered cards → personalisation batches. Per vendor (routing rule), in chunks of
 * PERSONALISATION_BATCH_SIZE, each chunk ONE transaction: the batch row (number from its sequence), the serials
 * (consecutive, from the allocator row), cards ordered → in_personalisation, requests → in_personalisation (+
 * step rows), events, audit, and the job that writes the file. Set-based throughout: a handful of statements
 * per chunk whatever its size. Cards are picked FOR UPDATE SKIP LOCKED, so concurrent builders share the work.
 */
@Injectable()
export class BatchBuilderService {
  private readonly logger = new Logger('emission.personalisation');

  constructor(
    private readonly tx: Transactions,
    private readonly config: AppConfig,
    private readonly repo: BatchRepository,
    private readonly progress: CardRequestsService,
    private readonly cards: CardsService,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
    private readonly jobs: JobsService,
  ) {}

  /** An operator's "run now": the same job the cron enqueues, queued in a transaction with its audit entry. */
  async requestRun(actor: Actor): Promise<{ jobId: string | null }> {
    return this.tx.run(async (em) => {
      const jobId = await this.jobs.send(em, JobName.EmissionBuildBatches, {});
      await this.audit.record(em, actor, {
        action: 'personalisation.run',
        entityType: 'job',
        entityId: jobId ?? 'none',
      });
      return { jobId };
    });
  }

  async build(actor: Actor = systemActor()): Promise<BuildResult> {
    const routing = await this.repo.routing();
    const byVendor = new Map<string, string[]>();
    const unrouted: string[] = [];
    const withoutRecipient = new Map<string, string[]>();
    for (const r of routing) {
      if (!r.vendorPartnerId) unrouted.push(r.regimeCode);
      else if (!r.vendorHasRecipient)
        withoutRecipient.set(r.vendorLogin!, [...(withoutRecipient.get(r.vendorLogin!) ?? []), r.regimeCode]);
      else byVendor.set(r.vendorPartnerId, [...(byVendor.get(r.vendorPartnerId) ?? []), r.regimeCode]);
    }
    const batches: BuiltBatch[] = [];
    for (const [vendorPartnerId, regimeCodes] of byVendor) {
      for (;;) {
        const built = await this.buildOne(actor, vendorPartnerId, regimeCodes);
        if (!built) break;
        failpoint('emission.after-batch-allocation');
        batches.push(built);
        if (built.cardCount < this.config.personalisationBatchSize) break;
      }
    }
    const waitingWithoutVendor = await this.repo.countOrdered(unrouted);
    if (waitingWithoutVendor > 0) {
      this.logger.warn({
        msg: 'ordered cards wait: no vendor serves their regime and there is no default vendor',
        cards: waitingWithoutVendor,
        regimes: unrouted,
      });
    }
    let waitingWithoutRecipient = 0;
    for (const [vendor, regimes] of withoutRecipient) {
      const waiting = await this.repo.countOrdered(regimes);
      waitingWithoutRecipient += waiting;
      if (waiting > 0) {
        this.logger.warn({
          msg: 'ordered cards wait: their vendor has no age recipient to encrypt its files to (PUT /v1/vendors/:id/age-recipient)',
          vendor,
          cards: waiting,
        });
      }
    }
    if (batches.length)
      this.logger.log({
        msg: 'personalisation batches allocated',
        batches: batches.length,
        cards: batches.reduce((n, b) => n + b.cardCount, 0),
      });
    return { batches, waitingWithoutVendor, waitingWithoutRecipient };
  }

  /** One chunk in one transaction; null when this vendor has nothing left to take. */
  private buildOne(actor: Actor, vendorPartnerId: string, regimeCodes: string[]): Promise<BuiltBatch | null> {
    return this.tx.run(async (em) => {
      const picked = await this.repo.pickOrdered(em, regimeCodes, this.config.personalisationBatchSize);
      if (picked.length === 0) return null;
      const cardIds = picked.map((p) => p.cardId);
      const batch = await this.repo.insertBatch(em, vendorPartnerId, picked.length);
      // Serials follow the pick order; a rollback (or a crash before commit) gives them back.
      const serials = await this.cards.assignToBatch(em, actor, batch.id, cardIds);
      const moved = await this.progress.moveIn(
        em,
        picked.map((p) => ({ id: p.requestId, status: RequestStatus.InPersonalisation })),
        [RequestStatus.Ordered],
      );
      if (moved.length !== picked.length) throw new Error('a picked request left the ordered status');
      await this.events.append(
        em,
        ...picked.map((p) => ({
          organismeCode: p.organismeCode,
          type: FundEventType.CardInPersonalisation,
          subjectType: 'card' as const,
          subjectId: p.cardId,
          data: {
            requestId: p.requestId,
            cardId: p.cardId,
            serial: formatSerial(serials.get(p.cardId)!),
            batchNumber: batch.batchNumber,
          },
        })),
      );
      const ordered = cardIds.map((id) => BigInt(serials.get(id)!)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const built: BuiltBatch = {
        id: batch.id,
        batchNumber: batch.batchNumber,
        vendorPartnerId,
        cardCount: picked.length,
        firstSerial: formatSerial(ordered[0]),
        lastSerial: formatSerial(ordered[ordered.length - 1]),
      };
      await this.audit.record(em, actor, {
        action: 'personalisation_batch.allocate',
        entityType: 'personalisation_batch',
        entityId: batch.id,
        details: {
          batchNumber: batch.batchNumber,
          vendorPartnerId,
          cardCount: built.cardCount,
          firstSerial: built.firstSerial,
          lastSerial: built.lastSerial,
        },
      });
      // Written by its own job: a crash after this commit leaves the job queued, and the file is written once.
      await this.jobs.send(em, JobName.EmissionWriteBatchFile, { batchId: batch.id });
      return built;
    });
  }
}
