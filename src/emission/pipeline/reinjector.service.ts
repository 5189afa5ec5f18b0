import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../../platform/database/transactions.js';
import { AppConfig } from '../../config/app-config.js';
import { FundEventType } from '../../events/event-types.js';
import { FundEventsService } from '../../events/fund-events.service.js';
import { systemActor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { REQUEST_AUDIT_ENTITY } from './pipeline-actions.service.js';
import { RequestSituation, stepJob, StepJob } from './pipeline-rules.js';
import { CardRequestsService } from '../requests/card-requests.service.js';
import { PipelineRepository } from './pipeline.repository.js';

/** Requests handled per transaction: locks stay short, and a crash loses at most one chunk's work (it is redone next run). */
const CHUNK = 500;

export interface ReinjectReport {
  reinjected: number;
  flaggedForReview: number;
  jobs: Partial<Record<JobName, number>>;
}

/**
 * The re-processor (MOSIP style): a request idle too long at a step the system owes is re-injected (its step's job
 * enqueued again, `reinjections` + 1, in one transaction); when the count reaches REINJECT_LIMIT, or when there is no
 * job that could move it, it is flagged for review instead and its fund told once (request.needs_review). Steps
 * waiting for a person or the vendor are never re-injected (deadlines, reminders and return files deal with them).
 */
@Injectable()
export class ReinjectorService {
  private readonly logger = new Logger('pipeline');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: PipelineRepository,
    private readonly requests: CardRequestsService,
    private readonly jobs: JobsService,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async run(): Promise<ReinjectReport> {
    const report: ReinjectReport = { reinjected: 0, flaggedForReview: 0, jobs: {} };
    // One global batch run covers every ordered request: it is enqueued once per run, not once per request.
    const state = { buildBatchesSent: false };
    for (;;) {
      const handled = await this.tx.run((em) => this.chunk(em, report, state));
      if (handled < CHUNK) break;
    }
    if (report.reinjected || report.flaggedForReview) this.logger.log({ msg: 'stuck requests re-injected', ...report });
    return report;
  }

  private async chunk(
    em: EntityManager,
    report: ReinjectReport,
    state: { buildBatchesSent: boolean },
  ): Promise<number> {
    const rows = await this.repo.lockReinjectCandidates(em, this.config.stuckAfterHours, CHUNK);
    const reinject: Array<{ s: RequestSituation; job: StepJob }> = [];
    const review: Array<{ s: RequestSituation; reason: 'reinject_limit' | 'no_job' }> = [];
    for (const s of rows) {
      const job = stepJob(s);
      if (!job) review.push({ s, reason: 'no_job' });
      else if (s.reinjections >= this.config.reinjectLimit) review.push({ s, reason: 'reinject_limit' });
      else reinject.push({ s, job });
    }

    await this.enqueue(
      em,
      reinject.map((r) => r.job),
      report,
      state,
    );
    await this.requests.markReinjectedIn(
      em,
      reinject.map((r) => r.s.id),
    );
    await this.requests.markNeedsReviewIn(
      em,
      review.map((r) => r.s.id),
    );
    await this.events.append(
      em,
      ...review.map(({ s, reason }) => ({
        organismeCode: s.organismeCode,
        type: FundEventType.RequestNeedsReview,
        subjectType: 'card_request' as const,
        subjectId: s.id,
        data: { requestId: s.id, formNumber: s.formNumber, status: s.status, reinjections: s.reinjections, reason },
      })),
    );
    const actor = systemActor();
    await this.audit.record(
      em,
      actor,
      ...reinject.map(({ s, job }) => ({
        action: 'card_request.reinjected',
        entityType: REQUEST_AUDIT_ENTITY,
        entityId: s.id,
        organismeCode: s.organismeCode,
        details: { status: s.status, job: job.name, reinjections: s.reinjections + 1 },
      })),
      ...review.map(({ s, reason }) => ({
        action: 'card_request.needs_review',
        entityType: REQUEST_AUDIT_ENTITY,
        entityId: s.id,
        organismeCode: s.organismeCode,
        details: { status: s.status, reinjections: s.reinjections, reason },
      })),
    );
    report.reinjected += reinject.length;
    report.flaggedForReview += review.length;
    return rows.length;
  }

  /** Set-based: one insert per job kind; a batch file job once per batch, the batch builder once per run. */
  private async enqueue(
    em: EntityManager,
    jobs: StepJob[],
    report: ReinjectReport,
    state: { buildBatchesSent: boolean },
  ): Promise<void> {
    const count = (name: JobName, n: number) => {
      if (n > 0) report.jobs[name] = (report.jobs[name] ?? 0) + n;
    };
    const photos = jobs.flatMap((j) => (j.name === JobName.PhotoCheck ? [j.payload] : []));
    const orders = jobs.flatMap((j) => (j.name === JobName.EmissionAutoOrder ? [j.payload] : []));
    const batches = [
      ...new Set(jobs.flatMap((j) => (j.name === JobName.EmissionWriteBatchFile ? [j.payload.batchId] : []))),
    ];
    await this.jobs.sendMany(em, JobName.PhotoCheck, photos);
    await this.jobs.sendMany(em, JobName.EmissionAutoOrder, orders);
    await this.jobs.sendMany(
      em,
      JobName.EmissionWriteBatchFile,
      batches.map((batchId) => ({ batchId })),
    );
    count(JobName.PhotoCheck, photos.length);
    count(JobName.EmissionAutoOrder, orders.length);
    count(JobName.EmissionWriteBatchFile, batches.length);
    if (!state.buildBatchesSent && jobs.some((j) => j.name === JobName.EmissionBuildBatches)) {
      await this.jobs.send(em, JobName.EmissionBuildBatches, {});
      state.buildBatchesSent = true;
      count(JobName.EmissionBuildBatches, 1);
    }
  }
}
