import { Injectable } from '@nestjs/common';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { InsightFiguresService } from './insight-figures.service.js';

@Injectable()
export class InsightJobs {
  constructor(private readonly figures: InsightFiguresService) {}

  @JobHandler(JobName.InsightRefreshFigures)
  async insightRefreshFigures(): Promise<void> {
    await this.figures.refresh();
  }
}
