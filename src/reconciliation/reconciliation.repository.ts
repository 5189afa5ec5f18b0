import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, type QueryRunner } from 'typeorm';
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

/** The usable card states: what a run classifies. */
const USABLE = `state IN ('shipped', 'active')`;

/**
 * The end of every classification statement below: ranks the flagged cards of each person with several by the keep
 * rule (docs/reconciliation.md) and writes each flagged card once per class it is in, in serial order (the findings'
 * key). `flagged` must give each card's id, serial, organisme_code, generation, origin, awaiting_reconciliation,
 * created_at, its person, and whether the person is deceased, holds several usable cards, and has left the card's
 * organisme. The old base's issue date is looked up by card for the ranked cards only.
 */
const RANK_AND_WRITE = `
ranked AS (
  -- One window over the flagged cards, no join back to them (row estimates of unnested arrays are guesses: a join
  -- here could become a nested loop over every pair). Ranks count within the cards the rule ranks only.
  SELECT f.*,
         row_number() OVER w AS rank,
         first_value(f.serial) OVER w AS kept_serial
    FROM flagged f
  WINDOW w AS (PARTITION BY f.person, f.several AND NOT f.deceased
               ORDER BY f.awaiting_reconciliation, (f.origin = 'issued') DESC, f.generation DESC, f.left_org,
                        CASE WHEN f.several AND NOT f.deceased THEN
                          COALESCE((SELECT ic.issued_on FROM imported_card ic WHERE ic.card_id = f.id), f.created_at::date)
                        END DESC,
                        f.serial)
), written AS (
  INSERT INTO reconciliation_finding (run_id, card_id, class, serial, kept_serial, organisme_code, fund_code, regime_code, generation, origin)
  SELECT $1, r.id, x.class, r.serial, x.kept_serial, r.organisme_code, o.fund_code, o.regime_code, r.generation, r.origin
    FROM ranked r
    JOIN organisme o ON o.code = r.organisme_code
    CROSS JOIN LATERAL (VALUES
      (CASE WHEN r.deceased THEN 'holder_deceased'::reconciliation_class END, NULL::bigint),
      (CASE WHEN r.left_org AND NOT r.deceased THEN 'left_organisme'::reconciliation_class END, NULL),
      (CASE WHEN NOT r.several OR r.deceased THEN NULL WHEN r.rank = 1 THEN 'kept'::reconciliation_class ELSE 'surplus' END,
       CASE WHEN r.several AND NOT r.deceased AND r.rank > 1 THEN r.kept_serial END)
    ) x(class, kept_serial)
   WHERE x.class IS NOT NULL
   ORDER BY r.serial, x.class
)`;

/**
 * One holder range of a run: $2 ≤ holder ≤ $3, the holder $3 itself only in the last range ($4). Holders in a NIR
 * change (the people and rows in $5, see GROUPS_SQL) are left to GROUPS_SQL; unknown holders to UNKNOWN_SQL.
 *
 * One pass in holder order: an index-only scan of card_usable_by_holder (holder, organisme, id of every usable card)
 * merge-joined to an index-only scan of affiliation_by_holder (each holder's affiliations by organisme, with their
 * period), both bounded by the range, grouped by holder: each holder's count of usable cards and the ids of those
 * not under a current affiliation of their organisme. Only the holders with several cards or such a card, and the
 * range's deceased holders (the partial index of the deceased), are looked at closer: their cards read by holder
 * (a few percent of the base), ranked and written. Answers the usable cards of the range's holders.
 */
