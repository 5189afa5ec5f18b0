import { Injectable } from '@nestjs/common';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { ReinjectorService } from './reinjector.service.js';

@Injectable()
export class PipelineJobs {
  constructor(private readonly reinjector: ReinjectorService) {}

  @JobHandler(JobName.EmissionReinjectStuck)
  async emissionReinjectStuck(): Promise<void> {
    await this.reinjector.run();
  }
}
