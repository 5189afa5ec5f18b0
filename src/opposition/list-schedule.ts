import { CronTime } from 'cron';
import { JOB_SPECS, JobName } from '../platform/jobs/job-catalogue.js';
import type { ListKind } from './list-codec.js';

/** The cron and the full-list day are read in the zone of the list job's schedule (the job catalogue). */
export const LIST_TIME_ZONE = JOB_SPECS[JobName.OppositionProduceList].schedule!.timeZone;

/** Ticks looked at before giving up (a daily cron reaches any day of the month in 31). */
const MAX_TICKS = 1000;

/**
 * When the scheduled job will next produce a list of `kind` after `from`: the next tick of OPPOSITION_LIST_CRON for
 * the incremental list, the next tick on day OPPOSITION_FULL_LIST_DAY of a month for the full one. Null when the
 * cron cannot be read or no such tick comes within MAX_TICKS.
 */
export function nextListProduction(kind: ListKind, cron: string, fullListDay: number, from = new Date()): Date | null {
  let time: CronTime;
  try {
    time = new CronTime(cron, LIST_TIME_ZONE);
  } catch {
    return null;
  }
  let at = from;
  for (let i = 0; i < MAX_TICKS; i++) {
    const next = time.getNextDateFrom(at, LIST_TIME_ZONE);
    if (kind === 'incremental' || next.day === fullListDay) return next.toJSDate();
    at = next.toJSDate();
  }
  return null;
}
