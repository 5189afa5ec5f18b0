import { Global, Module } from '@nestjs/common';
import { EventsJobs } from './events.jobs.js';
import { FundEventRepository } from './fund-event.repository.js';
import { FundEventsService } from './fund-events.service.js';

/** Fund events: appended by every module in its own transactions, served as a feed and pushed to webhooks. */
@Global()
@Module({ providers: [FundEventRepository, FundEventsService, EventsJobs], exports: [FundEventsService] })
export class EventsModule {}
