import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { run } from '../platform/database/sql.js';
import type { InsuredPhotoItem } from './dto/insight.dto.js';
import { OPEN_REQUEST_STATUSES } from '../emission/requests/request-status.enum.js';

/** The figures the job counts, per organisme: [organisme, label, count(, stuck)] rows. */
export interface SnapshotFigures {
  cards: Array<[string, string, number]>;
  requests: Array<[string, string, number, number]>;
  kioskLastHour: Array<[string, string, number]>;
  /**
   * Finished kiosk exchanges of the last 24 hours per organisme, hour (start, ISO 8601) and result: [organisme, hour,
   * result, count]. Absent from a snapshot taken before it was counted (the next minute's has it).
   */
  kioskPerHour?: Array<[string, string, string, number]>;
  stuckAfterHours: number;
}

export interface LeadTimeDayRow {
  day: string;
  segment: number;
  count: number;
  medianDays: number | null;
  p90Days: number | null;
}

export interface OppositionListRow {
  number: number;
  kind: 'full' | 'incremental';
  period: string;
  producedAt: Date;
  entryCount: number;
  additions: number;
  removals: number;
}

export interface NameMatchRow {
  id: string;
  firstName: string;
  birthName: string;
  usageName: string | null;
  birthDate: string;
  organismeCode: string | null;
}

export interface TimelineRow {
  at: Date;
  kind: 'card_state' | 'kiosk_exchange' | 'mutation' | 'opposition' | 'request';
  id: string;
  details: Record<string, unknown>;
}

export interface PhotoRow {
  id: string;
  requestId: string;
  organismeCode: string;
  beneficiaryId: string;
  source: string;
  status: string;
  reasons: string[];
  measures: Record<string, unknown> | null;
  width: number | null;
  height: number | null;
  byteSize: number;
  originalKept: boolean;
  printKept: boolean;
  chipKept: boolean;
  receivedAt: Date;
  checkedAt: Date | null;
}

/**
 * The console's reads across modules (joins included; table-owners.ts lets any repository read), and the one table
 * this module writes: `insight_snapshot`, the figures the singleton job counts for /metrics and the dashboard.
 */
