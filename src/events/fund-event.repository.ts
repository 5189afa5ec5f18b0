import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import type { EventCursor } from './event-cursor.js';
import type { FundEventType, NewFundEvent } from './event-types.js';

export interface StoredFundEvent {
  id: string;
  txId: string;
  organismeCode: string;
  type: string;
  subjectType: string;
  subjectId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** What one append wrote: the events, and the webhook deliveries they fanned out to (one per matching subscription). */
export interface AppendResult {
  events: StoredFundEvent[];
  deliveries: { subscriptionId: string; eventId: string }[];
}

@Injectable()
export class FundEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Appends events in the caller's transaction, stamped with its transaction id (see FundEvent), and in the same
   * statement records one pending delivery per active subscription of the event's organisme whose types match
   * (empty = all): one round trip however many events and subscriptions.
   */
  async append(em: EntityManager, events: NewFundEvent[]): Promise<AppendResult> {
    if (events.length === 0) return { events: [], deliveries: [] };
    const { rows } = await run<Record<string, unknown>>(
      em,
      `WITH ev AS (
         INSERT INTO fund_event (tx_id, organisme_code, type, subject_type, subject_id, data)
         SELECT pg_current_xact_id()::text::bigint, * FROM unnest($1::char(9)[], $2::varchar[], $3::varchar[], $4::varchar[], $5::jsonb[])
         RETURNING id, tx_id, organisme_code, type, subject_type, subject_id, data, created_at
       ), dl AS (
         INSERT INTO webhook_delivery (subscription_id, event_id)
         SELECT s.id, ev.id
           FROM ev JOIN webhook_subscription s
             ON s.organisme_code = ev.organisme_code AND s.active
            AND (cardinality(s.event_types) = 0 OR ev.type = ANY (s.event_types))
         ON CONFLICT DO NOTHING
         RETURNING subscription_id, event_id
       )
       SELECT ev.id::text, ev.tx_id::text, ev.organisme_code, ev.type, ev.subject_type, ev.subject_id, ev.data, ev.created_at,
              ARRAY(SELECT dl.subscription_id::text FROM dl WHERE dl.event_id = ev.id) AS subscription_ids
         FROM ev ORDER BY ev.id`,
      [
        events.map((e) => e.organismeCode), events.map((e) => e.type), events.map((e) => e.subjectType),
        events.map((e) => e.subjectId), events.map((e) => JSON.stringify(e.data)),
      ],
    );
    const stored = rows.map(toStored);
    const deliveries = rows.flatMap((r) => (r.subscription_ids as string[]).map((subscriptionId) => ({ subscriptionId, eventId: r.id as string })));
    return { events: stored, deliveries };
  }

  /**
   * The events of one organisme after a cursor, oldest first, among those whose transaction is older than every
   * transaction still running: an event committed late can never appear behind a cursor already handed out.
   * The organisme filter is in the SQL: a fund never reads another organisme's events.
   */
  async after(organismeCode: string, cursor: EventCursor, limit: number, types: FundEventType[] | null = null): Promise<StoredFundEvent[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id::text, tx_id::text, organisme_code, type, subject_type, subject_id, data, created_at
         FROM fund_event
        WHERE organisme_code = $1
          AND (tx_id, id) > ($2::bigint, $3::bigint)
          AND tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
          AND ($5::varchar[] IS NULL OR type = ANY ($5::varchar[]))
        ORDER BY tx_id, id
        LIMIT $4`,
      [organismeCode, cursor.txId, cursor.id, limit, types],
    );
    return rows.map(toStored);
  }
}

function toStored(r: Record<string, unknown>): StoredFundEvent {
  return {
    id: r.id as string, txId: r.tx_id as string, organismeCode: r.organisme_code as string, type: r.type as string,
    subjectType: r.subject_type as string, subjectId: r.subject_id as string, data: r.data as Record<string, unknown>,
    createdAt: r.created_at as Date,
  };
}
