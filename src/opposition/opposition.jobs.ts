import { parisToday } from '../register/beneficiary-input.js';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig } from '../config/app-config.js';
import { JobName, JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { OppositionListsService } from './opposition-lists.service.js';

/** Produces the list of (kind, period), once: a retried or duplicated job finds it done. */
@Injectable()
export class OppositionJobs {
  constructor(private readonly lists: OppositionListsService) {}

  @JobHandler(JobName.OppositionProduceList)
  async produceList(payload: JobPayloads[JobName.OppositionProduceList]): Promise<void> {
    await this.lists.produce(payload.kind, payload.period);
  }
}

const TZ = 'Europe/Paris';
/** Crons of several instances fire together: one job per (kind, period) within this window, the job itself is idempotent. */
export const OPPOSITION_SINGLETON_SECONDS = 3600;

/** The local (Paris) calendar date of an instant: yyyy-mm-dd (the register's own rule). */
export const parisDate = (at: Date): string => parisToday(at);

/** OPPOSITION_LIST_CRON → the daily incremental list, and the monthly full list on OPPOSITION_FULL_LIST_DAY. Only enqueues. */
@Injectable()
export class OppositionCrons implements OnApplicationBootstrap {
  private readonly logger = new Logger('opposition');

  constructor(private readonly config: AppConfig, private readonly jobs: JobsService, private readonly registry: SchedulerRegistry) {}

  onApplicationBootstrap(): void {
    if (!this.config.cronsEnabled) return;
    const job = CronJob.from({
      cronTime: this.config.oppositionListCron,
      timeZone: TZ,
      start: true,
      onTick: () => {
        this.enqueue(new Date()).catch((err: unknown) => this.logger.error({ msg: 'could not enqueue the opposition lists', err: (err as Error).message }));
      },
    });
    this.registry.addCronJob(JobName.OppositionProduceList, job);
  }

  /** What one tick enqueues for the instant `at` (also called by tests). */
  async enqueue(at: Date): Promise<void> {
    const day = parisDate(at);
    await this.jobs.sendSingleton(JobName.OppositionProduceList, { kind: 'incremental', period: day }, OPPOSITION_SINGLETON_SECONDS, `incremental-${day}`);
    if (Number(day.slice(8, 10)) === this.config.oppositionFullListDay) {
      const month = day.slice(0, 7);
      await this.jobs.sendSingleton(JobName.OppositionProduceList, { kind: 'full', period: month }, OPPOSITION_SINGLETON_SECONDS, `full-${month}`);
    }
  }
}
