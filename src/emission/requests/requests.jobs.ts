import { Injectable } from '@nestjs/common';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';

// Placeholder handlers, replaced by the real ones.
@Injectable()
export class RequestsJobs {
  @JobHandler(JobName.EmissionRequestDeadlines)
  async emissionRequestDeadlines(): Promise<void> {}

}
