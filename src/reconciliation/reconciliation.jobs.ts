import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { ReconciliationService } from './reconciliation.service.js';

/** The reconciliation's background jobs: one handler per job name. */
@Injectable()
export class ReconciliationJobs {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @JobHandler(JobName.ReconciliationRun)
  async run(payload: JobPayloads[JobName.ReconciliationRun]): Promise<void> {
    await this.reconciliation.process(payload.runId);
  }

  @JobHandler(JobName.ReconciliationWave)
  async wave(): Promise<void> {
    await this.reconciliation.wave();
  }
}
