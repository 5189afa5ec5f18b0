import { Module } from '@nestjs/common';
import { ReturnsJobs } from './returns.jobs.js';

/** Step 6: vendors' return files (manufactured, shipped, failed, undeliverable). */
@Module({ providers: [ReturnsJobs] })
export class ReturnsModule {}
