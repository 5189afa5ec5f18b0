import { Module } from '@nestjs/common';
import { CardsModule } from '../cards/cards.module.js';
import { PipelineModule } from '../emission/pipeline/pipeline.module.js';
import { PhotoModule } from '../photo/photo.module.js';
import { photoThresholdsProvider } from '../photo/photo-thresholds.provider.js';
import { RegisterModule } from '../register/register.module.js';
import { DashboardService } from './dashboard.service.js';
import { InsightFiguresService } from './insight-figures.service.js';
import { InsightController } from './insight.controller.js';
import { InsightJobs } from './insight.jobs.js';
import { InsightRepository } from './insight.repository.js';
import { InsuredFileService } from './insured-file.service.js';
import { PhotoReviewService } from './photo-review.service.js';
import { SearchService } from './search.service.js';

/** The read model behind the console's pages (dashboard, search, insured's file, photo review) and the business figures. */
@Module({
  imports: [CardsModule, RegisterModule, PipelineModule, PhotoModule],
  controllers: [InsightController],
  providers: [
    InsightRepository,
    InsightFiguresService,
    InsightJobs,
    DashboardService,
    SearchService,
    InsuredFileService,
    PhotoReviewService,
    photoThresholdsProvider,
  ],
  exports: [DashboardService, SearchService, InsuredFileService, PhotoReviewService],
})
export class InsightModule {}
