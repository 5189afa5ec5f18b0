import { SetMetadata } from '@nestjs/common';
import type { JobName } from './job-catalogue.js';

export const JOB_HANDLER = Symbol('job-handler');

/** Marks the one method that handles a job; it receives the payload and returns when the job is done. */
export const JobHandler = (name: JobName) => SetMetadata(JOB_HANDLER, name);
