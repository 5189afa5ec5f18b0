import { Module } from '@nestjs/common';
import { PhotoStore } from './photo-store.js';
import { PhotoJobs } from './photo.jobs.js';

/** Photo intake, quality checks and normalisation (print and chip images), storage. */
@Module({ providers: [PhotoJobs, PhotoStore], exports: [PhotoStore] })
export class PhotoModule {}
