import { Injectable, Logger } from '@nestjs/common';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { CampaignsService } from './campaigns.service.js';

/** The renewal campaigns' waves (docs/campaigns.md). */
@Injectable()
export class CampaignsJobs {
  private readonly logger = new Logger('campaigns');

  constructor(private readonly campaigns: CampaignsService) {}

  @JobHandler(JobName.CampaignsRunWaves)
  async campaignsRunWaves(): Promise<void> {
    const { campaigns, sent, skipped } = await this.campaigns.runWaves();
    if (sent || skipped) this.logger.log({ msg: 'campaign waves sent', campaigns, sent, skipped });
  }
}