@Injectable()
export class InsightRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Counts the figures (a few grouped scans) and replaces the one snapshot row, in one statement. */
  async refreshSnapshot(stuckAfterHours: number): Promise<void> {
    await this.dataSource.query(
      `WITH cards AS (
         SELECT organisme_code, state::text AS label, count(*)::int AS n FROM card GROUP BY 1, 2
       ), reqs AS (
         SELECT organisme_code, status::text AS label, count(*)::int AS n,
                count(*) FILTER (WHERE status_changed_at < now() - make_interval(hours => $1::int))::int AS stuck
           FROM card_request WHERE status = ANY ($2::request_status[]) GROUP BY 1, 2
       ), kiosk AS (
         SELECT c.organisme_code, e.status::text AS label, count(*)::int AS n
           FROM kiosk_exchange e JOIN card c ON c.id = e.card_id
          WHERE e.finished_at >= now() - interval '1 hour' AND e.status <> 'issued' GROUP BY 1, 2
       ), kiosk_hours AS (
         SELECT c.organisme_code, date_trunc('hour', e.finished_at) AS hour, e.status::text AS label, count(*)::int AS n
           FROM kiosk_exchange e JOIN card c ON c.id = e.card_id
          WHERE e.finished_at >= date_trunc('hour', now()) - interval '23 hours' AND e.status <> 'issued'
          GROUP BY 1, 2, 3
       )
       INSERT INTO insight_snapshot (id, taken_at, figures)
       SELECT 1, now(), jsonb_build_object(
         'stuckAfterHours', $1::int,
         'cards', coalesce((SELECT jsonb_agg(jsonb_build_array(organisme_code, label, n)) FROM cards), '[]'::jsonb),
         'requests', coalesce((SELECT jsonb_agg(jsonb_build_array(organisme_code, label, n, stuck)) FROM reqs), '[]'::jsonb),
         'kioskLastHour', coalesce((SELECT jsonb_agg(jsonb_build_array(organisme_code, label, n)) FROM kiosk), '[]'::jsonb),
         'kioskPerHour', coalesce((SELECT jsonb_agg(jsonb_build_array(organisme_code, hour, label, n) ORDER BY hour)
                                     FROM kiosk_hours), '[]'::jsonb))
       ON CONFLICT (id) DO UPDATE SET taken_at = excluded.taken_at, figures = excluded.figures`,
      [stuckAfterHours, OPEN_REQUEST_STATUSES],
    );
  }

  async snapshot(): Promise<{ takenAt: Date; figures: SnapshotFigures } | null> {
    const { rows } = await run<{ takenAt: Date; figures: SnapshotFigures }>(
      this.dataSource.manager,
      `SELECT taken_at AS "takenAt", figures FROM insight_snapshot WHERE id = 1`,
    );
    return rows[0] ?? null;
  }

  /**
   * Median and 90th percentile per day of arrival at each segment's end (the requests reaching `to` that day), from
   * the start of the day `fromDaysAgo` days ago to the start of the day `toDaysAgo` days ago (null: now), days of Paris
   * (`paris_today()`, the product's day, not the session's UTC day): the steps' index on entered_at bounds the read.
   */
  async leadTimesPerDay(
    segments: ReadonlyArray<{ from: string; to: string }>,
    scope: string | null,
    window: { fromDaysAgo: number; toDaysAgo: number | null },
  ): Promise<LeadTimeDayRow[]> {
    const { rows } = await run<LeadTimeDayRow>(
      this.dataSource.manager,
      `WITH seg AS (
         SELECT * FROM unnest($1::request_status[], $2::request_status[]) WITH ORDINALITY AS s(from_status, to_status, ord)
       ), ends AS (
         SELECT seg.ord, st.request_id, min(st.entered_at) AS to_at
           FROM seg JOIN card_request_step st ON st.status = seg.to_status
           JOIN card_request r ON r.id = st.request_id
          WHERE st.entered_at >= (paris_today() - $4::int)::timestamp AT TIME ZONE 'Europe/Paris'
            AND ($5::int IS NULL OR st.entered_at < (paris_today() - $5::int)::timestamp AT TIME ZONE 'Europe/Paris')
            AND ($3::char(9) IS NULL OR r.organisme_code = $3)
          GROUP BY seg.ord, st.request_id
       ), spans AS (
         SELECT e.ord, e.to_at, extract(epoch FROM e.to_at - f.from_at)::float8 / 86400 AS days
           FROM ends e JOIN seg ON seg.ord = e.ord
           CROSS JOIN LATERAL (
             SELECT max(x.entered_at) AS from_at FROM card_request_step x
              WHERE x.request_id = e.request_id AND x.status = seg.from_status AND x.entered_at <= e.to_at
           ) f
          WHERE f.from_at IS NOT NULL
       )
       SELECT to_char(to_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD') AS day, ord::int AS segment, count(*)::int AS count,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS "medianDays",
              percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS "p90Days"
         FROM spans GROUP BY 1, 2 ORDER BY 1, 2`,
      [segments.map((s) => s.from), segments.map((s) => s.to), scope, window.fromDaysAgo, window.toDaysAgo],
    );
    return rows;
  }

  /** Today in Paris by the database's clock (the days of leadTimesPerDay). */
  async today(): Promise<string> {
    const { rows } = await run<{ today: string }>(
      this.dataSource.manager,
      `SELECT to_char(paris_today(), 'YYYY-MM-DD') AS today`,
    );
    return rows[0].today;
  }

  async oppositionLists(limit: number): Promise<OppositionListRow[]> {
    const { rows } = await run<OppositionListRow>(
      this.dataSource.manager,
      `SELECT number, kind, period, produced_at AS "producedAt", entry_count AS "entryCount", additions, removals
         FROM opposition_list ORDER BY number DESC LIMIT $1`,
      [limit],
    );
    return rows;
  }

  /** pg-boss jobs failed (retries used up) in the last `hours`, per job name. */
  async failedJobs(hours: number): Promise<Array<{ job: string; count: number; lastAt: Date }>> {
    const { rows } = await run<{ job: string; count: number; lastAt: Date }>(
      this.dataSource.manager,
      `SELECT name AS job, count(*)::int AS count, max(completed_on) AS "lastAt"
         FROM pgboss.job WHERE state = 'failed' AND completed_on >= now() - make_interval(hours => $1::int)
        GROUP BY name ORDER BY name`,
      [hours],
    );
    return rows;
  }

  /**
   * Insured born on `birthDate` whose birth or usage name starts with `name` (upper-cased by the caller), current
   * affiliation in the scope: the index on birth_date reads one day's births, a few hundred in a million.
   */
  async byNameAndBirthDate(
    scope: string | null,
    name: string,
    birthDate: string,
    limit: number,
  ): Promise<NameMatchRow[]> {
    const { rows } = await run<NameMatchRow>(
      this.dataSource.manager,
      `SELECT b.id, b.first_name AS "firstName", b.birth_name AS "birthName", b.usage_name AS "usageName",
              to_char(b.birth_date, 'YYYY-MM-DD') AS "birthDate", a.organisme_code AS "organismeCode"
         FROM beneficiary b
         LEFT JOIN affiliation a ON a.beneficiary_id = b.id AND a.valid_to IS NULL
        WHERE b.birth_date = $2::date
          AND (upper(b.birth_name) LIKE $3 || '%' OR upper(coalesce(b.usage_name, '')) LIKE $3 || '%')
          AND ($1::char(9) IS NULL OR a.organisme_code = $1)
        ORDER BY b.birth_name, b.first_name, b.id LIMIT $4`,
      [scope, birthDate, name.replace(/[\\%_]/g, (c) => `\\${c}`), limit],
    );
    return rows;
  }

  /**
   * One insured's timeline, newest first, by keyset pages on (at, kind, id): their cards' state changes (audit
   * trail), kiosk exchanges, oppositions (opposition_change by serial), mutations and card request steps. Each
   * branch reads by the insured's or their cards' indexes and is cut at the page size before the merge.
   */
  async timeline(
    beneficiaryId: string,
    before: { at: string; kind: string; id: string } | null,
    limit: number,
  ): Promise<TimelineRow[]> {
    const cursor = `($2::timestamptz IS NULL OR (x.at, x.kind, x.id) < ($2::timestamptz, $3::text, $4::text))`;
    const branch = (sql: string) =>
      `(SELECT * FROM (${sql}) x WHERE ${cursor} ORDER BY x.at DESC, x.kind DESC, x.id DESC LIMIT $5)`;
    const { rows } = await run<TimelineRow>(
      this.dataSource.manager,
      `WITH cards AS (SELECT id, serial FROM card WHERE beneficiary_id = $1)
       SELECT * FROM (
         ${branch(`SELECT e.at, 'card_state'::text AS kind, e.id::text AS id,
                          jsonb_build_object('serial', lpad(c.serial::text, 12, '0'), 'action', e.action,
                            'from', e.details->'from', 'to', e.details->'to', 'reason', e.details->'reason', 'actorKind', e.actor_kind) AS details
                     FROM cards c JOIN audit_entry e ON e.entity_type = 'card' AND e.entity_id = c.id::text
                    WHERE e.details ? 'to'`)}
         UNION ALL
         ${branch(`SELECT coalesce(k.finished_at, k.created_at) AS at, 'kiosk_exchange'::text AS kind, k.id::text AS id,
                          jsonb_build_object('serial', lpad(c.serial::text, 12, '0'), 'result', k.status, 'baseVersion', k.base_version,
                            'targetVersion', k.target_version, 'records', to_jsonb(k.records))
                     FROM cards c JOIN kiosk_exchange k ON k.card_id = c.id`)}
         UNION ALL
         ${branch(`SELECT o.at, 'opposition'::text AS kind, o.id::text AS id,
                          jsonb_build_object('serial', lpad(o.serial::text, 12, '0'), 'op', o.op, 'reason', o.reason, 'listNumber', o.list_number)
                     FROM cards c JOIN opposition_change o ON o.serial = c.serial`)}
         UNION ALL
         ${branch(`SELECT coalesce(m.applied_at, m.created_at) AS at, 'mutation'::text AS kind, m.id::text AS id,
                          jsonb_build_object('kind', m.kind, 'fromOrganisme', m.from_organisme, 'toOrganisme', m.to_organisme,
                            'effectiveDate', m.effective_date, 'applied', m.applied_at IS NOT NULL)
                     FROM card_mutation m WHERE m.beneficiary_id = $1`)}
         UNION ALL
         ${branch(`SELECT st.entered_at AS at, 'request'::text AS kind, st.id::text AS id,
                          jsonb_build_object('requestId', r.id, 'formNumber', r.form_number, 'status', st.status, 'reason', r.reason)
                     FROM card_request r JOIN card_request_step st ON st.request_id = r.id WHERE r.beneficiary_id = $1`)}
       ) t ORDER BY at DESC, kind DESC, id DESC LIMIT $5`,
      [beneficiaryId, before?.at ?? null, before?.kind ?? null, before?.id ?? null, limit],
    );
    return rows;
  }

  /** One photo with its request's organisme and holder (the tenant rule is applied by the caller's scope). */
  async photo(scope: string | null, id: string): Promise<PhotoRow | null> {
    const { rows } = await run<PhotoRow>(
      this.dataSource.manager,
      `SELECT p.id, p.request_id AS "requestId", r.organisme_code AS "organismeCode", r.beneficiary_id AS "beneficiaryId",
              p.source::text AS source, p.status::text AS status, p.reasons, p.measures, p.width, p.height,
              p.byte_size AS "byteSize", p.original_deleted_at IS NULL AS "originalKept",
              p.print_key IS NOT NULL AS "printKept", p.chip_key IS NOT NULL AS "chipKept",
              p.received_at AS "receivedAt", p.checked_at AS "checkedAt"
         FROM photo p JOIN card_request r ON r.id = p.request_id
        WHERE p.id = $1 AND ($2::char(9) IS NULL OR r.organisme_code = $2)`,
      [id, scope],
    );
    return rows[0] ?? null;
  }

  /** The photos received for an insured's requests, newest first (the tenant rule is applied by the caller's scope). */
  async photosOf(scope: string | null, beneficiaryId: string, limit: number): Promise<InsuredPhotoItem[]> {
    const { rows } = await run<InsuredPhotoItem>(
      this.dataSource.manager,
      `SELECT p.id, p.request_id AS "requestId", r.form_number AS "formNumber", p.status::text AS status,
              p.reasons, p.received_at AS "receivedAt"
         FROM photo p JOIN card_request r ON r.id = p.request_id
        WHERE r.beneficiary_id = $1 AND ($2::char(9) IS NULL OR r.organisme_code = $2)
        ORDER BY p.received_at DESC, p.id DESC LIMIT $3`,
      [beneficiaryId, scope, limit],
    );
    return rows;
  }
}
