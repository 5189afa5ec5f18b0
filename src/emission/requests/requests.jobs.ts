import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { AppConfig } from '../../config/app-config.js';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { RequestDeadlinesService } from './request-deadlines.service.js';

const HOUR = 3600;

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

/** Hourly trigger: it only enqueues the singleton job, so every instance may run it and the work happens once. */
@Injectable()
export class RequestsCrons {
  constructor(private readonly jobs: JobsService, private readonly config: AppConfig) {}

  @Cron('0 7 * * * *', { name: 'emission.request-deadlines', timeZone: 'Europe/Paris' })
  async deadlinesHourly(): Promise<void> {
    if (!this.config.cronsEnabled) return;
    await this.jobs.sendSingleton(JobName.EmissionRequestDeadlines, {}, HOUR, 'hourly');
  }
}
