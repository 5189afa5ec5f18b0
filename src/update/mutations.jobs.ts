import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { MutationsService } from './mutations.service.js';

@Injectable()
export class MutationsJobs {
  private readonly logger = new Logger('update.mutations');

  constructor(private readonly mutations: MutationsService) {}

  @JobHandler(JobName.UpdateApplyDueMutations)
  async applyDue(): Promise<void> {
    const result = await this.mutations.applyDue();
    this.logger.log({ msg: 'due mutations applied', ...result });
  }
}

/** Just after midnight (Paris), and hourly as a safety net: only enqueues the singleton job. */
@Injectable()
export class MutationsCrons {
  constructor(private readonly jobs: JobsService, private readonly config: AppConfig) {}

  @Cron('0 1 * * * *', { name: 'update.apply-due-mutations', timeZone: 'Europe/Paris' })
  async hourly(): Promise<void> {
    if (!this.config.cronsEnabled) return;
    await this.jobs.sendSingleton(JobName.UpdateApplyDueMutations, {}, 3600, 'hourly');
  }
}
