import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config.js';
import { JobName, JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { BulkImportsService } from './bulk-imports.service.js';

const DAY = 86_400;

/** The register's background jobs: one handler per job name. */
@Injectable()
export class RegisterJobs {
  private readonly logger = new Logger('register');

  constructor(private readonly imports: BulkImportsService) {}

  @JobHandler(JobName.RegisterBulkImport)
  async bulkImport(payload: JobPayloads[JobName.RegisterBulkImport]): Promise<void> {
    await this.imports.process(payload.importId);
  }

  @JobHandler(JobName.RegisterPurgeImports)
  async purgeImports(payload: JobPayloads[JobName.RegisterPurgeImports]): Promise<void> {
    const deleted = await this.imports.purge(payload.retentionDays);
    if (deleted > 0) this.logger.log({ msg: 'bulk-import reports purged', deleted, retentionDays: payload.retentionDays });
  }
}

/** Cron triggers: they only enqueue singleton jobs, so every instance may run them. */
@Injectable()
export class RegisterCrons {
  constructor(private readonly jobs: JobsService, private readonly config: AppConfig) {}

  @Cron('17 3 * * *', { name: 'register.purge-imports', timeZone: 'Europe/Paris' })
  async purgeImportsDaily(): Promise<void> {
    if (!this.config.cronsEnabled) return;
    await this.jobs.sendSingleton(JobName.RegisterPurgeImports, { retentionDays: this.config.importRetentionDays }, DAY, 'daily');
  }
}
