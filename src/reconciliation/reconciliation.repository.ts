import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { pgError, PG_UNIQUE_VIOLATION } from '../platform/database/pg-error.js';
import { run } from '../platform/database/sql.js';
import { ReconciliationErrors } from './reconciliation.errors.js';
import {
  DecisionOutcome,
  ReconciliationClass,
  ReconciliationMode,
  ReconciliationRunStatus,
} from './reconciliation-class.enum.js';
import type { OppositionReason } from '../cards/card-state.enum.js';

export interface RunRow {
  id: string;
  mode: ReconciliationMode;
  status: ReconciliationRunStatus;
  requestedBy: string | null;
  requestId: string | null;
  cardsClassified: number | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
}

export interface FindingCount {
  regimeCode: string;
  fundCode: string;
  organismeCode: string;
  class: ReconciliationClass;
  cards: number;
}

export interface ReportRow {
  cardId: string;
  serial: string;
  class: ReconciliationClass;
  keptSerial: string | null;
  organismeCode: string;
  fundCode: string;
  regimeCode: string;
  generation: number;
  origin: string;
}

export interface PendingOpposition {
  cardId: string;
  reason: OppositionReason;
}

export interface SurplusCounter {
  regimeCode: string;
  found: number;
  invalidated: number;
}

const RUN_COLUMNS = `id, mode, status, requested_by AS "requestedBy", request_id AS "requestId",
  cards_classified::float8 AS "cardsClassified", created_at AS "createdAt", started_at AS "startedAt",
  finished_at AS "finishedAt", error`;

/** Unique violation of the one-run-at-a-time index: another run is pending or running. */
const ONE_AT_A_TIME = 'reconciliation_run_one_at_a_time';

/** The wave's day: the cap is per day in Paris, whatever the database's time zone. */
const PARIS_TODAY = `(now() AT TIME ZONE 'Europe/Paris')::date`;

/** Serialises waves across instances (transaction advisory lock): the daily count and the wave are one step. */
const WAVE_LOCK_KEY = 0x5245434f; // "RECO"

/**
 * Classifies every usable card against the register in one set-based statement, writing its findings for run $1.
 * Cards and their holder: `person` is the beneficiary a card names, or, when that row's NIR is one another
 * beneficiary was known by before a NIR change (beneficiary_nir_history), that other beneficiary: the register may
 * hold a row created under a temporary NIR already replaced on the person's row.
 *
 * One pass over `card`, in holder order: an index-only scan of card_usable_by_holder (holder, organisme, id of every
 * usable card) merge-joined to an index-only scan of affiliation_by_holder (each holder's affiliations by organisme,
 * with their period), so the affiliation check neither hashes every current affiliation nor reads the card table;
 * a window counts each holder's usable cards on the way, and one aggregate keeps the count of usable cards and the
 * few cards to look at closer: those of holders with several, those not under a current affiliation of their
 * organisme, and every card of a deceased holder or of a row in a NIR change (a person and the rows created under
 * its former NIR; their cards are one person's, counted together below). Only those (a few percent) are read from
 * `card` (by id), ranked per person by the keep rule (docs/reconciliation.md) and written in one pass, each with
 * every class it is in. Cards of holders unknown to the register are only one class: they are written straight from
 * `card`, never carried through the joins (a base taken over may hold millions of them). Answers the number of usable
 * cards classified.
 */
