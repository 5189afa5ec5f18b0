import { Injectable } from '@nestjs/common';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';

// Placeholder handlers, replaced by the real ones.
@Injectable()
export class PhotoJobs {
  @JobHandler(JobName.PhotoCheck)
  async photoCheck(): Promise<void> {}

}
