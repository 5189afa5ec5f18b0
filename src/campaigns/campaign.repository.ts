import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import type { CohortDefinition } from './campaign.entity.js';
import { CampaignMemberOutcome, CampaignStatus, CampaignWaveStatus } from './campaign-status.enum.js';

export interface CampaignRecord {
  id: string;
  name: string;
  status: CampaignStatus;
  cohort: CohortDefinition;
  dailyLimit: number | null;
  cohortSize: number;
  cursor: string | null;
  sent: number;
  skipped: number;
  createdAt: Date;
  statusChangedAt: Date;
}

export interface WaveRecord {
  id: string;
  campaignId: string;
  waveDay: string;
  planned: number;
  sent: number;
  skipped: number;
  status: CampaignWaveStatus;
  createdAt: Date;
  finishedAt: Date | null;
}

/** A holder of the cohort and the card a wave renews. */
export interface CohortHolder {
  beneficiaryId: string;
  cardId: string;
  /** The organisme the holder is affiliated to today: the fund that sends the form. */
  organismeCode: string;
}

export interface MemberRow extends CohortHolder {
  outcome: CampaignMemberOutcome;
  requestId: string | null;
}

export interface FunnelCounts {
  formsSent: number;
  answered: number;
  photosRefused: number;
  cardsActive: number;
  unanswered: number;
  skipped: number;
}

type Row = Record<string, unknown>;

const CAMPAIGN_COLUMNS = `id, name, status, cohort, daily_limit, cohort_size, cursor, sent, skipped, created_at, status_changed_at`;
const WAVE_COLUMNS = `id, campaign_id, wave_day::text AS wave_day, planned, sent, skipped, status, created_at, finished_at`;

/**
 * The cohort, as SQL over the card base: usable cards (shipped or active, not awaiting reconciliation) of living
 * holders affiliated today ($1) to an organisme of the regimes ($2), funds ($3) and organismes ($4) named, of a
 * generation ($5), holders born by $6 (old enough), cards whose last update ($7 months or more ago) is the latest of
 * the old base's update or issue date, the last kiosk write confirmed and the card's shipping (else its creation),
 * and of an origin ($8). One row per holder: one usable card per holder outside reconciliation (a unique index) and one
 * affiliation at a time (an exclusion constraint).
 */
const COHORT_FROM = `
  FROM card c
  JOIN beneficiary b ON b.id = c.beneficiary_id
  JOIN affiliation a ON a.beneficiary_id = c.beneficiary_id AND a.valid_from <= $1::date AND (a.valid_to IS NULL OR a.valid_to > $1::date)
  JOIN organisme o ON o.code = a.organisme_code
  LEFT JOIN imported_card ic ON ic.card_id = c.id
  LEFT JOIN card_update_state us ON us.card_id = c.id
 WHERE c.state IN ('shipped', 'active') AND NOT c.awaiting_reconciliation AND b.died_on IS NULL
   AND o.regime_code = ANY($2::char(2)[])
   AND ($3::char(5)[] IS NULL OR o.fund_code = ANY($3::char(5)[]))
   AND ($4::char(9)[] IS NULL OR o.code = ANY($4::char(9)[]))
   AND ($5::smallint IS NULL OR c.generation = $5::smallint)
   AND ($6::date IS NULL OR b.birth_date <= $6::date)
   AND ($7::int IS NULL OR COALESCE(
         GREATEST(ic.last_updated_on, ic.issued_on, (us.data_updated_at AT TIME ZONE 'Europe/Paris')::date,
                  (c.shipped_at AT TIME ZONE 'Europe/Paris')::date),
         (c.created_at AT TIME ZONE 'Europe/Paris')::date) <= ($1::date - make_interval(months => $7::int))::date)
   AND ($8::card_origin IS NULL OR c.origin = $8::card_origin)`;

/** The cohort's parameters on a day: what COHORT_FROM reads as $1 to $8. */
export interface CohortQuery {
  today: string;
  regimeCodes: string[];
  fundCodes: string[] | null;
  organismeCodes: string[] | null;
  generation: number | null;
  bornBy: string | null;
  notUpdatedForMonths: number | null;
  origin: string | null;
}

const cohortParams = (q: CohortQuery): unknown[] => [
  q.today,
  q.regimeCodes,
  q.fundCodes,
  q.organismeCodes,
  q.generation,
  q.bornBy,
  q.notUpdatedForMonths,
  q.origin,
];

