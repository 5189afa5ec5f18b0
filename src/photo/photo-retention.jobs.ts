import { Injectable } from '@nestjs/common';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';

// Placeholder handler, replaced by the real one.
@Injectable()
export class PhotoRetentionJobs {
  @JobHandler(JobName.PhotoPurgeOriginals)
  async purgeOriginals(): Promise<void> {}
}
