import { Injectable } from '@nestjs/common';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';

// Placeholder handlers, replaced by the real ones.
@Injectable()
export class PersonalisationJobs {
  @JobHandler(JobName.EmissionAutoOrder)
  async emissionAutoOrder(): Promise<void> {}

  @JobHandler(JobName.EmissionBuildBatches)
  async emissionBuildBatches(): Promise<void> {}

  @JobHandler(JobName.EmissionWriteBatchFile)
  async emissionWriteBatchFile(): Promise<void> {}

}