const RANGE_SQL = `
WITH pass AS MATERIALIZED (
  SELECT sum(g.n)::float8 AS total,
         array_agg(ROW(g.b, g.n, g.left_ids)) FILTER (WHERE g.n > 1 OR g.left_ids IS NOT NULL) AS holders
    FROM (
      SELECT c.beneficiary_id AS b, count(*) AS n, array_agg(c.id) FILTER (WHERE af.beneficiary_id IS NULL) AS left_ids
        FROM card c
        -- At most one current affiliation per person and organisme (affiliation_no_overlap): no card is repeated.
        -- The range is repeated on the affiliations so their scan starts at the range, not at the first holder.
        LEFT JOIN affiliation af ON af.beneficiary_id = c.beneficiary_id AND af.organisme_code = c.organisme_code
                                AND af.valid_from <= (SELECT paris_today())
                                AND (af.valid_to IS NULL OR af.valid_to > (SELECT paris_today()))
                                AND af.beneficiary_id >= $2 AND af.beneficiary_id <= $3
       WHERE c.${USABLE} AND c.beneficiary_id >= $2 AND c.beneficiary_id <= $3 AND ($4 OR c.beneficiary_id < $3)
       GROUP BY c.beneficiary_id
    ) g
), holders AS MATERIALIZED (
  SELECT COALESCE(u.b, d.id) AS person, d.id IS NOT NULL AS deceased, COALESCE(u.n, 0) AS n, u.left_ids
    FROM (SELECT u.* FROM pass CROSS JOIN unnest(pass.holders) AS u(b uuid, n bigint, left_ids uuid[])) u
    FULL JOIN (SELECT id FROM beneficiary
                WHERE died_on IS NOT NULL AND id >= $2 AND id <= $3 AND ($4 OR id < $3)) d ON d.id = u.b
   WHERE COALESCE(u.b, d.id) <> ALL ($5::uuid[])
), flagged AS MATERIALIZED (
  -- Cards read by holder through the index (OFFSET 0: never a hash join over the whole card table).
  SELECT c.id, c.serial, c.organisme_code, c.generation, c.origin, c.awaiting_reconciliation, c.created_at, h.person,
         h.deceased, h.n > 1 AS several, COALESCE(c.id = ANY (h.left_ids), false) AS left_org
    FROM holders h
    CROSS JOIN LATERAL (SELECT * FROM card c WHERE c.beneficiary_id = h.person AND c.${USABLE} OFFSET 0) c
   WHERE h.deceased OR h.n > 1 OR c.id = ANY (h.left_ids)
), ${RANK_AND_WRITE}
SELECT COALESCE((SELECT total FROM pass), 0) AS classified`;

/**
 * The holders in a NIR change: a person ($3) and the rows the register still holds under a NIR it was known by before
 * ($2, the same index: beneficiary_nir_history); their cards are one person's, counted, checked (the person's
 * affiliations) and ranked together. Their cards are read by holder (card_usable_by_holder, then the row); each
 * card's affiliation is looked up by index ("= ANY (ARRAY[...])": a condition the b-tree takes and the GiST of
 * affiliation_no_overlap does not; the planner otherwise picks that GiST, about 100 buffers a lookup instead of 3).
 */
const GROUPS_SQL = `
WITH looked AS MATERIALIZED (
  SELECT c.*, COALESCE(a.person, c.beneficiary_id) AS person
    -- In holder order: the look-ups walk the index forward instead of jumping about it.
    FROM (SELECT DISTINCT id FROM unnest($2::uuid[] || $3::uuid[]) g(id) ORDER BY id) g
    CROSS JOIN LATERAL (SELECT c.id, c.serial, c.organisme_code, c.generation, c.origin, c.awaiting_reconciliation,
                               c.created_at, c.beneficiary_id
                          FROM card c WHERE c.beneficiary_id = g.id AND c.${USABLE} OFFSET 0) c
    LEFT JOIN unnest($2::uuid[], $3::uuid[]) a(alias, person) ON a.alias = c.beneficiary_id
), flagged AS MATERIALIZED (
  SELECT * FROM (
    SELECT l.id, l.serial, l.organisme_code, l.generation, l.origin, l.awaiting_reconciliation, l.created_at, l.person,
           EXISTS (SELECT 1 FROM beneficiary d WHERE d.id = l.person AND d.died_on IS NOT NULL) AS deceased,
           count(*) OVER (PARTITION BY l.person) > 1 AS several,
           (SELECT true FROM affiliation af
             WHERE af.beneficiary_id = ANY (ARRAY[l.person]) AND af.organisme_code = l.organisme_code
               AND af.valid_from <= paris_today() AND (af.valid_to IS NULL OR af.valid_to > paris_today())
             LIMIT 1) IS NULL AS left_org
      FROM looked l
  ) k
  WHERE k.deceased OR k.several OR k.left_org
), ${RANK_AND_WRITE}
SELECT 0 AS classified`;

/** Cards of holders unknown to the register: one class, written straight from `card`. Answers how many. */
const UNKNOWN_SQL = `
WITH written AS (
  INSERT INTO reconciliation_finding (run_id, card_id, class, serial, kept_serial, organisme_code, fund_code, regime_code, generation, origin)
  SELECT $1, c.id, 'holder_unknown', c.serial, NULL, c.organisme_code, o.fund_code, o.regime_code, c.generation, c.origin
    FROM card c JOIN organisme o ON o.code = c.organisme_code
   WHERE c.${USABLE} AND c.beneficiary_id IS NULL
   ORDER BY c.serial
  RETURNING 1
)
SELECT count(*)::float8 AS classified FROM written`;

/**
 * The rows in a NIR change, read once per run: each row the register holds under a NIR another beneficiary was
 * known by before (alias) with that beneficiary (person).
 */
