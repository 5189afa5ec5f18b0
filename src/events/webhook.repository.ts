import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import type { StoredFundEvent } from './fund-event.repository.js';

export interface SubscriptionRow {
  id: string;
  organismeCode: string;
  partnerId: string;
  url: string;
  eventTypes: string[];
  active: boolean;
  createdAt: Date;
}

export interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  eventCreatedAt: Date;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  deliveredAt: Date | null;
}

/** One delivery with what it takes to send it: the subscription's URL and state, and the event itself. */
export interface DeliveryWork {
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  active: boolean;
  url: string;
  event: StoredFundEvent;
}

const SUBSCRIPTION_COLUMNS = `id::text, organisme_code, partner_id::text, url, event_types, active, created_at`;

/** The only place that reads and writes webhook subscriptions and deliveries. */
@Injectable()
export class WebhookRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Serialises subscription changes of one organisme for the rest of the transaction (the per-organisme cap holds). */
  async lockOrganisme(em: EntityManager, organismeCode: string): Promise<void> {
    await run(em, `SELECT pg_advisory_xact_lock(hashtextextended('webhook_subscription:' || $1, 0))`, [organismeCode]);
  }

  async countActive(em: EntityManager, organismeCode: string): Promise<number> {
    const { rows } = await run<{ n: number }>(
      em,
      `SELECT count(*)::int AS n FROM webhook_subscription WHERE organisme_code = $1 AND active`,
      [organismeCode],
    );
    return rows[0].n;
  }

  async insert(
    em: EntityManager,
    s: { organismeCode: string; partnerId: string; url: string; eventTypes: string[] },
  ): Promise<SubscriptionRow> {
    const { rows } = await run<Record<string, unknown>>(
      em,
      `INSERT INTO webhook_subscription (organisme_code, partner_id, url, event_types) VALUES ($1, $2, $3, $4::varchar[])
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [s.organismeCode, s.partnerId, s.url, s.eventTypes],
    );
    return toSubscription(rows[0]);
  }

  /** Active subscriptions; `scope` (a fund's organisme) and `organismeCode` (an operator's filter) are both applied in SQL. */
  async listActive(scope: string | null, organismeCode: string | null): Promise<SubscriptionRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscription
        WHERE active AND ($1::char(9) IS NULL OR organisme_code = $1) AND ($2::char(9) IS NULL OR organisme_code = $2)
        ORDER BY created_at, id LIMIT 1000`,
      [scope, organismeCode],
    );
    return rows.map(toSubscription);
  }

  async findActive(id: string, scope: string | null): Promise<SubscriptionRow | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscription WHERE id = $1 AND active AND ($2::char(9) IS NULL OR organisme_code = $2)`,
      [id, scope],
    );
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  /**
   * Deactivates a subscription (kept for its delivery history) and gives up its pending deliveries, in the caller's
   * transaction; null when there is no such active subscription in scope.
   */
  async deactivate(
    em: EntityManager,
    id: string,
    scope: string | null,
  ): Promise<{ subscription: SubscriptionRow; abandoned: number } | null> {
    const { rows } = await run<Record<string, unknown>>(
      em,
      `UPDATE webhook_subscription SET active = false WHERE id = $1 AND active AND ($2::char(9) IS NULL OR organisme_code = $2)
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, scope],
    );
    if (!rows[0]) return null;
    const { count } = await run(
      em,
      `UPDATE webhook_delivery SET status = 'failed', last_error = 'subscription deleted' WHERE subscription_id = $1 AND status = 'pending'`,
      [id],
    );
    return { subscription: toSubscription(rows[0]), abandoned: count };
  }

  /** The most recent deliveries first (keyset on the delivery id). */
  async listDeliveries(
    subscriptionId: string,
    q: { beforeId: string | null; status: string | null; limit: number },
  ): Promise<DeliveryRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT d.id::text, d.event_id::text, e.type AS event_type, e.created_at AS event_created_at, d.status, d.attempts, d.last_error, d.delivered_at
         FROM webhook_delivery d JOIN fund_event e ON e.id = d.event_id
        WHERE d.subscription_id = $1 AND ($2::bigint IS NULL OR d.id < $2) AND ($3::varchar IS NULL OR d.status = $3)
        ORDER BY d.id DESC LIMIT $4`,
      [subscriptionId, q.beforeId, q.status, q.limit],
    );
    return rows.map((r) => ({
      id: r.id as string,
      eventId: r.event_id as string,
      eventType: r.event_type as string,
      eventCreatedAt: r.event_created_at as Date,
      status: r.status as DeliveryRow['status'],
      attempts: r.attempts as number,
      lastError: (r.last_error as string | null) ?? null,
      deliveredAt: (r.delivered_at as Date | null) ?? null,
    }));
  }

  async findWork(subscriptionId: string, eventId: string): Promise<DeliveryWork | null> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT d.status, d.attempts, s.active, s.url,
              e.id::text, e.tx_id::text, e.organisme_code, e.type, e.subject_type, e.subject_id, e.data, e.created_at
         FROM webhook_delivery d
         JOIN webhook_subscription s ON s.id = d.subscription_id
         JOIN fund_event e ON e.id = d.event_id
        WHERE d.subscription_id = $1 AND d.event_id = $2`,
      [subscriptionId, eventId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      status: r.status as DeliveryWork['status'],
      attempts: r.attempts as number,
      active: r.active as boolean,
      url: r.url as string,
      event: {
        id: r.id as string,
        txId: r.tx_id as string,
        organismeCode: r.organisme_code as string,
        type: r.type as string,
        subjectType: r.subject_type as string,
        subjectId: r.subject_id as string,
        data: r.data as Record<string, unknown>,
        createdAt: r.created_at as Date,
      },
    };
  }

  /**
   * Counts an attempt before the call is made (committed on its own): a worker that dies mid-call still used an
   * attempt, so the count keeps pace with pg-boss's retries. Null when the delivery is no longer pending.
   */
  async startAttempt(subscriptionId: string, eventId: string): Promise<number | null> {
    const { rows } = await run<{ attempts: number }>(
      this.dataSource.manager,
      `UPDATE webhook_delivery d SET attempts = attempts + 1
         FROM webhook_subscription s
        WHERE d.subscription_id = $1 AND d.event_id = $2 AND d.status = 'pending' AND s.id = d.subscription_id AND s.active
       RETURNING d.attempts`,
      [subscriptionId, eventId],
    );
    return rows[0]?.attempts ?? null;
  }

  async markDelivered(subscriptionId: string, eventId: string): Promise<void> {
    await run(
      this.dataSource.manager,
      `UPDATE webhook_delivery SET status = 'delivered', delivered_at = now(), last_error = NULL
        WHERE subscription_id = $1 AND event_id = $2 AND status = 'pending'`,
      [subscriptionId, eventId],
    );
  }

  /** Records a failed attempt; `final` gives up (status failed) when the attempts are spent. */
  async markAttemptFailed(subscriptionId: string, eventId: string, error: string, final: boolean): Promise<void> {
    await run(
      this.dataSource.manager,
      `UPDATE webhook_delivery SET last_error = left($3::text, 200), status = CASE WHEN $4::boolean THEN 'failed' ELSE status END
        WHERE subscription_id = $1 AND event_id = $2 AND status = 'pending'`,
      [subscriptionId, eventId, error, final],
    );
  }

  /**
   * Deletes up to `limit` finished deliveries (delivered or given up; never a pending one) older than the
   * retention: delivered ones by their delivery time, given-up ones by their event's time (a delivery is given up
   * within hours of its event), those whose event is already purged as old. Oldest event first, through the
   * partial index on finished deliveries. Returns how many were deleted.
   */
  async deleteFinishedDeliveries(retentionDays: number, limit: number): Promise<number> {
    const { count } = await run(
      this.dataSource.manager,
      `DELETE FROM webhook_delivery
        WHERE id IN (SELECT d.id FROM webhook_delivery d LEFT JOIN fund_event e ON e.id = d.event_id
                      WHERE d.status <> 'pending'
                        AND COALESCE(d.delivered_at, e.created_at, '-infinity') < now() - make_interval(days => $1::int)
                      ORDER BY d.event_id
                      LIMIT $2::int)`,
      [retentionDays, limit],
    );
    return count;
  }
}

function toSubscription(r: Record<string, unknown>): SubscriptionRow {
  return {
    id: r.id as string,
    organismeCode: r.organisme_code as string,
    partnerId: r.partner_id as string,
    url: r.url as string,
    eventTypes: (r.event_types as string[]) ?? [],
    active: r.active as boolean,
    createdAt: r.created_at as Date,
  };
}
