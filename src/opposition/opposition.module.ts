import { Module } from '@nestjs/common';
import { OppositionJobs } from './opposition.jobs.js';

/** Opposition declarations and the incremental (LOI) and full (LOE) opposition lists. */
@Module({ providers: [OppositionJobs] })
export class OppositionModule {}