const ALIASES_SQL = `
SELECT COALESCE(array_agg(b.id), '{}')::text[] AS aliases, COALESCE(array_agg(h.beneficiary_id), '{}')::text[] AS persons
  FROM beneficiary_nir_history h
  CROSS JOIN LATERAL (SELECT b.id FROM beneficiary b WHERE b.nir = h.nir AND b.id <> h.beneficiary_id OFFSET 0) b`;

const MIN_UUID = '00000000-0000-0000-0000-000000000000';
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';
/** Register rows sampled to cut the holder ranges (quantiles of beneficiary ids). */
const RANGE_SAMPLE_ROWS = 20_000;

/**
 * Planner settings for the classification's transactions (SET LOCAL):
 * - enable_material off: the merge join of the pass otherwise copies the affiliations' index-only scan into a
 *   Materialize node to rescan a holder's affiliations for each of his cards, when the scan itself marks and restores
 *   its position (a holder has one or two cards; under EXPLAIN ANALYZE the copy was about 160 ms of a million).
 * - work_mem 64MB: the flagged cards (a tenth of a taken-over base at most) are sorted and hashed in memory instead
 *   of in temporary files at the default 4MB; one run at a time (reconciliation_run), a few connections each.
 * - lock_timeout 30s: the tasks write disjoint findings and wait on no one; were two ever to write the same finding,
 *   the second would wait for the first's transaction, which commits only once every task is done: the run fails
 *   instead of waiting for ever.
 */
const CLASSIFY_SETTINGS = `SELECT set_config('enable_material', 'off', true), set_config('work_mem', '64MB', true),
  set_config('lock_timeout', '30s', true)`;

type ClassifyTask = { sql: string; params: unknown[] };

/**
 * The (alias, person) pairs cut into about `parts` parts for GROUPS_SQL, each chain of NIR changes whole in one part
 * (a row can be one person's former row and another's person: its cards must be looked at once).
 */
function splitByPerson(
  aliases: string[],
  persons: string[],
  parts: number,
): { aliases: string[]; persons: string[] }[] {
  const parent = new Map<string, string>();
  const root = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  aliases.forEach((a, i) => {
    const [ra, rp] = [root(a), root(persons[i])];
    if (ra !== rp) parent.set(ra, rp);
  });
  const chains = new Map<string, number[]>();
  aliases.forEach((a, i) => {
    const r = root(a);
    const members = chains.get(r);
    if (members) members.push(i);
    else chains.set(r, [i]);
  });
  const size = Math.max(1, Math.ceil(aliases.length / parts));
  const out: { aliases: string[]; persons: string[] }[] = [{ aliases: [], persons: [] }];
  for (const members of chains.values()) {
    if (out[out.length - 1].aliases.length >= size) out.push({ aliases: [], persons: [] });
    for (const i of members) {
      out[out.length - 1].aliases.push(aliases[i]);
      out[out.length - 1].persons.push(persons[i]);
    }
  }
  return out;
}

