import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { JOB_SPECS, JobName, JobPayloads } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { ReturnIngestService } from './return-ingest.service.js';
import { ReturnIntakeService } from './return-intake.service.js';

/**
 * Step 6 jobs: ingest one return file; scan the inboxes for files the SFTP server did not see arrive; delete
 * uploads abandoned half-way.
 */
@Injectable()
export class ReturnsJobs {
  private readonly logger = new Logger('emission.returns');

  constructor(
    private readonly ingestion: ReturnIngestService,
    private readonly intake: ReturnIntakeService,
    private readonly config: AppConfig,
    private readonly jobs: JobsService,
  ) {}

  @JobHandler(JobName.EmissionIngestReturnFile)
  async ingestReturnFile(payload: JobPayloads[JobName.EmissionIngestReturnFile]): Promise<void> {
    await this.ingestion.ingest(payload.returnFileId);
  }

  @JobHandler(JobName.EmissionScanInboxes)
  async scanInboxes(): Promise<void> {
    const { registered, settlesAt } = await this.intake.sweep();
    if (registered) this.logger.log({ msg: 'inbox scan registered files', files: registered });
    // A complete file too fresh to take yet: looked at again the moment it settles (one follow-up per moment).
    if (settlesAt) {
      const at = new Date(Math.ceil(settlesAt.getTime() / 1000) * 1000 + 1000);
      await this.jobs.sendSingleton(
        JobName.EmissionScanInboxes,
        {},
        JOB_SPECS[JobName.EmissionScanInboxes].schedule!.singletonSeconds,
        `settle:${at.toISOString()}`,
        at,
      );
    }
  }

  @JobHandler(JobName.EmissionPurgePartialUploads)
  async purgePartialUploads(): Promise<number> {
    const hours = this.config.sftpPartialUploadHours;
    const removed = await this.intake.purgeAbandonedUploads(hours);
    // A count only: never a vendor or a file name.
    if (removed) this.logger.log({ msg: 'abandoned partial uploads deleted', files: removed, olderThanHours: hours });
    return removed;
  }
}
