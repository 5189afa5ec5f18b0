import { Module } from '@nestjs/common';
import { CardsModule } from '../../cards/cards.module.js';
import { PhotoModule } from '../../photo/photo.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { VendorsModule } from '../vendors/vendors.module.js';
import { BatchBuilderService } from './batch-builder.service.js';
import { BatchFileService } from './batch-file.service.js';
import { BatchRepository } from './batch.repository.js';
import { PersonalisationController } from './personalisation.controller.js';
import { PersonalisationJobs } from './personalisation.jobs.js';

/** Steps 4-5: card orders, personalisation batches (serials) and files in the vendors' outboxes. */
@Module({
  imports: [RequestsModule, VendorsModule, CardsModule, PhotoModule],
  controllers: [PersonalisationController],
  providers: [BatchRepository, BatchBuilderService, BatchFileService, PersonalisationJobs],
  exports: [BatchBuilderService, BatchFileService],
})
export class PersonalisationModule {}
