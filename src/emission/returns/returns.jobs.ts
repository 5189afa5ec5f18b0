import { Injectable } from '@nestjs/common';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';

// Placeholder handlers, replaced by the real ones.
@Injectable()
export class ReturnsJobs {
  @JobHandler(JobName.EmissionIngestReturnFile)
  async emissionIngestReturnFile(): Promise<void> {}

  @JobHandler(JobName.EmissionScanInboxes)
  async emissionScanInboxes(): Promise<void> {}

}
