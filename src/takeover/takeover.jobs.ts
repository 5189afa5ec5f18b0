import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { CardBaseImportsService } from './card-base-imports.service.js';

/** The takeover's background jobs: one handler per job name. */
@Injectable()
export class TakeoverJobs {
  constructor(private readonly imports: CardBaseImportsService) {}

  @JobHandler(JobName.CardBaseMaterialise)
  async materialise(payload: JobPayloads[JobName.CardBaseMaterialise]): Promise<void> {
    await this.imports.materialise(payload.importId);
  }

  @JobHandler(JobName.CardBaseFindLostSendings)
  async findLostSendings(): Promise<void> {
    await this.imports.findLostSendings();
  }
}
