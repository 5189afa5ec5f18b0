import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { JobName, JobPayloads } from './job-catalogue.js';

export const JOB_HANDLER = Symbol('job-handler');
export const JOB_BATCH_HANDLER = Symbol('job-batch-handler');

/**
 * Marks the one method that handles a job. By default it receives one payload (and the job id) and the jobs of
 * one fetch run side by side; with `{ batch: true }` it receives every payload of a fetch at once (set-based
 * work, e.g. automatic orders), and the fetch succeeds or fails as a whole.
 */
export const JobHandler = (name: JobName, opts: { batch?: boolean } = {}) =>
  applyDecorators(SetMetadata(JOB_HANDLER, name), SetMetadata(JOB_BATCH_HANDLER, opts.batch === true));

export const JOB_TICK = Symbol('job-tick');

/** What one tick of a scheduled job enqueues: each payload under its singleton key (the schedule's by default). */
export type TickJobs<N extends JobName> = Array<{ payload: JobPayloads[N]; key?: string }>;

/**
 * Marks the method that says what one tick of a scheduled job's cron enqueues, for a job whose payloads depend on
 * the time or the settings: called with the tick's instant, it returns TickJobs. A scheduled job without one is
 * enqueued with `{}` under its schedule's singleton key. At most one per job, checked at start-up.
 */
export const JobTick = (name: JobName) => SetMetadata(JOB_TICK, name);
