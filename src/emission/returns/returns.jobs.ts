import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Cron, SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../../config/app-config.js';
import { JobName, JobPayloads } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { CRON_SINGLETON_SECONDS } from '../personalisation/personalisation.jobs.js';
import { ReturnIngestService } from './return-ingest.service.js';
import { ReturnIntakeService } from './return-intake.service.js';

/**
 * Step 6 jobs: ingest one return file; scan the inboxes for files the SFTP server did not see arrive; delete
 * uploads abandoned half-way.
 */
@Injectable()
export class ReturnsJobs {
  private readonly logger = new Logger('emission.returns');

  constructor(private readonly ingestion: ReturnIngestService, private readonly intake: ReturnIntakeService, private readonly config: AppConfig, private readonly jobs: JobsService) {}

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
      await this.jobs.sendSingleton(JobName.EmissionScanInboxes, {}, CRON_SINGLETON_SECONDS, `settle:${at.toISOString()}`, at);
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

/**
 * INBOX_SCAN_CRON → EmissionScanInboxes (a singleton per minute slot across instances); hourly at :35 →
 * EmissionPurgePartialUploads.
 */
@Injectable()
export class ReturnsCrons implements OnApplicationBootstrap {
  private readonly logger = new Logger('emission.returns');

  constructor(private readonly config: AppConfig, private readonly jobs: JobsService, private readonly registry: SchedulerRegistry) {}

  onApplicationBootstrap(): void {
    if (!this.config.cronsEnabled) return;
    // Once at start too: files that arrived while no instance ran, or whose arrival an instance that died just after
    // the client's rename never announced, are taken in now rather than at the next tick.
    this.jobs.sendSingleton(JobName.EmissionScanInboxes, {}, CRON_SINGLETON_SECONDS, 'start')
      .catch((err: unknown) => this.logger.error({ msg: 'could not enqueue the start-up inbox scan', err: (err as Error).message }));
    const job = CronJob.from({
      cronTime: this.config.inboxScanCron,
      timeZone: 'Europe/Paris',
      start: true,
      onTick: () => {
        this.jobs.sendSingleton(JobName.EmissionScanInboxes, {}, CRON_SINGLETON_SECONDS, 'cron')
          .catch((err: unknown) => this.logger.error({ msg: 'could not enqueue the inbox scan', err: (err as Error).message }));
      },
    });
    this.registry.addCronJob(JobName.EmissionScanInboxes, job);
  }

  /** Hourly: it only enqueues the singleton job, so every instance may run it. */
  @Cron('0 35 * * * *', { name: JobName.EmissionPurgePartialUploads, timeZone: 'Europe/Paris' })
  async purgePartialUploadsHourly(): Promise<void> {
    if (!this.config.cronsEnabled) return;
    await this.jobs.sendSingleton(JobName.EmissionPurgePartialUploads, {}, 3600, 'hourly');
  }
}
