import { Injectable, Logger } from '@nestjs/common';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
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
