import { Injectable } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { AppConfig } from '../../config/app-config.js';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { ReinjectorService } from './reinjector.service.js';

const HOUR = 3600;

@Injectable()
export class PipelineJobs {
  constructor(private readonly reinjector: ReinjectorService) {}

  @JobHandler(JobName.EmissionReinjectStuck)
  async emissionReinjectStuck(): Promise<void> {
    await this.reinjector.run();
  }
}

/** Cron trigger: only enqueues the singleton job, so every instance may run it and the work still happens once an hour. */
@Injectable()
export class PipelineCrons {
  constructor(private readonly jobs: JobsService, private readonly config: AppConfig) {}

  @Cron('0 41 * * * *', { name: 'emission.reinject-stuck' })
  async reinjectHourly(): Promise<void> {
    if (!this.config.cronsEnabled) return;
    await this.jobs.sendSingleton(JobName.EmissionReinjectStuck, {}, HOUR, 'hourly');
  }
}
