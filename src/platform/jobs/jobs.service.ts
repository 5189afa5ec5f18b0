import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { decoratedMethods } from './decorated-methods.js';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { DATABASE_URL } from '../database/database.tokens.js';
import {
  clientExecutor,
  inPoolTransaction,
  jobsPool,
  managerExecutor as executor,
} from '../database/job-connections.js';
import { isDatabaseUnavailable } from '../errors/database-unavailable.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { JOB_NAMES, JOB_SPECS, JobName, JobPayloads } from './job-catalogue.js';
import { JOB_BATCH_HANDLER, JOB_HANDLER } from './job-handler.decorator.js';
import { JobLease } from './job-lease.js';
import { JobLeasesRepository, type RequeuedJob } from './job-leases.repository.js';

type Handler = (payload: unknown, jobId: string) => Promise<unknown>;
type BatchHandler = (payloads: unknown[], jobIds: string[]) => Promise<unknown>;
interface FetchedJob {
  id: string;
  data: unknown;
}
interface Outcome {
  id: string;
  error?: Error;
}

/**
 * The one place jobs are enqueued and handled (pg-boss in the application database).
 *
 * pg-boss stores the queues, enqueues (in the caller's transaction), keeps singletons and expires lost runs; the
 * workers are this service's own loops, because a job fetched by an instance must be known to be that instance's:
 * every fetch claims its jobs in the same transaction (job_claim), the instance holds a lease (JobLease: a session
 * advisory lock the server frees when the process dies), and a check on every instance re-queues at once the jobs
 * of an instance whose lock is free, instead of leaving them locked until their expiry (15 minutes and more). The
 * outcome of a run is written only while its claim holds, so a job re-queued meanwhile is never completed by the
 * run that lost it.
 */
