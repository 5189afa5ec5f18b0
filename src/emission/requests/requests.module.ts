import { Module } from '@nestjs/common';
import { RequestsJobs } from './requests.jobs.js';

/** Step 1: card requests, eligibility, the pre-filled form, deadlines; and the online photo link. */
@Module({ providers: [RequestsJobs] })
export class RequestsModule {}
