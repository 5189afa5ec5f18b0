import { Module } from '@nestjs/common';
import { PersonalisationJobs } from './personalisation.jobs.js';

/** Steps 4-5: card orders, personalisation batches (serials) and files in the vendors' outboxes. */
@Module({ providers: [PersonalisationJobs] })
export class PersonalisationModule {}
