import { BusinessMetrics } from '../platform/metrics/business-metrics.js';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JOB_SPECS, JobName } from '../platform/jobs/job-catalogue.js';
import { EventsClock } from './events-clock.js';
import { toEventView } from './fund-events.service.js';
import { WebhookHttpClient } from './webhook-http.client.js';
import { WebhookKeyStore } from './webhook-key.store.js';
import { signatureHeader } from './webhook-signature.js';
import { WebhookRepository } from './webhook.repository.js';

/** Calls one delivery may make: the first one and pg-boss's retries. */
export const WEBHOOK_MAX_ATTEMPTS = JOB_SPECS[JobName.EventsDeliverWebhook].retryLimit + 1;

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'skipped';

/** Thrown to make pg-boss retry the delivery later (with back-off); carries no payload or URL. */
export class WebhookAttemptFailed extends Error {
  constructor(attempt: number, reason: string) {
    super(`webhook attempt ${attempt}/${WEBHOOK_MAX_ATTEMPTS} failed: ${reason}`);
    this.name = 'WebhookAttemptFailed';
  }
}

/**
 * Sends one event to one subscription, signed. At least once: a fund may see an event twice (a 2xx lost on the
 * way back) and must deduplicate on X-Vitale-Event-Id; never again once recorded delivered. No transaction is
 * held during the call: an open transaction would hold back every fund's feed (see FundEventRepository.after).
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger('webhooks');

  constructor(
    private readonly repo: WebhookRepository,
    private readonly http: WebhookHttpClient,
    private readonly keys: WebhookKeyStore,
    private readonly clock: EventsClock,
    private readonly config: AppConfig,
    private readonly metrics: BusinessMetrics,
  ) {}

  /** Returns the outcome; throws WebhookAttemptFailed when pg-boss should try again. */
  async deliver(subscriptionId: string, eventId: string): Promise<DeliveryOutcome> {
    const work = await this.repo.findWork(subscriptionId, eventId);
    // Gone, already delivered or given up, or the subscription was deleted: nothing to send.
    if (!work || work.status !== 'pending' || !work.active) return 'skipped';
    const attempt = await this.repo.startAttempt(subscriptionId, eventId);
    if (attempt === null) return 'skipped';

    const body = JSON.stringify({ ...toEventView(work.event), organismeCode: work.event.organismeCode });
    const t = Math.floor(this.clock.now().getTime() / 1000);
    const result = await this.http.post(
      work.url,
      body,
      {
        'x-vitale-event-id': work.event.id,
        'x-vitale-event-type': work.event.type,
        'x-vitale-timestamp': String(t),
        'x-vitale-signature': signatureHeader(this.keys.secretFor(subscriptionId), t, body),
        'x-vitale-delivery-attempt': String(attempt),
      },
      this.config.webhookTimeoutMs,
    );

    if (result.ok) {
      await this.repo.markDelivered(subscriptionId, eventId);
      return 'delivered';
    }
    const final = attempt >= WEBHOOK_MAX_ATTEMPTS;
    await this.repo.markAttemptFailed(subscriptionId, eventId, result.error ?? 'failed', final);
    this.metrics.webhookFailures.inc({ final: String(final) });
    if (final) {
      this.logger.warn({
        msg: 'webhook delivery given up',
        subscriptionId,
        eventId,
        attempts: attempt,
        error: result.error,
      });
      return 'failed';
    }
    throw new WebhookAttemptFailed(attempt, result.error ?? 'failed');
  }
}