const CLASSIFY_SQL = `
WITH aliases AS MATERIALIZED (
  SELECT b.id AS alias, h.beneficiary_id AS person
    FROM beneficiary_nir_history h
    CROSS JOIN LATERAL (SELECT b.id FROM beneficiary b WHERE b.nir = h.nir AND b.id <> h.beneficiary_id OFFSET 0) b
), marked AS MATERIALIZED (
  SELECT id FROM beneficiary WHERE died_on IS NOT NULL
  UNION SELECT alias FROM aliases
  UNION SELECT person FROM aliases
), pass AS MATERIALIZED (
  SELECT count(*)::float8 AS total,
         array_agg(ROW(w.id, w.beneficiary_id, w.n, w.left_org)) FILTER (
           WHERE w.beneficiary_id IS NOT NULL AND (w.n > 1 OR w.left_org OR w.beneficiary_id IN (SELECT id FROM marked))
         ) AS cards
    FROM (
      SELECT c.id, c.beneficiary_id, count(*) OVER (PARTITION BY c.beneficiary_id) AS n, af.beneficiary_id IS NULL AS left_org
        FROM card c
        -- At most one current affiliation per person (affiliation_no_overlap): the join never repeats a card.
        LEFT JOIN affiliation af ON af.beneficiary_id = c.beneficiary_id AND af.organisme_code = c.organisme_code
                                AND af.valid_from <= (SELECT paris_today())
                                AND (af.valid_to IS NULL OR af.valid_to > (SELECT paris_today()))
       WHERE c.state IN ('shipped', 'active')
    ) w
), looked AS MATERIALIZED (
  SELECT u.id, u.b, u.n, u.left_direct, COALESCE(a.person, u.b) AS person, a.person IS NOT NULL AS via_alias
    FROM pass CROSS JOIN unnest(pass.cards) AS u(id uuid, b uuid, n bigint, left_direct boolean)
    LEFT JOIN aliases a ON a.alias = u.b
), multi AS MATERIALIZED (
  -- Persons with several usable cards: a row holding several, or a person and its rows under former NIRs together
  -- (every card of those rows was kept by the pass).
  SELECT person FROM looked WHERE n > 1
  UNION
  SELECT x.person
    FROM (SELECT person, alias AS b FROM aliases UNION SELECT person, person FROM aliases) x
    JOIN looked l ON l.b = x.b
   GROUP BY x.person HAVING count(*) > 1
), flagged AS MATERIALIZED (
  SELECT * FROM (
    SELECT c.id, c.serial, c.organisme_code, c.generation, c.origin, c.awaiting_reconciliation, c.created_at, l.person,
           l.person IN (SELECT id FROM beneficiary WHERE died_on IS NOT NULL) AS deceased,
           m.person IS NOT NULL AS several,
           -- A card under a row created with a former NIR: its person's affiliation, looked up by index (a scalar
           -- subquery is never hashed over every affiliation). "= ANY (ARRAY[...])" is an index condition a b-tree
           -- takes and the GiST of affiliation_no_overlap does not: measured, the planner otherwise picks that GiST
           -- (about 100 buffers a lookup instead of 3).
           CASE WHEN l.via_alias THEN
             (SELECT true FROM affiliation af
               WHERE af.beneficiary_id = ANY (ARRAY[l.person]) AND af.organisme_code = c.organisme_code
                 AND af.valid_from <= paris_today() AND (af.valid_to IS NULL OR af.valid_to > paris_today())
               LIMIT 1) IS NULL
           ELSE l.left_direct END AS left_org
      FROM looked l
      JOIN card c ON c.id = l.id
      LEFT JOIN multi m ON m.person = l.person
  ) k
  WHERE k.deceased OR k.several OR k.left_org
), ranked AS (
  SELECT f.id,
         row_number() OVER w AS rank,
         first_value(f.serial) OVER w AS kept_serial
    FROM flagged f
   WHERE f.several AND NOT f.deceased
  WINDOW w AS (PARTITION BY f.person
               ORDER BY f.awaiting_reconciliation, (f.origin = 'issued') DESC, f.generation DESC, f.left_org,
                        COALESCE((SELECT ic.issued_on FROM imported_card ic WHERE ic.card_id = f.id), f.created_at::date) DESC,
                        f.serial)
), known AS (
  INSERT INTO reconciliation_finding (run_id, card_id, class, serial, kept_serial, organisme_code, fund_code, regime_code, generation, origin)
  SELECT $1, f.id, x.class, f.serial, x.kept_serial, f.organisme_code, o.fund_code, o.regime_code, f.generation, f.origin
    FROM flagged f
    JOIN organisme o ON o.code = f.organisme_code
    LEFT JOIN ranked r ON r.id = f.id
    CROSS JOIN LATERAL (VALUES
      (CASE WHEN f.deceased THEN 'holder_deceased'::reconciliation_class END, NULL::bigint),
      (CASE WHEN f.left_org AND NOT f.deceased THEN 'left_organisme'::reconciliation_class END, NULL),
      (CASE WHEN r.rank = 1 THEN 'kept'::reconciliation_class WHEN r.rank > 1 THEN 'surplus' END,
       CASE WHEN r.rank > 1 THEN r.kept_serial END)
    ) x(class, kept_serial)
   WHERE x.class IS NOT NULL
), unknown AS (
  INSERT INTO reconciliation_finding (run_id, card_id, class, serial, kept_serial, organisme_code, fund_code, regime_code, generation, origin)
  SELECT $1, c.id, 'holder_unknown', c.serial, NULL, c.organisme_code, o.fund_code, o.regime_code, c.generation, c.origin
    FROM card c JOIN organisme o ON o.code = c.organisme_code
   WHERE c.state IN ('shipped', 'active') AND c.beneficiary_id IS NULL
)
SELECT (SELECT total FROM pass) AS classified`;

