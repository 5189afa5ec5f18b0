import { Global, Module } from '@nestjs/common';
import { EventRetentionJobs } from './event-retention.jobs.js';
import { EventsClock } from './events-clock.js';
import { EventsController } from './events.controller.js';
import { EventsJobs } from './events.jobs.js';
import { FundEventRepository } from './fund-event.repository.js';
import { FundEventsService } from './fund-events.service.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import { WebhookHttpClient } from './webhook-http.client.js';
import { WebhookKeyStore } from './webhook-key.store.js';
import { WebhookRepository } from './webhook.repository.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Fund events: appended by every module in its own transactions, served as a feed and pushed to webhooks. */
@Global()
@Module({
  controllers: [EventsController, WebhooksController],
  providers: [
    EventsClock,
    FundEventRepository,
    FundEventsService,
    WebhookRepository,
    WebhooksService,
    WebhookKeyStore,
    WebhookHttpClient,
    WebhookDeliveryService,
    EventsJobs,
    EventRetentionJobs,
  ],
  exports: [FundEventsService],
})
export class EventsModule {}
