import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import type { EventCursor } from './event-cursor.js';
import type { FundEventType, NewFundEvent } from './event-types.js';

/**
 * The feed's horizon (a bigint): every transaction of this database below it has ended, so no event can still appear
 * below it. It is the snapshot's oldest running transaction (else the snapshot's xmax), leaving out those that
 * pg_stat_activity shows in another database: transaction ids are shared by the whole server, but another database's
 * transaction can never write here, and counting it let any long write elsewhere on the server (another
 * application, another test file's database) hold every fund's feed back. Only ever leaves out a transaction known
 * to be elsewhere; one that cannot be placed (ended meanwhile, prepared) still counts.
 */
const FEED_HORIZON = `coalesce(
  (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) x
    WHERE x::xid NOT IN (SELECT backend_xid FROM pg_stat_activity
                          WHERE backend_xid IS NOT NULL
                            AND datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))),
  pg_snapshot_xmax(pg_current_snapshot())::text::bigint)`;

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
   * (empty = all): one round trip however many events and subscriptions. One row comes back (the new ids, the
   * transaction's id and time, the deliveries), not the events themselves: the caller has them, and sending 5,000
   * events back (their data parsed again, one sub-select each for their deliveries) cost the emission chain more than
   * writing them.
   */
  async append(em: EntityManager, events: NewFundEvent[]): Promise<AppendResult> {
    if (events.length === 0) return { events: [], deliveries: [] };
    const data = events.map((e) => JSON.stringify(e.data));
    const {
      rows: [r],
    } = await run<{ ids: string[]; subjects: string[]; txId: string; createdAt: Date; deliveries: string[] | null }>(
      em,
      `WITH ev AS (
         INSERT INTO fund_event (tx_id, organisme_code, type, subject_type, subject_id, data)
         SELECT pg_current_xact_id()::text::bigint, * FROM unnest($1::char(9)[], $2::varchar[], $3::varchar[], $4::varchar[], $5::jsonb[])
         RETURNING id, tx_id, organisme_code, type, subject_id, created_at
       ), dl AS (
         INSERT INTO webhook_delivery (subscription_id, event_id)
         SELECT s.id, ev.id
           FROM ev JOIN webhook_subscription s
             ON s.organisme_code = ev.organisme_code AND s.active
            AND (cardinality(s.event_types) = 0 OR ev.type = ANY (s.event_types))
         ON CONFLICT DO NOTHING
         RETURNING subscription_id, event_id
       )
       SELECT array_agg(ev.id::text ORDER BY ev.id) AS ids, array_agg(ev.subject_id ORDER BY ev.id) AS subjects,
              min(ev.tx_id)::text AS "txId", min(ev.created_at) AS "createdAt",
              (SELECT array_agg(dl.event_id::text || ' ' || dl.subscription_id::text ORDER BY dl.event_id, dl.subscription_id) FROM dl) AS deliveries
         FROM ev`,
      [
        events.map((e) => e.organismeCode),
        events.map((e) => e.type),
        events.map((e) => e.subjectType),
        events.map((e) => e.subjectId),
        data,
      ],
    );
    // Ids are drawn row by row as the input is inserted, so in its order; checked, as the events are paired by it.
    if (r.ids.length !== events.length || r.subjects.some((s, i) => s !== events[i].subjectId))
      throw new Error('fund events: the stored events do not follow the input order');
    const stored = events.map((e, i) => ({
      id: r.ids[i],
      txId: r.txId,
      organismeCode: e.organismeCode,
      type: e.type,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      // What the database holds (a round trip through JSON: dates become strings, as read back from jsonb).
      data: JSON.parse(data[i]) as Record<string, unknown>,
      createdAt: r.createdAt,
    }));
    const deliveries = (r.deliveries ?? []).map((d) => {
      const [eventId, subscriptionId] = d.split(' ');
      return { subscriptionId, eventId };
    });
    return { events: stored, deliveries };
  }

  /**
   * The events of one organisme after a cursor, oldest first, among those whose transaction is older than every
   * transaction of this database still running (FEED_HORIZON): an event committed late can never appear behind a
   * cursor already handed out.
   * The organisme filter is in the SQL: a fund never reads another organisme's events.
   */
  async after(
    organismeCode: string,
    cursor: EventCursor,
    limit: number,
    types: FundEventType[] | null = null,
  ): Promise<StoredFundEvent[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id::text, tx_id::text, organisme_code, type, subject_type, subject_id, data, created_at
         FROM fund_event
        WHERE organisme_code = $1
          AND (tx_id, id) > ($2::bigint, $3::bigint)
          AND tx_id < ${FEED_HORIZON}
          AND ($5::varchar[] IS NULL OR type = ANY ($5::varchar[]))
        ORDER BY tx_id, id
        LIMIT $4`,
      [organismeCode, cursor.txId, cursor.id, limit, types],
    );
    return rows.map(toStored);
  }

  /**
   * Where the retention purge stops this run: the feed position of the first event, in feed order, written at or
   * after the cut-off. Every event before it is older than the cut-off, so deleting exactly those keeps the feed's
   * order intact (no kept event sorts before a deleted one). Null when no event is that recent. Walks the
   * (tx_id, id) index from the oldest event: it reads what is to be deleted, then stops.
   */
  async retentionBoundary(retentionDays: number): Promise<EventCursor | null> {
    const rows: { tx_id: string; id: string }[] = await this.dataSource.query(
      `SELECT tx_id::text, id::text FROM fund_event
        WHERE created_at >= now() - make_interval(days => $1::int)
        ORDER BY tx_id, id LIMIT 1`,
      [retentionDays],
    );
    return rows[0] ? { txId: rows[0].tx_id, id: rows[0].id } : null;
  }

  /**
   * Deletes up to `limit` events, oldest first in feed order, that sort before `boundary` (all of them when null)
   * and are older than the retention and readable by the feed; in the same statement, moves each touched
   * organisme's horizon (see FundEventHorizon) up to the newest event deleted. Returns how many were deleted.
   */
  async deleteBefore(boundary: EventCursor | null, retentionDays: number, limit: number): Promise<number> {
    const { rows } = await run<{ n: number }>(
      this.dataSource.manager,
      `WITH del AS (
         DELETE FROM fund_event
          WHERE id IN (SELECT id FROM fund_event
                        WHERE ($1::bigint IS NULL OR (tx_id, id) < ($1::bigint, $2::bigint))
                          AND created_at < now() - make_interval(days => $3::int)
                          AND tx_id < ${FEED_HORIZON}
                        ORDER BY tx_id, id
                        LIMIT $4::int)
         RETURNING organisme_code, tx_id, id
       ), newest AS (
         SELECT DISTINCT ON (organisme_code) organisme_code, tx_id, id FROM del ORDER BY organisme_code, tx_id DESC, id DESC
       ), mark AS (
         INSERT INTO fund_event_horizon AS h (organisme_code, tx_id, id)
         SELECT organisme_code, tx_id, id FROM newest
         ON CONFLICT (organisme_code) DO UPDATE SET tx_id = excluded.tx_id, id = excluded.id, purged_at = now()
          WHERE (h.tx_id, h.id) < (excluded.tx_id, excluded.id)
       )
       SELECT count(*)::int AS n FROM del`,
      [boundary?.txId ?? null, boundary?.id ?? null, retentionDays, limit],
    );
    return rows[0].n;
  }

  /** The organisme's horizon: the position of the newest event the purge deleted; null when none ever was. */
  async horizon(organismeCode: string): Promise<EventCursor | null> {
    const rows: { tx_id: string; id: string }[] = await this.dataSource.query(
      `SELECT tx_id::text, id::text FROM fund_event_horizon WHERE organisme_code = $1`,
      [organismeCode],
    );
    return rows[0] ? { txId: rows[0].tx_id, id: rows[0].id } : null;
  }
}

function toStored(r: Record<string, unknown>): StoredFundEvent {
  return {
    id: r.id as string,
    txId: r.tx_id as string,
    organismeCode: r.organisme_code as string,
    type: r.type as string,
    subjectType: r.subject_type as string,
    subjectId: r.subject_id as string,
    data: r.data as Record<string, unknown>,
    createdAt: r.created_at as Date,
  };
}