/** The only place that reads and writes campaign, campaign_wave, campaign_member and campaign_capacity_day. */
@Injectable()
export class CampaignRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** How many of these regime codes the reference data lacks. */
  async unknownRegimes(em: EntityManager, codes: string[]): Promise<number> {
    const { rows } = await run<{ n: number }>(
      em,
      `SELECT count(*)::int AS n FROM unnest($1::char(2)[]) x(code) WHERE NOT EXISTS (SELECT 1 FROM regime r WHERE r.code = x.code)`,
      [codes],
    );
    return rows[0].n;
  }

  /** How many of these fund (5-digit) or organisme (9-digit) codes are unknown or outside the regimes. */
  async outsideRegimes(
    em: EntityManager,
    kind: 'fund' | 'organisme',
    codes: string[],
    regimes: string[],
  ): Promise<number> {
    const table = kind === 'fund' ? 'fund' : 'organisme';
    const { rows } = await run<{ n: number }>(
      em,
      `SELECT count(*)::int AS n FROM unnest($1::text[]) x(code)
        WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.code = x.code AND t.regime_code = ANY($2::char(2)[]))`,
      [codes, regimes],
    );
    return rows[0].n;
  }

  /** The cohort's size today, per regime (set-based, one pass). */
  async cohortSize(q: CohortQuery, em: EntityManager = this.dataSource.manager): Promise<Map<string, number>> {
    const { rows } = await run<{ regime_code: string; n: number }>(
      em,
      `SELECT o.regime_code, count(*)::int AS n ${COHORT_FROM} GROUP BY o.regime_code ORDER BY o.regime_code`,
      cohortParams(q),
    );
    return new Map(rows.map((r) => [r.regime_code, r.n]));
  }

  /** The next holders of the cohort after `after` in holder order, at most `limit`. */
  async nextHolders(em: EntityManager, q: CohortQuery, after: string | null, limit: number): Promise<CohortHolder[]> {
    const { rows } = await run<{ beneficiary_id: string; card_id: string; organisme_code: string }>(
      em,
      `SELECT c.beneficiary_id, c.id AS card_id, a.organisme_code ${COHORT_FROM}
          AND ($9::uuid IS NULL OR c.beneficiary_id > $9::uuid)
        ORDER BY c.beneficiary_id LIMIT $10`,
      [...cohortParams(q), after, limit],
    );
    return rows.map((r) => ({ beneficiaryId: r.beneficiary_id, cardId: r.card_id, organismeCode: r.organisme_code }));
  }

  async insert(
    em: EntityManager,
    c: { name: string; cohort: CohortDefinition; dailyLimit: number | null; cohortSize: number },
  ): Promise<CampaignRecord> {
    const { rows } = await run<Row>(
      em,
      `INSERT INTO campaign (name, cohort, daily_limit, cohort_size) VALUES ($1, $2::jsonb, $3, $4) RETURNING ${CAMPAIGN_COLUMNS}`,
      [c.name, JSON.stringify(c.cohort), c.dailyLimit, c.cohortSize],
    );
    return toCampaign(rows[0]);
  }

  async find(id: string, em: EntityManager = this.dataSource.manager): Promise<CampaignRecord | null> {
    const { rows } = await run<Row>(em, `SELECT ${CAMPAIGN_COLUMNS} FROM campaign WHERE id = $1`, [id]);
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  /** Newest first, keyset on (created_at, id). */
  async list(limit: number, after: string | null): Promise<CampaignRecord[]> {
    const { rows } = await run<Row>(
      this.dataSource.manager,
      `SELECT ${CAMPAIGN_COLUMNS} FROM campaign
        WHERE $1::uuid IS NULL OR (created_at, id) < (SELECT created_at, id FROM campaign WHERE id = $1::uuid)
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [after, limit],
    );
    return rows.map(toCampaign);
  }

  /**
   * Locks the campaign row for a wave's transaction, first of all its locks (then the wave's, then the day's), so two
   * runs never wait on each other in opposite orders; a pause or cancel waits for the chunk in flight and takes effect
   * at the next. `skipLocked`: null when another run holds it (that run carries on).
   */
  async lockForWave(em: EntityManager, id: string, skipLocked: boolean): Promise<CampaignRecord | null> {
    const { rows } = await run<Row>(
      em,
      `SELECT ${CAMPAIGN_COLUMNS} FROM campaign WHERE id = $1 FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
      [id],
    );
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  /** Moves the status when it is one of `from` (the trigger campaign_status_transition checks the pair); null otherwise. */
  async transition(em: EntityManager, id: string, from: readonly CampaignStatus[], to: CampaignStatus) {
    const { rows } = await run<Row>(
      em,
      `UPDATE campaign SET status = $3, status_changed_at = now() WHERE id = $1 AND status = ANY($2::campaign_status[])
       RETURNING ${CAMPAIGN_COLUMNS}`,
      [id, from, to],
    );
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async runningIds(): Promise<string[]> {
    const { rows } = await run<{ id: string }>(
      this.dataSource.manager,
      `SELECT id FROM campaign WHERE status = 'running' ORDER BY created_at, id`,
    );
    return rows.map((r) => r.id);
  }

  /** Today's wave of the campaign, created with nothing planned; null when it exists (another run or instance made it). */
  async insertWave(em: EntityManager, campaignId: string, day: string): Promise<string | null> {
    const { rows } = await run<{ id: string }>(
      em,
      `INSERT INTO campaign_wave (campaign_id, wave_day, planned) VALUES ($1, $2, 0)
       ON CONFLICT (campaign_id, wave_day) DO NOTHING RETURNING id`,
      [campaignId, day],
    );
    return rows[0]?.id ?? null;
  }

  /**
   * Reserves up to `want` forms of the day's capacity and answers how many were granted. The day's row is locked
   * while it is updated, so concurrent waves queue on it; its check keeps the total within the capacity.
   */
  async reserveCapacity(em: EntityManager, day: string, capacity: number, want: number): Promise<number> {
    await run(em, `INSERT INTO campaign_capacity_day (day, capacity) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING`, [
      day,
      capacity,
    ]);
    const { rows } = await run<{ granted: number }>(
      em,
      `WITH d AS (SELECT day, capacity, planned FROM campaign_capacity_day WHERE day = $1 FOR UPDATE)
       UPDATE campaign_capacity_day t SET planned = d.planned + LEAST($2::int, GREATEST(d.capacity - d.planned, 0))
         FROM d WHERE t.day = d.day
       RETURNING LEAST($2::int, GREATEST(d.capacity - d.planned, 0))::int AS granted`,
      [day, want],
    );
    return rows[0].granted;
  }

  async setPlanned(em: EntityManager, waveId: string, planned: number): Promise<void> {
    await run(em, `UPDATE campaign_wave SET planned = $2 WHERE id = $1`, [waveId, planned]);
  }

  /** The campaign's open wave of the day, locked for this chunk (the caller holds the campaign's lock); null when none. */
  async lockOpenWave(em: EntityManager, campaignId: string, day: string): Promise<WaveRecord | null> {
    const { rows } = await run<Row>(
      em,
      `SELECT ${WAVE_COLUMNS} FROM campaign_wave WHERE campaign_id = $1 AND wave_day = $2 AND status = 'open'
       FOR UPDATE`,
      [campaignId, day],
    );
    return rows[0] ? toWave(rows[0]) : null;
  }

  /**
   * Closes open waves of the campaign (all, or those before `beforeDay`), giving the forms they planned but did not
   * send back to their day's capacity.
   */
  async closeWaves(em: EntityManager, campaignId: string, beforeDay: string | null): Promise<void> {
    await run(
      em,
      `WITH closed AS (
         UPDATE campaign_wave SET status = 'done', finished_at = now()
          WHERE campaign_id = $1 AND status = 'open' AND ($2::date IS NULL OR wave_day < $2::date)
         RETURNING wave_day, planned - sent AS unused),
       back AS (SELECT wave_day, sum(unused)::int AS unused FROM closed GROUP BY wave_day)
       UPDATE campaign_capacity_day d SET planned = d.planned - back.unused FROM back WHERE d.day = back.wave_day`,
      [campaignId, beforeDay],
    );
  }

  /** Closes one wave; `giveBack` returns its unsent forms to the day (the cohort ran out). */
  async closeWave(em: EntityManager, waveId: string, giveBack: boolean): Promise<void> {
    await run(
      em,
      `WITH closed AS (
         UPDATE campaign_wave SET status = 'done', finished_at = now() WHERE id = $1 AND status = 'open'
         RETURNING wave_day, planned - sent AS unused)
       UPDATE campaign_capacity_day d SET planned = d.planned - closed.unused
         FROM closed WHERE $2 AND d.day = closed.wave_day`,
      [waveId, giveBack],
    );
  }

  /**
   * One chunk of a wave: its members (the primary key refuses a holder twice in a campaign, rolling the chunk back),
   * the wave's and campaign's counts, and the cursor, in the caller's transaction.
   */
  async recordChunk(
    em: EntityManager,
    c: { campaignId: string; waveId: string; members: MemberRow[]; cursor: string },
  ): Promise<void> {
    const sent = c.members.filter((m) => m.outcome === CampaignMemberOutcome.Sent).length;
    const skipped = c.members.length - sent;
    await run(
      em,
      `INSERT INTO campaign_member (campaign_id, wave_id, beneficiary_id, card_id, organisme_code, outcome, request_id)
       SELECT $1, $2, * FROM unnest($3::uuid[], $4::uuid[], $5::char(9)[], $6::campaign_member_outcome[], $7::uuid[])`,
      [
        c.campaignId,
        c.waveId,
        c.members.map((m) => m.beneficiaryId),
        c.members.map((m) => m.cardId),
        c.members.map((m) => m.organismeCode),
        c.members.map((m) => m.outcome),
        c.members.map((m) => m.requestId),
      ],
    );
    await run(em, `UPDATE campaign_wave SET sent = sent + $2, skipped = skipped + $3 WHERE id = $1`, [
      c.waveId,
      sent,
      skipped,
    ]);
    await run(em, `UPDATE campaign SET sent = sent + $2, skipped = skipped + $3, cursor = $4 WHERE id = $1`, [
      c.campaignId,
      sent,
      skipped,
      c.cursor,
    ]);
  }

  async waves(campaignId: string): Promise<WaveRecord[]> {
    const { rows } = await run<Row>(
      this.dataSource.manager,
      `SELECT ${WAVE_COLUMNS} FROM campaign_wave WHERE campaign_id = $1 ORDER BY wave_day`,
      [campaignId],
    );
    return rows.map(toWave);
  }

  /**
   * The funnel, computed on read from the campaign's requests, their photos and cards, set-based; `organismeCode`
   * keeps a fund to its own insured (the requests it manages), null for operators.
   */
  async funnel(campaignId: string, organismeCode: string | null): Promise<FunnelCounts> {
    const { rows } = await run<Row>(
      this.dataSource.manager,
      `SELECT count(*)::int AS forms_sent,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM photo p WHERE p.request_id = r.id))::int AS answered,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM photo p WHERE p.request_id = r.id AND p.status = 'rejected'))::int AS photos_refused,
              count(*) FILTER (WHERE c.state = 'active')::int AS cards_active,
              count(*) FILTER (WHERE r.status = 'expired')::int AS unanswered,
              (SELECT count(*)::int FROM campaign_member m
                WHERE m.campaign_id = $1 AND m.outcome = 'skipped_open_request'
                  AND ($2::char(9) IS NULL OR m.organisme_code = $2::char(9))) AS skipped
         FROM card_request r LEFT JOIN card c ON c.id = r.card_id
        WHERE r.campaign_id = $1 AND ($2::char(9) IS NULL OR r.organisme_code = $2::char(9))`,
      [campaignId, organismeCode],
    );
    const r = rows[0];
    return {
      formsSent: r.forms_sent as number,
      answered: r.answered as number,
      photosRefused: r.photos_refused as number,
      cardsActive: r.cards_active as number,
      unanswered: r.unanswered as number,
      skipped: r.skipped as number,
    };
  }
}

function toCampaign(r: Row): CampaignRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    status: r.status as CampaignStatus,
    cohort: r.cohort as CohortDefinition,
    dailyLimit: (r.daily_limit as number | null) ?? null,
    cohortSize: r.cohort_size as number,
    cursor: (r.cursor as string | null) ?? null,
    sent: r.sent as number,
    skipped: r.skipped as number,
    createdAt: r.created_at as Date,
    statusChangedAt: r.status_changed_at as Date,
  };
}

function toWave(r: Row): WaveRecord {
  return {
    id: r.id as string,
    campaignId: r.campaign_id as string,
    waveDay: r.wave_day as string,
    planned: r.planned as number,
    sent: r.sent as number,
    skipped: r.skipped as number,
    status: r.status as CampaignWaveStatus,
    createdAt: r.created_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
  };
}
