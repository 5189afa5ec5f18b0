import { parisToday } from '../register/beneficiary-input.js';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JobName, JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler, JobTick, type TickJobs } from '../platform/jobs/job-handler.decorator.js';
import { OppositionListsService } from './opposition-lists.service.js';

/** Produces the list of (kind, period), once: a retried or duplicated job finds it done. */
@Injectable()
export class OppositionJobs {
  constructor(
    private readonly lists: OppositionListsService,
    private readonly config: AppConfig,
  ) {}

  /**
   * What OPPOSITION_LIST_CRON enqueues at `at`: the day's incremental list, and the month's full list on
   * OPPOSITION_FULL_LIST_DAY, each keyed by its period (instances ticking together enqueue each once).
   */
  @JobTick(JobName.OppositionProduceList)
  listsDue(at: Date): TickJobs<JobName.OppositionProduceList> {
    const day = parisDate(at);
    const due: TickJobs<JobName.OppositionProduceList> = [
      { payload: { kind: 'incremental', period: day }, key: `incremental-${day}` },
    ];
    if (Number(day.slice(8, 10)) === this.config.oppositionFullListDay) {
      const month = day.slice(0, 7);
      due.push({ payload: { kind: 'full', period: month }, key: `full-${month}` });
    }
    return due;
  }

  @JobHandler(JobName.OppositionProduceList)
  async produceList(payload: JobPayloads[JobName.OppositionProduceList]): Promise<void> {
    await this.lists.produce(payload.kind, payload.period);
  }
}

/** The local (Paris) calendar date of an instant: yyyy-mm-dd (the register's own rule). */
export const parisDate = (at: Date): string => parisToday(at);
