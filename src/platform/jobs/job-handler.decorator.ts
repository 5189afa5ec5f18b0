import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { JobName } from './job-catalogue.js';

export const JOB_HANDLER = Symbol('job-handler');
export const JOB_BATCH_HANDLER = Symbol('job-batch-handler');

/**
 * Marks the one method that handles a job. By default it receives one payload (and the job id) and the jobs of
 * one fetch run side by side; with `{ batch: true }` it receives every payload of a fetch at once (set-based
 * work, e.g. automatic orders), and the fetch succeeds or fails as a whole.
 */
export const JobHandler = (name: JobName, opts: { batch?: boolean } = {}) =>
  applyDecorators(SetMetadata(JOB_HANDLER, name), SetMetadata(JOB_BATCH_HANDLER, opts.batch === true));
