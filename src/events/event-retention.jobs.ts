import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { purgeInChunks } from '../platform/jobs/purge-in-chunks.js';
import { FundEventRepository } from './fund-event.repository.js';
import { WebhookRepository } from './webhook.repository.js';

/** Rows deleted per statement: short statements, short locks, a bounded WAL burst each. */
const PURGE_CHUNK = 10_000;

/**
 * Retention of the fund events and of the webhook deliveries. Each chunk is its own statement: a run stopped
 * midway keeps what it deleted and the next run carries on.
 *
 * Events: those written more than EVENT_RETENTION_DAYS ago go, in feed order (transaction id, event id) up to the
 * first event still within the retention, so no kept event ever sorts before a deleted one. Each chunk moves its
 * organismes' horizon in the same statement; the feed answers a cursor before the horizon 410
 * EVENTS_CURSOR_EXPIRED instead of silently skipping what was purged.
 *
 * Deliveries: finished ones (delivered or given up) older than WEBHOOK_DELIVERY_RETENTION_DAYS go; a pending one
 * never does.
 */
@Injectable()
export class EventRetentionJobs {
  private readonly logger = new Logger('events');

  constructor(
    private readonly events: FundEventRepository,
    private readonly webhooks: WebhookRepository,
    private readonly config: AppConfig,
  ) {}

  @JobHandler(JobName.EventsPurgeEvents)
  async purgeEvents(): Promise<number> {
    const retentionDays = this.config.eventRetentionDays;
    const boundary = await this.events.retentionBoundary(retentionDays);
    const deleted = await purgeInChunks(PURGE_CHUNK, (limit) =>
      this.events.deleteBefore(boundary, retentionDays, limit),
    );
    // Counts only: never an event, a subject or an organisme.
    if (deleted > 0) this.logger.log({ msg: 'fund events purged', deleted, retentionDays });
    return deleted;
  }

  @JobHandler(JobName.EventsPurgeDeliveries)
  async purgeDeliveries(): Promise<number> {
    const retentionDays = this.config.webhookDeliveryRetentionDays;
    const deleted = await purgeInChunks(PURGE_CHUNK, (limit) =>
      this.webhooks.deleteFinishedDeliveries(retentionDays, limit),
    );
    // Counts only: never a delivery, a subscription or a URL.
    if (deleted > 0) this.logger.log({ msg: 'webhook deliveries purged', deleted, retentionDays });
    return deleted;
  }
}
