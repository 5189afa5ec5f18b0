import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { decoratedMethods } from './decorated-methods.js';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { AppConfig, CONFIG_ENV } from '../../config/app-config.js';
import { JOB_SPECS, JobName, type JobPayloads, type JobSchedule, SCHEDULED_JOBS } from './job-catalogue.js';
import { JOB_TICK, type TickJobs } from './job-handler.decorator.js';
import { JobsService } from './jobs.service.js';

type Tick = (at: Date) => Promise<TickJobs<JobName>> | TickJobs<JobName>;

/**
 * The one place crons are registered: at start, every scheduled job of the catalogue, where CRONS_ENABLED is on
 * (nowhere else is it checked). A tick only enqueues its job as a pg-boss singleton, so every instance may run
 * crons and the work still happens once per window.
 */
@Injectable()
export class JobScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('jobs');
  private readonly ticks = new Map<JobName, Tick>();
  private readonly crons = new Map<JobName, CronJob>();

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: JobsService,
    private readonly registry: SchedulerRegistry,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    this.collectTicks();
    if (!this.config.cronsEnabled) return;
    for (const name of SCHEDULED_JOBS) {
      const schedule = JOB_SPECS[name].schedule!;
      const cron = this.cronJob(name, schedule);
      this.registry.addCronJob(name, cron);
      this.crons.set(name, cron);
    }
    for (const cron of this.crons.values()) cron.start();
    for (const name of SCHEDULED_JOBS.filter((n) => JOB_SPECS[n].schedule!.atStart)) {
      this.enqueue(name, {}, 'start').catch((err: unknown) =>
        this.logger.error({ msg: 'could not enqueue a start-up job', job: name, err: (err as Error).message }),
      );
    }
  }

  /** Stops the crons before the job queue closes (no tick into a closed queue). */
  onModuleDestroy(): void {
    for (const name of this.crons.keys()) this.registry.deleteCronJob(name);
    this.crons.clear();
  }

  /** The scheduled jobs whose cron runs here (none where CRONS_ENABLED is off). */
  registered(): JobName[] {
    return [...this.crons.keys()];
  }

  /** What one tick of `name`'s cron does at the instant `at`: enqueue its singleton job(s). Also used by tests. */
  async tick(name: JobName, at = new Date()): Promise<void> {
    const schedule = JOB_SPECS[name].schedule;
    if (!schedule) throw new Error(`${name} has no schedule in the job catalogue`);
    const tick = this.ticks.get(name);
    const jobs: TickJobs<JobName> = tick ? await tick(at) : [{ payload: {} as JobPayloads[JobName] }];
    for (const job of jobs) await this.enqueue(name, job.payload, job.key ?? schedule.singletonKey);
  }

  private enqueue(name: JobName, payload: unknown, key: string): Promise<string | null> {
    return this.jobs.sendSingleton(
      name,
      payload as JobPayloads[JobName],
      JOB_SPECS[name].schedule!.singletonSeconds,
      key,
    );
  }

  private cronJob(name: JobName, schedule: JobSchedule): CronJob {
    const setting = typeof schedule.cron === 'string' ? null : schedule.cron.setting;
    try {
      return CronJob.from({
        cronTime: setting ? this.config[setting] : (schedule.cron as string),
        timeZone: schedule.timeZone,
        start: false,
        onTick: () => {
          this.tick(name).catch((err: unknown) =>
            this.logger.error({ msg: 'could not enqueue a scheduled job', job: name, err: (err as Error).message }),
          );
        },
      });
    } catch (e) {
      // A bad expression stops the start, naming where it comes from.
      throw new Error(
        `${setting ? CONFIG_ENV[setting] : name}: not a valid cron expression (${(e as Error).message})`,
        { cause: e },
      );
    }
  }

  /** Finds every @JobTick; refuses to start on one for a job without a schedule, or two for one job. */
  private collectTicks(): void {
    const problems: string[] = [];
    for (const m of decoratedMethods<JobName>(this.discovery, this.scanner, this.reflector, JOB_TICK)) {
      const name = m.value;
      if (!JOB_SPECS[name]?.schedule) problems.push(`${m.where}: ${name} has no schedule in the job catalogue`);
      else if (this.ticks.has(name)) problems.push(`${m.where}: ${name} already has a @JobTick`);
      else this.ticks.set(name, (at) => m.call(at) as ReturnType<Tick>);
    }
    if (problems.length) throw new Error(`Job schedule check failed:\n  ${problems.join('\n  ')}`);
  }
}
