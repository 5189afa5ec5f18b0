import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JobName, JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler, JobTick, type TickJobs } from '../platform/jobs/job-handler.decorator.js';
import { BulkImportsService } from './bulk-imports.service.js';

/** The register's background jobs: one handler per job name. */
@Injectable()
export class RegisterJobs {
  private readonly logger = new Logger('register');

  constructor(
    private readonly imports: BulkImportsService,
    private readonly config: AppConfig,
  ) {}

  @JobHandler(JobName.RegisterBulkImport)
  async bulkImport(payload: JobPayloads[JobName.RegisterBulkImport]): Promise<void> {
    await this.imports.process(payload.importId);
  }

  /** The daily purge carries the retention in force when it was enqueued. */
  @JobTick(JobName.RegisterPurgeImports)
  purgeImportsTick(): TickJobs<JobName.RegisterPurgeImports> {
    return [{ payload: { retentionDays: this.config.importRetentionDays } }];
  }

  @JobHandler(JobName.RegisterPurgeImports)
  async purgeImports(payload: JobPayloads[JobName.RegisterPurgeImports]): Promise<void> {
    const deleted = await this.imports.purge(payload.retentionDays);
    if (deleted > 0)
      this.logger.log({ msg: 'bulk-import reports purged', deleted, retentionDays: payload.retentionDays });
  }
}
