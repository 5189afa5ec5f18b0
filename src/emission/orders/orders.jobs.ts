import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { OrdersService } from './orders.service.js';

@Injectable()
export class OrdersJobs {
  constructor(private readonly orders: OrdersService) {}

  /** Enqueued when a photo is accepted for a request that orders automatically; a whole fetch is ordered at once. */
  @JobHandler(JobName.EmissionAutoOrder, { batch: true })
  async autoOrder(payloads: Array<JobPayloads[JobName.EmissionAutoOrder]>): Promise<void> {
    await this.orders.autoOrderMany(payloads.map((p) => p.requestId));
  }
}
