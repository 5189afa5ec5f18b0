import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { PhotoCheckService } from './photo-check.service.js';

/** Step 3's background job: check and normalise one received photo. */
@Injectable()
export class PhotoJobs {
  constructor(private readonly checks: PhotoCheckService) {}

  @JobHandler(JobName.PhotoCheck)
  async photoCheck(payload: JobPayloads[JobName.PhotoCheck]): Promise<void> {
    await this.checks.check(payload.photoId);
  }
}
