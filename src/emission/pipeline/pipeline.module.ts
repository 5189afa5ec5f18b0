import { Module } from '@nestjs/common';
import { CardsModule } from '../../cards/cards.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { PipelineActionsService } from './pipeline-actions.service.js';
import { PipelineController } from './pipeline.controller.js';
import { PipelineJobs } from './pipeline.jobs.js';
import { PipelineRepository } from './pipeline.repository.js';
import { PipelineService } from './pipeline.service.js';
import { ReinjectorService } from './reinjector.service.js';

/** Operators' view of the emission pipeline, stuck items, retries and the re-injector. */
@Module({
  imports: [CardsModule, RequestsModule],
  controllers: [PipelineController],
  providers: [PipelineRepository, PipelineService, PipelineActionsService, ReinjectorService, PipelineJobs],
  exports: [PipelineService, PipelineActionsService],
})
export class PipelineModule {}