@Injectable()
export class JobsService
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('jobs');
  private readonly pool: pg.Pool;
  private readonly boss: PgBoss;
  private readonly leases = new JobLeasesRepository();
  private lease: JobLease | null = null;
  private readonly handlers = new Map<JobName, Handler>();
  private readonly batchHandlers = new Map<JobName, BatchHandler>();
  /** Jobs running in this process: id → run token of their claim. */
  private readonly running = new Map<string, string>();
  private readonly loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private started = false;
  private stopping = false;
  private closed = false;
  private stopDeadline = 0;
  private checkTimer: NodeJS.Timeout | null = null;
  private checkRunning: Promise<unknown> | null = null;
  private unreachableSince: number | null = null;
  private lastUnreachableAt = 0;

  constructor(
    @Inject(DATABASE_URL) private readonly url: string,
    private readonly config: AppConfig,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly metrics: MetricsService,
  ) {
    this.pool = jobsPool(url);
    // An idle connection dropped by the server (restart, outage) is not an application error.
    this.pool.on('error', (err) => this.unreachable('job queue connection lost', err));
    // Completed jobs stay in the live table for 32 days: pg-boss checks singleton slots there, and the longest
    // cron period (monthly) must not outlive it.
    this.boss = new PgBoss({
      db: clientExecutor(this.pool),
      schedule: false,
      supervise: true,
      archiveCompletedAfterSeconds: 32 * 86_400,
    });
    this.boss.on('error', (err) => this.unreachable('pg-boss maintenance failed', err));
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
        name,
        policy: 'standard',
        retryLimit: spec.retryLimit,
        retryBackoff: spec.retryBackoff,
        ...this.retryDelayOf(name),
        expireInSeconds: spec.expireInSeconds,
      });
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.workersEnabled) {
      this.lease = new JobLease(this.url, this.leases, (lost) => this.evicted(lost));
      await this.lease.acquire();
    }
    // At once: a restart resumes what the previous life of this instance (or a dead neighbour) left running.
    await this.recoverInterruptedJobs().catch((err) => this.unreachable('could not check for interrupted jobs', err));
    if (this.config.workersEnabled) for (const name of JOB_NAMES) this.loops.push(this.workLoop(name));
    this.scheduleCheck();
  }

  /**
   * The recovery check (every JOBS_RECOVERY_SECONDS on every instance, and at start): jobs claimed by an instance
   * whose lock is free go back to their queue, as do this instance's own claims for jobs it no longer runs.
   * A worker instance checks only while it holds its own lock (else it could not tell itself from the dead).
   */
  async recoverInterruptedJobs(): Promise<RequeuedJob[]> {
    const self = this.lease ? this.lease.heldId : null;
    if (this.lease && self === null) return [];
    const requeued: RequeuedJob[] = [];
    if (self !== null) requeued.push(...(await this.requeueOwnOrphans(self)));
    for (const id of await this.leases.judgeableInstances(this.pool, self, 2 * this.config.jobsRecoverySeconds)) {
      requeued.push(...((await this.inTransaction((conn) => this.leases.requeueIfDead(conn, id))) ?? []));
    }
    if (requeued.length) {
      this.logger.warn({
        msg: 'jobs left running by a stopped instance re-queued',
        jobs: requeued.map((j) => ({ job: j.name, jobId: j.id, state: j.state })),
      });
    }
    return requeued;
  }

  private async requeueOwnOrphans(self: number): Promise<RequeuedJob[]> {
    return this.inTransaction(async (conn) => {
      const dropped = await this.leases.dropOwnClaimsExcept(conn, self, [...this.running.keys()]);
      // A fetch adds its jobs to `running` before it commits their claims: a claim seen here but running now was
      // fetched meanwhile, so this round gives up (the next one sees it right).
      if (dropped.some((id) => this.running.has(id))) throw new SkipRound();
      return this.leases.requeue(conn, dropped);
    }).catch((e) => {
      if (e instanceof SkipRound) return [];
      throw e;
    });
  }

  /** Stops fetching (the application is closing); running jobs go on. */
  onModuleDestroy(): void {
    this.beginStop();
  }

  /** Waits for the running jobs, up to SHUTDOWN_TIMEOUT_MS since the stop began; the rest is left for re-queueing. */
  async beforeApplicationShutdown(): Promise<void> {
    this.beginStop();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all(this.loops).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, this.stopDeadline - Date.now()));
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn({
        msg: 'jobs still running when the stop timed out: left to be re-queued at once by the next start or another instance',
        jobs: this.running.size,
        timeoutMs: this.config.shutdownTimeoutMs,
      });
    }
  }

  /** Closes pg-boss, the lease (its lock goes with its connection) and the pool, in that order. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.beginStop();
    await this.checkRunning?.catch(() => undefined);
    await this.boss.stop({ graceful: false, close: false, wait: true });
    this.closed = true;
    await this.lease?.release(this.running.size === 0);
    await this.pool.end();
  }

  private beginStop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopDeadline = Date.now() + this.config.shutdownTimeoutMs;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    for (const wake of this.sleepers) wake();
  }

  /** Enqueues a job inside the caller's transaction: a rollback removes it, a commit makes it visible. */
  async send<N extends JobName>(
    em: EntityManager,
    name: N,
    payload: JobPayloads[N],
    options: PgBoss.SendOptions = {},
  ): Promise<string | null> {
    return this.boss.send(name, payload as object, { ...this.specOptions(name), ...options, db: executor(em) });
  }

  /** Enqueues many jobs of one kind in one statement, inside the caller's transaction (large fan-outs). */
  async sendMany<N extends JobName>(em: EntityManager, name: N, payloads: JobPayloads[N][]): Promise<void> {
    if (payloads.length === 0) return;
    const spec = JOB_SPECS[name];
    await this.boss.insert(
      payloads.map((data) => ({
        name,
        data: data as object,
        retryLimit: spec.retryLimit,
        retryBackoff: spec.retryBackoff,
        ...this.retryDelayOf(name),
        expireInSeconds: spec.expireInSeconds,
      })),
      { db: executor(em) },
    );
  }

  /**
   * Enqueues a job at most once per period across every instance (the crons' way): pg-boss's unique
   * (name, singleton slot, key) index makes the second instance's insert a no-op. `startAfter` delays it.
   */
  async sendSingleton<N extends JobName>(
    name: N,
    payload: JobPayloads[N],
    periodSeconds: number,
    key = 'singleton',
    startAfter?: Date,
  ): Promise<string | null> {
    return this.boss.send(name, payload as object, {
      ...this.specOptions(name),
      singletonKey: key,
      singletonSeconds: periodSeconds,
      ...(startAfter ? { startAfter } : {}),
    });
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

  /** One queue's worker: fetch (and claim) while the lease is held, run, write the outcome; sleep when idle. */
  private async workLoop(name: JobName): Promise<void> {
    const { batchSize } = JOB_SPECS[name];
    while (!this.stopping) {
      const self = this.lease?.heldId ?? null;
      let fetched: { jobs: FetchedJob[]; token: string } = { jobs: [], token: '' };
      if (self !== null) {
        try {
          if (await this.leases.hasDueJob(this.pool, name)) fetched = await this.fetchAndClaim(name, batchSize, self);
        } catch (err) {
          this.unreachable(`could not fetch ${name} jobs`, err);
        }
      }
      if (fetched.jobs.length) {
        await this.runFetched(name, fetched.jobs, fetched.token);
        if (fetched.jobs.length === batchSize) continue; // a full fetch: there is probably more
      }
      await this.sleep(this.config.jobsPollSeconds * 1000);
    }
  }

  /** pg-boss's fetch and this instance's claim, in one transaction: no job is ever active without its owner known. */
  private async fetchAndClaim(
    name: JobName,
    batchSize: number,
    self: number,
  ): Promise<{ jobs: FetchedJob[]; token: string }> {
    const token = randomUUID();
    let ids: string[] = [];
    try {
      const jobs = await this.inTransaction(async (conn) => {
        const found = (await this.boss.fetch(name, { batchSize, db: clientExecutor(conn) })) as FetchedJob[];
        ids = found.map((j) => j.id);
        if (found.length) {
          await this.leases.claim(conn, self, token, ids);
          for (const id of ids) this.running.set(id, token);
        }
        return found;
      });
      return { jobs, token };
    } catch (err) {
      for (const id of ids) this.running.delete(id);
      throw err;
    }
  }

  private async runFetched(name: JobName, jobs: FetchedJob[], token: string): Promise<void> {
    const ids = jobs.map((j) => j.id);
    try {
      const outcomes = await this.runHandlers(name, jobs);
      await this.settle(name, token, outcomes);
    } catch (err) {
      // The outcome could not be written: the claims stay, and this instance's next check re-queues them.
      if (!this.closed) this.unreachable(`could not record the outcome of ${name} jobs`, err);
    } finally {
      for (const id of ids) if (this.running.get(id) === token) this.running.delete(id);
    }
  }

  private async runHandlers(name: JobName, jobs: FetchedJob[]): Promise<Outcome[]> {
    const batch = this.batchHandlers.get(name);
    if (batch) {
      const stop = this.metrics.jobDuration.startTimer({ job: name });
      try {
        await batch(
          jobs.map((j) => j.data),
          jobs.map((j) => j.id),
        );
        stop({ outcome: 'completed' });
        return jobs.map((j) => ({ id: j.id }));
      } catch (err) {
        stop({ outcome: 'failed' });
        this.logger.error({ msg: 'job batch failed', job: name, jobs: jobs.length, err: (err as Error).message });
        return jobs.map((j) => ({ id: j.id, error: err as Error }));
      }
    }
    // The jobs of one fetch run side by side, and each succeeds or fails on its own.
    const handler = this.handlers.get(name)!;
    const settled = await Promise.allSettled(jobs.map((job) => this.runOne(name, handler, job.id, job.data)));
    return settled.map((s, i) => ({ id: jobs[i].id, error: s.status === 'rejected' ? asError(s.reason) : undefined }));
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

  /** Completes or fails (for retry per the catalogue) the jobs whose claim this run still holds. */
  private async settle(name: JobName, token: string, outcomes: Outcome[]): Promise<void> {
    await this.inTransaction(async (conn) => {
      const owned = new Set(
        await this.leases.release(
          conn,
          token,
          outcomes.map((o) => o.id),
        ),
      );
      const db = clientExecutor(conn);
      const done = outcomes.filter((o) => !o.error && owned.has(o.id)).map((o) => o.id);
      if (done.length) await completeMany(this.boss, name, done, db);
      for (const o of outcomes)
        if (o.error && owned.has(o.id)) await this.boss.fail(name, o.id, { message: o.error.message }, { db });
      const lost = outcomes.filter((o) => !owned.has(o.id)).map((o) => o.id);
      if (lost.length) {
        this.logger.warn({
          msg: 'outcome not recorded: the job was re-queued while it ran here (this instance was taken for dead)',
          job: name,
          jobIds: lost,
        });
      }
    });
  }

  private scheduleCheck(): void {
    if (this.stopping) return;
    this.checkTimer = setTimeout(() => {
      // Not awaited: on a connection the network silently dropped it waits for the keep-alives to notice.
      void this.lease?.heartbeat();
      this.checkRunning = (async () => {
        // Without its lease (lost with the database) the check reads nothing: it proves nothing either, and once said
        // "reachable again" while the database was still down.
        const reads = !this.lease || this.lease.heldId !== null;
        await this.recoverInterruptedJobs();
        if (reads) this.reachable();
      })()
        .catch((err) => this.unreachable('could not check for interrupted jobs', err))
        .finally(() => {
          this.checkRunning = null;
          this.scheduleCheck();
        });
    }, this.config.jobsRecoverySeconds * 1000);
  }

  /**
   * This instance was taken for dead while its lease connection was down, and its jobs were re-queued. Jobs still
   * running here may now run elsewhere too: only stopping the process stops them, so it stops (its supervisor
   * restarts it). With nothing running it simply carries on under its new id.
   */
  private evicted(lostId: number): void {
    if (this.running.size === 0) return;
    this.logger.fatal({
      msg: 'this instance was taken for dead while jobs still ran here; they were re-queued elsewhere: exiting so they never run twice',
      previousInstance: lostId,
      jobs: this.running.size,
    });
    process.exit(1);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private inTransaction<T>(work: (conn: pg.PoolClient) => Promise<T>): Promise<T> {
    return inPoolTransaction(this.pool, work);
  }

  /** A database outage is logged once when it starts and once when it ends, not on every poll. */
  private unreachable(what: string, err: unknown): void {
    if (this.closed) return;
    if (isDatabaseUnavailable(err)) {
      this.lastUnreachableAt = Date.now();
      if (this.unreachableSince === null) {
        this.unreachableSince = Date.now();
        this.logger.warn({ msg: `${what}: the database is unreachable; retrying`, err: asError(err).message });
      }
      return;
    }
    this.logger.error({ msg: what, err: asError(err).message });
  }

  /** After a good check: the outage is over once a whole check interval went by without a failure. */
  private reachable(): void {
    if (this.unreachableSince === null || Date.now() - this.lastUnreachableAt < this.config.jobsRecoverySeconds * 1000)
      return;
    this.logger.log({
      msg: 'job queue reachable again',
      afterSeconds: Math.round((Date.now() - this.unreachableSince) / 1000),
    });
    this.unreachableSince = null;
  }

  /** pg-boss refuses an undefined retryDelay: only pass one when the catalogue sets it. */
  private retryDelayOf(name: JobName): { retryDelay?: number } {
    const d = JOB_SPECS[name].retryDelay;
    return d === undefined ? {} : { retryDelay: Math.round(d * this.config.jobRetryDelayScale) };
  }

  private specOptions(name: JobName): PgBoss.SendOptions {
    const spec = JOB_SPECS[name];
    return {
      retryLimit: spec.retryLimit,
      retryBackoff: spec.retryBackoff,
      ...this.retryDelayOf(name),
      expireInSeconds: spec.expireInSeconds,
    };
  }

  /** Finds every @JobHandler; refuses to start unless each job has exactly one. */
  private collectHandlers(): void {
    const found = new Map<JobName, string[]>();
    for (const m of decoratedMethods<JobName>(this.discovery, this.scanner, this.reflector, JOB_HANDLER)) {
      const name = m.value;
      found.set(name, [...(found.get(name) ?? []), m.where]);
      if (m.meta<boolean>(JOB_BATCH_HANDLER))
        this.batchHandlers.set(name, (payloads, jobIds) => m.call(payloads, jobIds) as ReturnType<BatchHandler>);
      else this.handlers.set(name, (payload, jobId) => m.call(payload, jobId) as ReturnType<Handler>);
    }
    const problems: string[] = [];
    for (const name of JOB_NAMES) {
      const where = found.get(name) ?? [];
      if (where.length !== 1)
        problems.push(`${name}: ${where.length} handlers${where.length ? ` (${where.join(', ')})` : ''}`);
    }
    for (const name of found.keys()) if (!JOB_NAMES.includes(name)) problems.push(`${name}: not in the job catalogue`);
    if (problems.length)
      throw new Error(`Job catalogue check failed, each job needs exactly one handler:\n  ${problems.join('\n  ')}`);
  }
}

class SkipRound extends Error {}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

/** pg-boss's typings lack the (ids, data, options) form its implementation has: ids with no data, on a given connection. */
function completeMany(boss: PgBoss, name: string, ids: string[], db: PgBoss.Db): Promise<unknown> {
  return (
    boss.complete as unknown as (n: string, i: string[], d: null, o: PgBoss.ConnectionOptions) => Promise<unknown>
  )(name, ids, null, { db });
}
