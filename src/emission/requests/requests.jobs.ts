import { Injectable, Logger } from '@nestjs/common';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { RequestDeadlinesService } from './request-deadlines.service.js';

/** Step 1's background job: reminders and expiry of unanswered forms. */
@Injectable()
export class RequestsJobs {
  private readonly logger = new Logger('emission.requests');

  constructor(private readonly deadlines: RequestDeadlinesService) {}

  @JobHandler(JobName.EmissionRequestDeadlines)
  async emissionRequestDeadlines(): Promise<void> {
    const { expired, reminded } = await this.deadlines.run();
    if (expired || reminded) this.logger.log({ msg: 'request deadlines applied', expired, reminded });
  }
}
