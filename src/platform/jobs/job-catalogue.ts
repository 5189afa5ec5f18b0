/**
 * The typed job catalogue: every background job, its payload and its queue options, in one place.
 * Each name must have exactly one handler (`@JobHandler`), checked at start-up.
 */
export enum JobName {
  /** Process one uploaded file of insured persons. */
  RegisterBulkImport = 'register.bulk-import',
  /** Drop finished bulk-import reports past their retention. */
  RegisterPurgeImports = 'register.purge-imports',
}

export interface JobPayloads {
  [JobName.RegisterBulkImport]: { importId: string };
  [JobName.RegisterPurgeImports]: { retentionDays: number };
}

export interface JobSpec {
  /** pg-boss retry count and back-off. */
  retryLimit: number;
  retryBackoff: boolean;
  /** How long one run may take before pg-boss considers it lost and retries it. */
  expireInSeconds: number;
  /** How many jobs one worker fetches at a time. */
  batchSize: number;
}

export const JOB_SPECS: Record<JobName, JobSpec> = {
  [JobName.RegisterBulkImport]: { retryLimit: 3, retryBackoff: true, expireInSeconds: 15 * 60, batchSize: 1 },
  [JobName.RegisterPurgeImports]: { retryLimit: 2, retryBackoff: true, expireInSeconds: 10 * 60, batchSize: 1 },
};

export const JOB_NAMES = Object.values(JobName);
