import { Injectable, Module } from '@nestjs/common';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';

// Placeholder handlers until the register module lands.
@Injectable()
export class RegisterJobs {
  @JobHandler(JobName.RegisterBulkImport)
  async bulkImport(): Promise<void> {}

  @JobHandler(JobName.RegisterPurgeImports)
  async purge(): Promise<void> {}
}

/** The inter-regime register: beneficiaries, identity traits, addresses and affiliations. */
@Module({ providers: [RegisterJobs] })
export class RegisterModule {}
