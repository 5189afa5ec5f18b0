import multipart from '@fastify/multipart';
import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppConfig } from '../config/app-config.js';
import { RequestsModule } from '../emission/requests/requests.module.js';
import { ImageProcessor } from './image-processor.js';
import { PhotoCheckService } from './photo-check.service.js';
import { PhotoIntakeService } from './photo-intake.service.js';
import { PhotoStore } from './photo-store.js';
import { PhotoUploadPipe } from './photo-upload.js';
import { PhotoJobs } from './photo.jobs.js';
import { PhotoRepository } from './photo.repository.js';
import { PhotoService } from './photo.service.js';
import { PhotosController } from './photos.controller.js';
import { UploadLinkRateGuard } from './upload-link-rate.guard.js';

/** Photo intake, quality checks and normalisation (print and chip images), storage. */
@Module({
  imports: [RequestsModule],
  controllers: [PhotosController],
  providers: [
    PhotoJobs, PhotoStore, PhotoRepository, ImageProcessor, PhotoIntakeService, PhotoCheckService, PhotoService, PhotoUploadPipe, UploadLinkRateGuard,
  ],
  exports: [PhotoStore, PhotoService],
})
export class PhotoModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost, private readonly config: AppConfig) {}

  /**
   * Multipart parsing for the photo routes. Limits are set per request by PhotoUploadPipe; these are the
   * defaults for any other multipart route. No HTTP server (the CLI's application context): nothing to do.
   */
  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter?.getInstance?.();
    if (!fastify) return;
    await fastify.register(multipart, { limits: { fileSize: this.config.photoMaxBytes, files: 1 } });
  }
}
