import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../../platform/database/sql.js';
import { OPEN_REQUEST_STATUSES, RequestStatus } from '../requests/request-status.enum.js';
import { LEAD_TIME_SEGMENTS, REINJECTABLE_STATUSES, RequestSituation, WaitingOn } from './pipeline-rules.js';

/** Who the request waits for (pipeline-rules.ts, WaitingOn); computed in SQL so the stuck list filters and pages on it. */
const WAITING_ON_SQL = `CASE
    WHEN r.status IN ('form_sent', 'photo_rejected') THEN 'insured'
    WHEN r.status = 'photo_available' AND NOT r.auto_order THEN 'fund'
    WHEN r.status = 'in_personalisation' AND b.status = 'written' THEN 'vendor'
    ELSE 'system' END`;

/** A request with what its step needs: its newest pending photo (while photo_received) and its card's batch. */
const SITUATION_FROM = `card_request r
  LEFT JOIN card c ON c.id = r.card_id
  LEFT JOIN personalisation_batch b ON b.id = c.batch_id
  LEFT JOIN LATERAL (
    SELECT ph.id FROM photo ph WHERE r.status = 'photo_received' AND ph.request_id = r.id AND ph.status = 'pending'
     ORDER BY ph.received_at DESC, ph.id LIMIT 1
  ) p ON true`;

const SITUATION_COLUMNS = `r.id::text, r.form_number, r.organisme_code, r.status::text AS status, r.auto_order, r.status_changed_at,
  (extract(epoch FROM r.status_changed_at) * 1000000)::bigint::text AS since_us,
  round(extract(epoch FROM now() - r.status_changed_at) / 3600, 1)::float8 AS idle_hours,
  r.reinjections, r.needs_review, r.card_id::text, p.id::text AS pending_photo_id, b.id::text AS batch_id, b.status::text AS batch_status,
  ${WAITING_ON_SQL} AS waiting_on`;

export interface StatusCount {
  organismeCode: string | null;
  status: string;
  count: number;
  stuck: number;
  needsReview: number;
}
export interface StuckFilter {
  olderThanHours: number;
  statuses: RequestStatus[];
  waitingOn: WaitingOn[] | null;
  organismeCode: string | null;
  needsReview: boolean | null;
  /** Keyset: (status_changed_at in microseconds since the epoch, id) of the last row read. */
  after: { sinceUs: string; id: string } | null;
  limit: number;
}
export interface LeadTimeRow {
  from: RequestStatus;
  to: RequestStatus;
  count: number;
  medianDays: number | null;
  p90Days: number | null;
}

