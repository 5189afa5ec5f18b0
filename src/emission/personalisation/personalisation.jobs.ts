import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../../config/app-config.js';
import { JobName, JobPayloads } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { BatchBuilderService } from './batch-builder.service.js';
import { BatchFileService } from './batch-file.service.js';

/** Step 5 jobs: allocate batches, write each batch's file. */
@Injectable()
export class PersonalisationJobs {
  constructor(private readonly builder: BatchBuilderService, private readonly files: BatchFileService) {}

  @JobHandler(JobName.EmissionBuildBatches)
  async buildBatches(): Promise<void> {
    await this.builder.build();
  }

  @JobHandler(JobName.EmissionWriteBatchFile)
  async writeBatchFile(payload: JobPayloads[JobName.EmissionWriteBatchFile]): Promise<void> {
    await this.files.write(payload.batchId);
  }
}

/** Crons only enqueue: a singleton job per minute slot, so instances firing together build once. */
export const CRON_SINGLETON_SECONDS = 60;

/** PERSONALISATION_CRON → EmissionBuildBatches. The expression is configuration, so the cron is registered at start. */
@Injectable()
export class PersonalisationCrons implements OnApplicationBootstrap {
  private readonly logger = new Logger('emission.personalisation');

  constructor(private readonly config: AppConfig, private readonly jobs: JobsService, private readonly registry: SchedulerRegistry) {}

  onApplicationBootstrap(): void {
    if (!this.config.cronsEnabled) return;
    const job = CronJob.from({
      cronTime: this.config.personalisationCron,
      timeZone: 'Europe/Paris',
      start: true,
      onTick: () => {
        this.jobs.sendSingleton(JobName.EmissionBuildBatches, {}, CRON_SINGLETON_SECONDS, 'cron')
          .catch((err: unknown) => this.logger.error({ msg: 'could not enqueue the batch build', err: (err as Error).message }));
      },
    });
    this.registry.addCronJob(JobName.EmissionBuildBatches, job);
  }
}