/** reconciliation_run, reconciliation_finding, reconciliation_count and reconciliation_decision: the only file that writes them. */
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

  /** The run done, with its counts per regime, fund, organisme and class (reconciliation_count). */
  async finish(em: EntityManager, id: string, classified: number): Promise<void> {
    await run(
      em,
      `INSERT INTO reconciliation_count (run_id, regime_code, fund_code, organisme_code, class, cards)
       SELECT run_id, regime_code, fund_code, organisme_code, class, count(*) FROM reconciliation_finding
        WHERE run_id = $1 GROUP BY 1, 2, 3, 4, 5
       ON CONFLICT DO NOTHING`,
      [id],
    );
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

  /**
   * Classifies every usable card of the base for run $1 and writes its findings; answers the usable cards classified.
   * The work is cut into holder ranges (twice as many as `workers`, by quantiles of a sample of the register), the
   * holders in a NIR change and the unknown holders, and done by `workers` connections at once, each in one
   * REPEATABLE READ transaction on the snapshot the first one exports: every task sees the same base, as one statement
   * would. All commit only once every task is done; a failure rolls every one back. A run killed between commits is
   * started over by the job (restart deletes its findings).
   */
  async classify(runId: string, workers: number): Promise<number> {
    // No more connections than the pool gives with one left for the rest of the application: the workers hold theirs
    // until every task is done, so one waiting for a connection they hold would wait for ever.
    const poolMax = Number((this.dataSource.options as { extra?: { max?: number } }).extra?.max ?? 10);
    const connections = Math.max(1, Math.min(workers, poolMax - 1));
    const runners: QueryRunner[] = [];
    try {
      const lead = this.dataSource.createQueryRunner();
      runners.push(lead);
      await lead.connect();
      await lead.startTransaction('REPEATABLE READ');
      const snapshot = String((await lead.query(`SELECT pg_export_snapshot() AS s`))[0].s);
      await lead.query(CLASSIFY_SETTINGS);
      for (let i = 1; i < connections; i++) {
        const qr = this.dataSource.createQueryRunner();
        runners.push(qr);
        await qr.connect();
        await qr.startTransaction('REPEATABLE READ');
        await qr.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/[^0-9A-F-]/gi, '')}'`);
        await qr.query(CLASSIFY_SETTINGS);
      }
      const [{ aliases, persons }] = (await lead.query(ALIASES_SQL)) as { aliases: string[]; persons: string[] }[];
      const groups = [...new Set([...aliases, ...persons])];
      const bounds = await this.holderBounds(lead, 2 * connections);
      const tasks: ClassifyTask[] = [
        ...splitByPerson(aliases, persons, connections).map((part) => ({
          sql: GROUPS_SQL,
          params: [runId, part.aliases, part.persons],
        })),
        ...bounds.slice(0, -1).map((lo, i) => ({
          sql: RANGE_SQL,
          params: [runId, lo, bounds[i + 1], i === bounds.length - 2, groups],
        })),
        { sql: UNKNOWN_SQL, params: [runId] },
      ];
      let next = 0;
      let classified = 0;
      let failed = false;
      const done = await Promise.allSettled(
        runners.map(async (qr) => {
          while (!failed && next < tasks.length) {
            const task = tasks[next++];
            try {
              const rows = (await qr.query(task.sql, task.params)) as { classified: number | null }[];
              classified += Number(rows[0]?.classified ?? 0);
            } catch (e) {
              failed = true; // the other connections take no further task
              throw e;
            }
          }
        }),
      );
      const failure = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
      if (failure) throw failure.reason;
      for (const qr of runners) await qr.commitTransaction();
      return classified;
    } finally {
      for (const qr of runners) {
        if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
        await qr.release();
      }
    }
  }

  /**
   * `ranges + 1` bounds cutting the holders into about equal ranges: the first is the smallest uuid, the last the
   * largest, between them quantiles of the ids of a sample of the register (about RANGE_SAMPLE_ROWS rows, whatever
   * its size); fewer when the register is small.
   */
  private async holderBounds(qr: QueryRunner, ranges: number): Promise<string[]> {
    const [{ rows }] = (await qr.query(
      `SELECT reltuples::float8 AS rows FROM pg_class WHERE oid = 'beneficiary'::regclass`,
    )) as { rows: number }[];
    const percent = rows > RANGE_SAMPLE_ROWS ? Math.max(0.001, (100 * RANGE_SAMPLE_ROWS) / rows) : 100;
    const fractions = Array.from({ length: ranges - 1 }, (_, i) => (i + 1) / ranges);
    const [{ q }] = (await qr.query(
      `SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY id)::text[] AS q
         FROM beneficiary TABLESAMPLE SYSTEM ($2) REPEATABLE (1)`,
      [fractions, percent],
    )) as { q: (string | null)[] | null }[];
    const inner = [...new Set((q ?? []).filter((b): b is string => b !== null && b > MIN_UUID && b < MAX_UUID))].sort();
    return [MIN_UUID, ...inner, MAX_UUID];
  }

  /** Counts per regime, fund, organisme and class of a finished run; a fund's scope (its organisme) is applied in SQL. */
  async counts(runId: string, scopeOrganismeCode: string | null): Promise<FindingCount[]> {
    const { rows } = await run<FindingCount>(
      this.dataSource.manager,
      `SELECT regime_code AS "regimeCode", fund_code AS "fundCode", organisme_code AS "organismeCode", class, cards
         FROM reconciliation_count WHERE run_id = $1 AND ($2::char(9) IS NULL OR organisme_code = $2)
        ORDER BY 1, 2, 3, 4`,
      [runId, scopeOrganismeCode],
    );
    return rows;
  }

  /**
   * One page of the run's findings along their key (serial, then class in its declared order), after a cursor; a
   * fund's scope applied in SQL. Without a cursor the page starts before the first serial (-1).
   */
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
          AND (serial, class) > (COALESCE($3::bigint, -1), COALESCE($4::text, 'surplus')::reconciliation_class)
        ORDER BY serial, class LIMIT $5`,
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
          AND NOT EXISTS (SELECT 1 FROM reconciliation_finding f WHERE f.run_id = $1 AND f.serial = c.serial
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
