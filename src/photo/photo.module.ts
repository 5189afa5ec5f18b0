import { Module } from '@nestjs/common';
import { RequestsModule } from '../emission/requests/requests.module.js';
import { ImageProcessor } from './image-processor.js';
import { PhotoCheckService } from './photo-check.service.js';
import { PhotoIntakeService } from './photo-intake.service.js';
import { PhotoStore } from './photo-store.js';
import { PhotoUploadPipe } from './photo-upload.js';
import { PhotoJobs } from './photo.jobs.js';
import { PhotoRetentionJobs } from './photo-retention.jobs.js';
import { photoThresholdsProvider } from './photo-thresholds.provider.js';
import { PhotoRepository } from './photo.repository.js';
import { PhotoService } from './photo.service.js';
import { PhotosController } from './photos.controller.js';
import { UploadLinkRateGuard } from './upload-link-rate.guard.js';

/** Photo intake, quality checks and normalisation (print and chip images), storage. */
@Module({
  imports: [RequestsModule],
  controllers: [PhotosController],
  providers: [
    PhotoJobs,
    PhotoRetentionJobs,
    PhotoStore,
    PhotoRepository,
    ImageProcessor,
    PhotoIntakeService,
    PhotoCheckService,
    PhotoService,
    PhotoUploadPipe,
    UploadLinkRateGuard,
    photoThresholdsProvider,
  ],
  exports: [PhotoStore, PhotoService],
})
export class PhotoModule {}
