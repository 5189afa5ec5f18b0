import { Module } from '@nestjs/common';
import { PipelineJobs } from './pipeline.jobs.js';

/** Operators' view of the emission pipeline, stuck items, retries and the re-injector. */
@Module({ providers: [PipelineJobs] })
export class PipelineModule {}
