import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';

@Injectable()
export class EventsJobs {
  constructor(private readonly deliveries: WebhookDeliveryService) {}

  /** One event to one webhook; a failed call throws so pg-boss retries with back-off (the catalogue's retryLimit). */
  @JobHandler(JobName.EventsDeliverWebhook)
  async eventsDeliverWebhook(payload: JobPayloads[JobName.EventsDeliverWebhook]): Promise<void> {
    await this.deliveries.deliver(payload.subscriptionId, payload.eventId);
  }
}
