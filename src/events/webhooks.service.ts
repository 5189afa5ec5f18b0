import { Injectable } from '@nestjs/common';
import { Transactions } from '../platform/database/transactions.js';
import { AppConfig } from '../config/app-config.js';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import { tenantScope, type Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { EventsErrors } from './events.errors.js';
import type { CreatedWebhookView, CreateWebhookDto, WebhookDeliveryPageView, WebhookView } from './dto/webhooks.dto.js';
import { checkTarget } from './webhook-address.guard.js';
import { WebhookKeyStore } from './webhook-key.store.js';
import { SubscriptionRow, WebhookRepository } from './webhook.repository.js';
import { isUuid } from '../platform/validation/ids.js';

/** Active subscriptions one organisme may hold: each one multiplies every event's deliveries. */
export const MAX_WEBHOOKS_PER_ORGANISME = 10;

/** Unknown, malformed, deleted or another organisme's: one answer, nothing confirms a subscription exists. */
export const webhookNotFound = EventsErrors.WEBHOOK_NOT_FOUND;

function toView(s: SubscriptionRow): WebhookView {
  return {
    id: s.id,
    organismeCode: s.organismeCode,
    url: s.url,
    eventTypes: s.eventTypes,
    active: s.active,
    createdAt: s.createdAt,
  };
}

/** A fund's webhook subscriptions. The signing secret is derived, shown once at creation, never stored. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly tx: Transactions,
    private readonly repo: WebhookRepository,
    private readonly keys: WebhookKeyStore,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async create(actor: Actor, dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    const organismeCode = actor.organismeCode;
    if (actor.kind !== PartnerKind.Fund || !organismeCode || !actor.partnerId) {
      throw EventsErrors.WEBHOOK_FUND_ONLY();
    }
    await this.refuseUnreachableTarget(dto.url);
    const eventTypes = [...new Set(dto.eventTypes ?? [])];
    const created = await this.tx.run(async (em) => {
      await this.repo.lockOrganisme(em, organismeCode);
      if ((await this.repo.countActive(em, organismeCode)) >= MAX_WEBHOOKS_PER_ORGANISME) {
        throw EventsErrors.WEBHOOK_LIMIT_REACHED(MAX_WEBHOOKS_PER_ORGANISME);
      }
      const s = await this.repo.insert(em, { organismeCode, partnerId: actor.partnerId!, url: dto.url, eventTypes });
      // Only the host goes to the append-only trail: a fund may put a token of its own in the path or query.
      await this.audit.record(em, actor, {
        action: 'webhook.created',
        entityType: 'webhook_subscription',
        entityId: s.id,
        organismeCode,
        details: { host: new URL(s.url).host, eventTypes },
      });
      return s;
    });
    return { ...toView(created), secret: this.keys.secretFor(created.id) };
  }

  list(actor: Actor, organismeCode?: string): Promise<WebhookView[]> {
    return this.repo.listActive(scopeOf(actor), organismeCode ?? null).then((rows) => rows.map(toView));
  }

  async get(actor: Actor, id: string): Promise<WebhookView> {
    return toView(await this.visible(actor, id));
  }

  /** Stops all further calls: pending deliveries are given up in the same transaction, running ones find it inactive. */
  async remove(actor: Actor, id: string): Promise<void> {
    if (!isUuid(id)) throw webhookNotFound();
    await this.tx.run(async (em) => {
      const done = await this.repo.deactivate(em, id, scopeOf(actor));
      if (!done) throw webhookNotFound();
      await this.audit.record(em, actor, {
        action: 'webhook.deleted',
        entityType: 'webhook_subscription',
        entityId: id,
        organismeCode: done.subscription.organismeCode,
        details: { abandonedDeliveries: done.abandoned },
      });
    });
  }

  async deliveries(
    actor: Actor,
    id: string,
    q: { status?: string; before?: string; limit?: number },
  ): Promise<WebhookDeliveryPageView> {
    const s = await this.visible(actor, id);
    const limit = q.limit ?? 100;
    const items = await this.repo.listDeliveries(s.id, { beforeId: q.before ?? null, status: q.status ?? null, limit });
    return { items, next: items.length === limit ? items[items.length - 1].id : null };
  }

  /**
   * A private target is refused when it is registered, not only when it is called: a fund learns at once, and a
   * subscription that could never be delivered is not kept. Every call checks again (DNS answers change).
   */
  private async refuseUnreachableTarget(url: string): Promise<void> {
    if (this.config.webhookAllowPrivateTargets) return;
    const check = await checkTarget(url, false);
    if (check.ok) return;
    throw check.reason === 'private' ? EventsErrors.WEBHOOK_TARGET_PRIVATE() : EventsErrors.WEBHOOK_TARGET_UNRESOLVED();
  }

  private async visible(actor: Actor, id: string): Promise<SubscriptionRow> {
    const s = isUuid(id) ? await this.repo.findActive(id, scopeOf(actor)) : null;
    if (!s) throw webhookNotFound();
    return s;
  }
}

/** A fund reaches only its organisme's subscriptions (filtered in SQL); operators reach all. */
const scopeOf = tenantScope;
