import { Module } from '@nestjs/common';
import { RequestsModule } from '../emission/requests/requests.module.js';
import { RegisterModule } from '../register/register.module.js';
import { CampaignRepository } from './campaign.repository.js';
import { CampaignsController } from './campaigns.controller.js';
import { CampaignsJobs } from './campaigns.jobs.js';
import { CampaignsService } from './campaigns.service.js';

/** Renewal campaigns: cohorts of card holders reached in daily waves of card requests (issue 14 item 3). */
@Module({
  imports: [RequestsModule, RegisterModule],
  controllers: [CampaignsController],
  providers: [CampaignRepository, CampaignsService, CampaignsJobs],
  exports: [CampaignsService],
})
export class CampaignsModule {}
