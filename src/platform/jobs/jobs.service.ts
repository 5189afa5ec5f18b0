import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import PgBoss from 'pg-boss';
import { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { DATABASE_URL } from '../database/database.tokens.js';
import { Inject } from '@nestjs/common';
import { JOB_NAMES, JOB_SPECS, JobName, JobPayloads } from './job-catalogue.js';
import { JOB_BATCH_HANDLER, JOB_HANDLER } from './job-handler.decorator.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { run } from '../database/sql.js';

type Handler = (payload: unknown, jobId: string) => Promise<unknown>;
type BatchHandler = (payloads: unknown[], jobIds: string[]) => Promise<unknown>;

/** The one place jobs are enqueued and handled (pg-boss in the application database). */
@Injectable()
export class JobsService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('jobs');
  private readonly boss: PgBoss;
  private readonly handlers = new Map<JobName, Handler>();
  private readonly batchHandlers = new Map<JobName, BatchHandler>();
  private started = false;

  constructor(
    @Inject(DATABASE_URL) url: string,
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    // Completed jobs stay in the live table for 32 days: pg-boss checks singleton slots there, and the longest
    // cron period (monthly) must not outlive it.
    this.boss = new PgBoss({
      connectionString: url, max: 4, application_name: 'vitale-jobs', schedule: false, supervise: true,
      archiveCompletedAfterSeconds: 32 * 86_400,
    });
    this.boss.on('error', (err) => this.logger.error({ msg: 'pg-boss error', err: err.message }));
  }

  async onModuleInit(): Promise<void> {
    this.collectHandlers();
    this.metrics.onScrape(async () => {
      if (!this.started) return;
      for (const [job, size] of Object.entries(await this.queueSizes())) this.metrics.jobQueueSize.set({ job }, size);
    });
    await this.boss.start();
    this.started = true;
    for (const name of JOB_NAMES) {
      const spec = JOB_SPECS[name];
      await this.boss.createQueue(name, {
        name, policy: 'standard', retryLimit: spec.retryLimit, retryBackoff: spec.retryBackoff, ...this.retryDelayOf(name),
        expireInSeconds: spec.expireInSeconds,
      });
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.workersEnabled) return;
    for (const name of JOB_NAMES) {
      const batch = this.batchHandlers.get(name);
      if (batch) {
        await this.boss.work(name, { batchSize: JOB_SPECS[name].batchSize, pollingIntervalSeconds: this.config.jobsPollSeconds }, async (jobs) => {
          const stop = this.metrics.jobDuration.startTimer({ job: name });
          try {
            await batch(jobs.map((j) => j.data), jobs.map((j) => j.id));
            stop({ outcome: 'completed' });
          } catch (err) {
            stop({ outcome: 'failed' });
            this.logger.error({ msg: 'job batch failed', job: name, jobs: jobs.length, err: (err as Error).message });
            throw err;
          }
        });
        continue;
      }
      const handler = this.handlers.get(name)!;
      await this.boss.work(name, { batchSize: JOB_SPECS[name].batchSize, pollingIntervalSeconds: this.config.jobsPollSeconds }, async (jobs) => {
        // The jobs of one fetch run side by side, and each succeeds or fails on its own: a failed one is handed
        // back to pg-boss for retry, the others complete (pg-boss then completes only jobs still active).
        const outcomes = await Promise.allSettled(jobs.map((job) => this.runOne(name, handler, job.id, job.data)));
        for (const [i, outcome] of outcomes.entries()) {
          if (outcome.status === 'rejected') {
            await this.boss.fail(name, jobs[i].id, { message: (outcome.reason as Error)?.message ?? String(outcome.reason) });
          }
        }
      });
    }
  }

  private async runOne(name: JobName, handler: Handler, jobId: string, data: unknown): Promise<void> {
    const stop = this.metrics.jobDuration.startTimer({ job: name });
    try {
      await handler(data, jobId);
      stop({ outcome: 'completed' });
    } catch (err) {
      stop({ outcome: 'failed' });
      // Logged without the payload (it may name people); pg-boss retries per the catalogue.
      this.logger.error({ msg: 'job failed', job: name, jobId, err: (err as Error).message });
      throw err;
    }
  }

  /** Releases the workers: running jobs finish (up to the timeout), unfinished ones go back to the queue. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: this.config.shutdownTimeoutMs });
  }

  /** Enqueues a job inside the caller's transaction: a rollback removes it, a commit makes it visible. */
  async send<N extends JobName>(em: EntityManager, name: N, payload: JobPayloads[N], options: PgBoss.SendOptions = {}): Promise<string | null> {
    return this.boss.send(name, payload as object, { ...this.specOptions(name), ...options, db: executor(em) });
  }

  /** Enqueues many jobs of one kind in one statement, inside the caller's transaction (large fan-outs). */
  async sendMany<N extends JobName>(em: EntityManager, name: N, payloads: JobPayloads[N][]): Promise<void> {
    if (payloads.length === 0) return;
    const spec = JOB_SPECS[name];
    await this.boss.insert(
      payloads.map((data) => ({
        name, data: data as object, retryLimit: spec.retryLimit, retryBackoff: spec.retryBackoff, ...this.retryDelayOf(name),
        expireInSeconds: spec.expireInSeconds,
      })),
      { db: executor(em) },
    );
  }

  /**
   * Enqueues a job at most once per period across every instance (the crons' way): pg-boss's unique
   * (name, singleton slot, key) index makes the second instance's insert a no-op.
   */
  async sendSingleton<N extends JobName>(name: N, payload: JobPayloads[N], periodSeconds: number, key = 'singleton'): Promise<string | null> {
    return this.boss.send(name, payload as object, { ...this.specOptions(name), singletonKey: key, singletonSeconds: periodSeconds });
  }

  /** Health: the queue answers. */
  async ping(): Promise<boolean> {
    if (!this.started) return false;
    await this.boss.getQueueSize(JobName.RegisterBulkImport);
    return true;
  }

  async queueSizes(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const name of JOB_NAMES) out[name] = await this.boss.getQueueSize(name);
    return out;
  }

  /** pg-boss refuses an undefined retryDelay: only pass one when the catalogue sets it. */
  private retryDelayOf(name: JobName): { retryDelay?: number } {
    const d = JOB_SPECS[name].retryDelay;
    return d === undefined ? {} : { retryDelay: Math.round(d * this.config.jobRetryDelayScale) };
  }

  private specOptions(name: JobName): PgBoss.SendOptions {
    const spec = JOB_SPECS[name];
    return { retryLimit: spec.retryLimit, retryBackoff: spec.retryBackoff, ...this.retryDelayOf(name), expireInSeconds: spec.expireInSeconds };
  }

  /** Finds every @JobHandler; refuses to start unless each job has exactly one. */
  private collectHandlers(): void {
    const found = new Map<JobName, string[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance);
      if (!proto) continue;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const name = this.reflector.get<JobName | undefined>(JOB_HANDLER, proto[method]);
        if (!name) continue;
        found.set(name, [...(found.get(name) ?? []), `${proto.constructor.name}.${method}`]);
        if (this.reflector.get<boolean>(JOB_BATCH_HANDLER, proto[method])) {
          this.batchHandlers.set(name, (payloads, jobIds) => (instance[method] as Function).call(instance, payloads, jobIds));
        } else {
          this.handlers.set(name, (payload, jobId) => (instance[method] as Function).call(instance, payload, jobId));
        }
      }
    }
    const problems: string[] = [];
    for (const name of JOB_NAMES) {
      const where = found.get(name) ?? [];
      if (where.length !== 1) problems.push(`${name}: ${where.length} handlers${where.length ? ` (${where.join(', ')})` : ''}`);
    }
    for (const name of found.keys()) if (!JOB_NAMES.includes(name)) problems.push(`${name}: not in the job catalogue`);
    if (problems.length) throw new Error(`Job catalogue check failed, each job needs exactly one handler:\n  ${problems.join('\n  ')}`);
  }
}


function executor(em: EntityManager): PgBoss.Db {
  return { executeSql: async (text: string, values: unknown[]) => ({ rows: (await run(em, text, values)).rows }) };
}