/**
 * Planner settings for CLASSIFY_SQL only (set_config local to the caller's transaction, put back right after it):
 * - enable_material off: the merge join of the pass otherwise copies the affiliations' index-only scan into a
 *   Materialize node to rescan a holder's affiliations for each of his cards, when the scan itself marks and restores
 *   its position (a holder has one or two cards; under EXPLAIN ANALYZE the copy was about 160 ms of a million).
 * - work_mem 64MB: the flagged cards (about a tenth of a taken-over base: 100,000 per million cards) are sorted and
 *   hashed in memory instead of in temporary files at the default 4MB; one run at a time (reconciliation_run).
 */
const CLASSIFY_SETTINGS: ReadonlyArray<[string, string]> = [
  ['enable_material', 'off'],
  ['work_mem', '64MB'],
];

/** reconciliation_run, reconciliation_finding and reconciliation_decision: the only file that writes them. */
@Injectable()
export class ReconciliationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A new pending run; another run pending or running is refused by the database (one at a time). */
  async insertRun(
    em: EntityManager,
    run_: { mode: ReconciliationMode; requestedBy: string | null; requestId: string | null },
  ): Promise<RunRow> {
    try {
      const { rows } = await run<RunRow>(
        em,
        `INSERT INTO reconciliation_run (mode, requested_by, request_id) VALUES ($1, $2, $3) RETURNING ${RUN_COLUMNS}`,
        [run_.mode, run_.requestedBy, run_.requestId],
      );
      return rows[0];
    } catch (e) {
      const pg = pgError(e);
      if (pg?.code === PG_UNIQUE_VIOLATION && pg.constraint === ONE_AT_A_TIME)
        throw ReconciliationErrors.RECONCILIATION_RUN_IN_PROGRESS();
      throw e;
    }
  }

  async findRun(id: string, em: EntityManager = this.dataSource.manager): Promise<RunRow | null> {
    const { rows } = await run<RunRow>(em, `SELECT ${RUN_COLUMNS} FROM reconciliation_run WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async listRuns(limit: number): Promise<RunRow[]> {
    const { rows } = await run<RunRow>(
      this.dataSource.manager,
      `SELECT ${RUN_COLUMNS} FROM reconciliation_run ORDER BY created_at DESC, id LIMIT $1`,
      [limit],
    );
    return rows;
  }

  /** Pending → running; false when the run is no longer pending (a redelivered job). */
  async start(id: string): Promise<boolean> {
    const { count } = await run(
      this.dataSource.manager,
      `UPDATE reconciliation_run SET status = 'running', started_at = now() WHERE id = $1 AND status = 'pending'`,
      [id],
    );
    return count === 1;
  }

  /** A run found running again (its job retried after a crash): its findings start over. */
  async restart(id: string): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const { count } = await run(
        em,
        `UPDATE reconciliation_run SET started_at = now() WHERE id = $1 AND status = 'running'`,
        [id],
      );
      if (count === 1) await run(em, `DELETE FROM reconciliation_finding WHERE run_id = $1`, [id]);
      return count === 1;
    });
  }

  async finish(em: EntityManager, id: string, classified: number): Promise<void> {
    await run(
      em,
      `UPDATE reconciliation_run SET status = 'done', active = false, finished_at = now(), cards_classified = $2 WHERE id = $1`,
      [id, classified],
    );
  }

  async fail(id: string, error: string): Promise<void> {
    await run(
      this.dataSource.manager,
      `UPDATE reconciliation_run SET status = 'failed', active = false, finished_at = now(), error = $2 WHERE id = $1 AND active`,
      [id, error.slice(0, 300)],
    );
  }

  /** Writes the run's findings (CLASSIFY_SQL) in the caller's transaction; answers the usable cards classified. */
  async classify(em: EntityManager, runId: string): Promise<number> {
    const names = CLASSIFY_SETTINGS.map(([name]) => name);
    const {
      rows: [before],
    } = await run<{ values: string[] }>(
      em,
      `SELECT array_agg(current_setting(n) ORDER BY i) AS values FROM unnest($1::text[]) WITH ORDINALITY s(n, i)`,
      [names],
    );
    const set = (values: string[]) =>
      run(em, `SELECT set_config(n, v, true) FROM unnest($1::text[], $2::text[]) s(n, v)`, [names, values]);
    await set(CLASSIFY_SETTINGS.map(([, value]) => value));
    const { rows } = await run<{ classified: number | null }>(em, CLASSIFY_SQL, [runId]);
    await set(before.values); // the rest of the caller's transaction plans as before
    return rows[0]?.classified ?? 0;
  }

  /** Counts per regime, fund, organisme and class; a fund's scope (its organisme) is applied in SQL. */
  async counts(runId: string, scopeOrganismeCode: string | null): Promise<FindingCount[]> {
    const { rows } = await run<FindingCount>(
      this.dataSource.manager,
      `SELECT regime_code AS "regimeCode", fund_code AS "fundCode", organisme_code AS "organismeCode", class, count(*)::int AS cards
         FROM reconciliation_finding WHERE run_id = $1 AND ($2::char(9) IS NULL OR organisme_code = $2)
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      [runId, scopeOrganismeCode],
    );
    return rows;
  }

  /** One page of the run's findings by (serial, class), after a cursor; a fund's scope applied in SQL. */
  async reportPage(
    runId: string,
    scopeOrganismeCode: string | null,
    after: { serial: string; class: string } | null,
    limit: number,
  ): Promise<ReportRow[]> {
    const { rows } = await run<ReportRow>(
      this.dataSource.manager,
      `SELECT card_id AS "cardId", serial::text AS serial, class, kept_serial::text AS "keptSerial", organisme_code AS "organismeCode",
              fund_code AS "fundCode", regime_code AS "regimeCode", generation, origin
         FROM reconciliation_finding
        WHERE run_id = $1 AND ($2::char(9) IS NULL OR organisme_code = $2)
          AND ($3::bigint IS NULL OR (serial, class::text) > ($3::bigint, $4::text))
        ORDER BY serial, class::text LIMIT $5`,
      [runId, scopeOrganismeCode, after?.serial ?? null, after?.class ?? null, limit],
    );
    return rows;
  }

  /**
   * Apply's decisions from the run's findings, in the caller's transaction: keep the kept card, oppose the surplus
   * ones (reason surplus) and the deceased holders' (holder_deceased). A card already decided by an earlier apply
   * keeps its decision (the primary key, ON CONFLICT DO NOTHING). Answers how many decisions are new.
   */
  async decide(em: EntityManager, runId: string): Promise<number> {
    const { count } = await run(
      em,
      `INSERT INTO reconciliation_decision (card_id, run_id, action, reason, class, organisme_code, regime_code)
       SELECT card_id, run_id,
              CASE WHEN class = 'kept' THEN 'keep' ELSE 'oppose' END::reconciliation_decision_action_enum,
              CASE class WHEN 'surplus' THEN 'surplus' WHEN 'holder_deceased' THEN 'holder_deceased' END::opposition_reason,
              class, organisme_code, regime_code
         FROM reconciliation_finding WHERE run_id = $1 AND class IN ('kept', 'surplus', 'holder_deceased')
       ON CONFLICT (card_id) DO NOTHING`,
      [runId],
    );
    return count;
  }

  /**
   * Up to `limit` usable imported cards awaiting reconciliation that apply keeps: holder known and alive, not found
   * surplus by the run, not decided for opposition, already in the card base when the run started (a card imported
   * since is the next run's). Read here; the cards module writes them.
   */
  async keepable(em: EntityManager, runId: string, limit: number): Promise<string[]> {
    const { rows } = await run<{ id: string }>(
      em,
      `SELECT c.id FROM card c
        WHERE c.awaiting_reconciliation AND c.state IN ('shipped', 'active') AND c.beneficiary_id IS NOT NULL
          AND c.created_at < (SELECT started_at FROM reconciliation_run WHERE id = $1)
          AND NOT EXISTS (SELECT 1 FROM reconciliation_finding f WHERE f.run_id = $1 AND f.card_id = c.id
                             AND f.class IN ('surplus', 'holder_deceased', 'holder_unknown'))
          AND NOT EXISTS (SELECT 1 FROM reconciliation_decision d WHERE d.card_id = c.id AND d.action = 'oppose')
        LIMIT $2`,
      [runId, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Takes the wave lock for the caller's transaction (two instances never run a wave at once). */
  async lockWaves(em: EntityManager): Promise<void> {
    await run(em, `SELECT pg_advisory_xact_lock($1)`, [WAVE_LOCK_KEY]);
  }

  /** Oppositions already made by waves today (Paris): what the daily cap counts. */
  async opposedToday(em: EntityManager): Promise<number> {
    const { rows } = await run<{ n: number }>(
      em,
      `SELECT count(*)::int AS n FROM reconciliation_decision WHERE applied_on = ${PARIS_TODAY} AND outcome = 'opposed'`,
    );
    return rows[0].n;
  }

  /** The oldest undone oppositions, locked for the caller's transaction. */
  async pendingOppositions(em: EntityManager, limit: number): Promise<PendingOpposition[]> {
    if (limit <= 0) return [];
    const { rows } = await run<PendingOpposition>(
      em,
      `SELECT card_id AS "cardId", reason FROM reconciliation_decision
        WHERE action = 'oppose' AND applied_at IS NULL ORDER BY decided_at, card_id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows;
  }

  async markApplied(em: EntityManager, cardIds: string[], outcome: DecisionOutcome): Promise<void> {
    if (cardIds.length === 0) return;
    await run(
      em,
      `UPDATE reconciliation_decision SET applied_at = now(), applied_on = ${PARIS_TODAY}, outcome = $2
        WHERE card_id = ANY($1::uuid[]) AND applied_at IS NULL`,
      [cardIds, outcome],
    );
  }

  async pendingCount(em: EntityManager = this.dataSource.manager): Promise<number> {
    const { rows } = await run<{ n: number }>(
      em,
      `SELECT count(*)::int AS n FROM reconciliation_decision WHERE action = 'oppose' AND applied_at IS NULL`,
    );
    return rows[0].n;
  }

  /**
   * Per regime: surplus cards found (each card once: decided surplus by an apply, or found by the latest finished run
   * and not decided yet) and invalidated (opposed by a wave); a fund's scope (its organisme) applied in SQL.
   */
  async surplusCounters(scopeOrganismeCode: string | null): Promise<SurplusCounter[]> {
    const { rows } = await run<SurplusCounter>(
      this.dataSource.manager,
      `WITH latest AS (SELECT id FROM reconciliation_run WHERE status = 'done' ORDER BY finished_at DESC LIMIT 1),
       cards AS (
         SELECT regime_code, outcome = 'opposed' AS invalidated FROM reconciliation_decision
          WHERE reason = 'surplus' AND ($1::char(9) IS NULL OR organisme_code = $1)
         UNION ALL
         SELECT regime_code, false FROM reconciliation_finding f
          WHERE f.run_id = (SELECT id FROM latest) AND f.class = 'surplus' AND ($1::char(9) IS NULL OR f.organisme_code = $1)
            AND NOT EXISTS (SELECT 1 FROM reconciliation_decision d WHERE d.card_id = f.card_id)
       )
       SELECT regime_code AS "regimeCode", count(*)::int AS found, count(*) FILTER (WHERE invalidated)::int AS invalidated
         FROM cards GROUP BY 1 ORDER BY 1`,
      [scopeOrganismeCode],
    );
    return rows;
  }
}