/** The pipeline's reads and its writes on card requests (re-injection, review flag, retry, cancel). */
@Injectable()
export class PipelineRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Open requests per status (and organisme): an index range on (status, status_changed_at), closed ones never read. */
  async requestCounts(byOrganisme: boolean, stuckAfterHours: number): Promise<StatusCount[]> {
    const org = byOrganisme ? 'r.organisme_code' : 'NULL::char(9)';
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${org} AS organisme_code, r.status::text AS status, count(*)::int AS n,
              count(*) FILTER (WHERE r.status_changed_at < now() - make_interval(hours => $2::int))::int AS stuck,
              count(*) FILTER (WHERE r.needs_review)::int AS needs_review
         FROM card_request r WHERE r.status = ANY ($1::request_status[])
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [OPEN_REQUEST_STATUSES, stuckAfterHours],
    );
    return rows.map((r) => ({
      organismeCode: (r.organisme_code as string | null) ?? null,
      status: r.status as string,
      count: r.n as number,
      stuck: r.stuck as number,
      needsReview: r.needs_review as number,
    }));
  }

  /** Requests idle at their step longer than the threshold, oldest first, by keyset pages. */
  async stuck(f: StuckFilter): Promise<Array<RequestSituation & { sinceUs: string }>> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${SITUATION_COLUMNS} FROM ${SITUATION_FROM}
        WHERE r.status = ANY ($1::request_status[])
          AND r.status_changed_at < now() - make_interval(hours => $2::int)
          AND ($3::text[] IS NULL OR ${WAITING_ON_SQL} = ANY ($3::text[]))
          AND ($4::char(9) IS NULL OR r.organisme_code = $4)
          AND ($5::boolean IS NULL OR r.needs_review = $5)
          AND ($6::bigint IS NULL OR (r.status_changed_at, r.id) > (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))
        ORDER BY r.status_changed_at, r.id
        LIMIT $8`,
      [
        f.statuses,
        f.olderThanHours,
        f.waitingOn,
        f.organismeCode,
        f.needsReview,
        f.after?.sinceUs ?? null,
        f.after?.id ?? null,
        f.limit,
      ],
    );
    return rows.map((r) => ({ ...toSituation(r), sinceUs: r.since_us as string }));
  }

  /** Locks one request (for the rest of the caller's transaction) and reads its situation. */
  async lockSituation(em: EntityManager, id: string): Promise<RequestSituation | null> {
    const { rows } = await run<Record<string, unknown>>(
      em,
      `SELECT ${SITUATION_COLUMNS} FROM ${SITUATION_FROM} WHERE r.id = $1 FOR UPDATE OF r`,
      [id],
    );
    return rows[0] ? toSituation(rows[0]) : null;
  }

  /**
   * The next requests the re-injector should look at, locked: idle at a step the system may owe, for longer than the
   * threshold since their status changed AND since anything last touched them (a re-injection bumps updated_at, so
   * the next one waits another full period). Rows another transaction holds are skipped, not waited for.
   */
  async lockReinjectCandidates(em: EntityManager, stuckAfterHours: number, limit: number): Promise<RequestSituation[]> {
    const { rows } = await run<Record<string, unknown>>(
      em,
      `SELECT ${SITUATION_COLUMNS} FROM ${SITUATION_FROM}
        WHERE r.status = ANY ($1::request_status[]) AND NOT r.needs_review
          AND r.status_changed_at < now() - make_interval(hours => $2::int)
          AND r.updated_at < now() - make_interval(hours => $2::int)
          AND ${WAITING_ON_SQL} = 'system'
        ORDER BY r.status_changed_at, r.id
        LIMIT $3
        FOR UPDATE OF r SKIP LOCKED`,
      [REINJECTABLE_STATUSES, stuckAfterHours, limit],
    );
    return rows.map(toSituation);
  }

  /**
   * Median and 90th percentile per segment, in days, computed in SQL. For each request the segment ends at the
   * first entry of its `to` status since `since`, and starts at the last entry of its `from` status before that
   * (a re-sent photo counts from the photo that was accepted, not the first one).
   */
  async leadTimes(
    since: Date | null,
    defaultDays: number,
    organismeCode: string | null,
  ): Promise<{ since: Date; rows: LeadTimeRow[] }> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `WITH lim AS (
         SELECT coalesce($3::timestamptz, now() - make_interval(days => $5::int)) AS since
       ), seg AS (
         SELECT * FROM unnest($1::request_status[], $2::request_status[]) WITH ORDINALITY AS s(from_status, to_status, ord)
       ), ends AS (
         SELECT seg.ord, st.request_id, min(st.entered_at) AS to_at
           FROM seg JOIN card_request_step st ON st.status = seg.to_status
           JOIN card_request r ON r.id = st.request_id
          WHERE st.entered_at >= (SELECT since FROM lim) AND ($4::char(9) IS NULL OR r.organisme_code = $4)
          GROUP BY seg.ord, st.request_id
       ), spans AS (
         SELECT e.ord, extract(epoch FROM e.to_at - f.from_at)::float8 / 86400 AS days
           FROM ends e JOIN seg ON seg.ord = e.ord
           CROSS JOIN LATERAL (
             SELECT max(x.entered_at) AS from_at FROM card_request_step x
              WHERE x.request_id = e.request_id AND x.status = seg.from_status AND x.entered_at <= e.to_at
           ) f
          WHERE f.from_at IS NOT NULL
       )
       SELECT (SELECT since FROM lim) AS since, seg.ord, seg.from_status::text AS from_status, seg.to_status::text AS to_status, count(s.days)::int AS n,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY s.days) AS median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY s.days) AS p90
         FROM seg LEFT JOIN spans s ON s.ord = seg.ord
        GROUP BY seg.ord, seg.from_status, seg.to_status ORDER BY seg.ord`,
      [LEAD_TIME_SEGMENTS.map((s) => s.from), LEAD_TIME_SEGMENTS.map((s) => s.to), since, organismeCode, defaultDays],
    );
    return {
      since: rows[0].since as Date,
      rows: rows.map((r) => ({
        from: r.from_status as RequestStatus,
        to: r.to_status as RequestStatus,
        count: r.n as number,
        medianDays: r.median === null ? null : Number(r.median),
        p90Days: r.p90 === null ? null : Number(r.p90),
      })),
    };
  }
}

function toSituation(r: Record<string, unknown>): RequestSituation {
  return {
    id: r.id as string,
    formNumber: r.form_number as string,
    organismeCode: r.organisme_code as string,
    status: r.status as RequestStatus,
    autoOrder: r.auto_order as boolean,
    statusChangedAt: r.status_changed_at as Date,
    idleHours: r.idle_hours as number,
    reinjections: r.reinjections as number,
    needsReview: r.needs_review as boolean,
    cardId: (r.card_id as string | null) ?? null,
    pendingPhotoId: (r.pending_photo_id as string | null) ?? null,
    batchId: (r.batch_id as string | null) ?? null,
    batchStatus: (r.batch_status as RequestSituation['batchStatus']) ?? null,
    waitingOn: r.waiting_on as WaitingOn,
  };
}
