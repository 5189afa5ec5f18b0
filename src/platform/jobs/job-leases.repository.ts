import type pg from 'pg';

/** Anything that runs a statement: a pool, a pooled client, or the lease's own connection. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * First key of every instance lock (`pg_advisory_lock(LEASE_LOCK_CLASS, instance id)`). Two-key advisory locks never
 * conflict with the one-key (bigint) locks used elsewhere (migrations, list production, seed).
 */
export const LEASE_LOCK_CLASS = 0x4a4f4253; // 'JOBS'

export interface RequeuedJob {
  id: string;
  name: string;
  /** `retry` (runs again at once) or `failed` (its retries were used up: a job that kills its instance stops). */
  state: 'retry' | 'failed';
}

/**
 * The job leases (job_instance, job_claim) and the re-queueing of jobs whose instance died. pg-boss 10 has no notion
 * of who runs a job, so the claim table says it; rows of pgboss.job are only touched where a claim proves the job
 * was this system's and is no longer run by anyone.
 */
export class JobLeasesRepository {
  /**
   * A new instance: its row and its session lock in one transaction, so no one ever sees the row without the lock
   * held (and judges the instance dead).
   */
  async register(conn: Queryable, host: string, pid: number): Promise<number> {
    await conn.query('BEGIN');
    try {
      const { rows } = await conn.query<{ id: number }>(
        `INSERT INTO job_instance (host, pid, server_started_at) VALUES ($1, $2, pg_postmaster_start_time()) RETURNING id`,
        [host, pid],
      );
      await conn.query('SELECT pg_advisory_lock($1, $2)', [LEASE_LOCK_CLASS, rows[0].id]);
      await conn.query('COMMIT');
      return rows[0].id;
    } catch (e) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  /**
   * After a lost connection: takes the instance's lock again. 'busy' while another instance is judging it; 'evicted'
   * when it was judged dead meanwhile (its claims are gone, its jobs re-queued).
   */
  async reacquire(conn: Queryable, id: number): Promise<'held' | 'busy' | 'evicted'> {
    const { rows } = await conn.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
      LEASE_LOCK_CLASS,
      id,
    ]);
    if (!rows[0].locked) return 'busy';
    const kept = await conn.query(
      `UPDATE job_instance SET server_started_at = pg_postmaster_start_time() WHERE id = $1`,
      [id],
    );
    if (kept.rowCount === 1) return 'held';
    await conn.query('SELECT pg_advisory_unlock($1, $2)', [LEASE_LOCK_CLASS, id]);
    return 'evicted';
  }

  /** A clean stop with nothing running: the instance leaves (its lock goes with its connection). */
  async forget(conn: Queryable, id: number): Promise<void> {
    await conn.query('DELETE FROM job_claim WHERE instance_id = $1', [id]);
    await conn.query('DELETE FROM job_instance WHERE id = $1', [id]);
  }

  /** Whether a job of this queue waits to run: one cheap statement, so an idle poll costs no transaction. */
  async hasDueJob(conn: Queryable, name: string): Promise<boolean> {
    const { rows } = await conn.query<{ due: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pgboss.job WHERE name = $1 AND state < 'active' AND start_after < now()) AS due`,
      [name],
    );
    return rows[0].due;
  }

  /**
   * Inside the fetch's transaction: the fetched jobs are this instance's run `token`. A stale claim (the job expired
   * in pg-boss and was fetched again) is taken over.
   */
  async claim(conn: Queryable, instanceId: number, token: string, jobIds: string[]): Promise<void> {
    await conn.query(
      `INSERT INTO job_claim (job_id, instance_id, token) SELECT unnest($1::uuid[]), $2, $3
       ON CONFLICT (job_id) DO UPDATE SET instance_id = EXCLUDED.instance_id, token = EXCLUDED.token, claimed_at = now()`,
      [jobIds, instanceId, token],
    );
  }

  /**
   * Ends the run `token` of these jobs and returns those that were still this run's: only they may be completed or
   * failed (a job re-queued meanwhile may be running elsewhere). Locks the claims until the caller's transaction ends.
   */
  async release(conn: Queryable, token: string, jobIds: string[]): Promise<string[]> {
    const { rows } = await conn.query<{ job_id: string }>(
      `DELETE FROM job_claim WHERE token = $1 AND job_id = ANY($2::uuid[]) RETURNING job_id::text`,
      [token, jobIds],
    );
    return rows.map((r) => r.job_id);
  }

  /**
   * This instance's claims for jobs it does not run (their outcome could not be written, the database being away):
   * dropped, inside the caller's transaction, which then re-queues them with `requeue`.
   */
  async dropOwnClaimsExcept(conn: Queryable, instanceId: number, runningJobIds: string[]): Promise<string[]> {
    const { rows } = await conn.query<{ job_id: string }>(
      `DELETE FROM job_claim WHERE instance_id = $1 AND NOT (job_id = ANY($2::uuid[])) RETURNING job_id::text`,
      [instanceId, runningJobIds],
    );
    return rows.map((r) => r.job_id);
  }

  /** Puts these jobs, if still active, back in their queue (see REQUEUE). */
  async requeue(conn: Queryable, jobIds: string[]): Promise<RequeuedJob[]> {
    if (jobIds.length === 0) return [];
    const { rows } = await conn.query<RequeuedJob>(
      `${REQUEUE} WHERE j.id = ANY($1::uuid[]) AND j.state = 'active' RETURNING j.id::text, j.name, j.state::text`,
      [jobIds],
    );
    return rows;
  }

  /**
   * Instances other than `selfId` that may be judged now. One registered before the database server last started
   * is given `graceSeconds` after that start to take its lock again (a database restart drops every instance's
   * connection at once; live ones reconnect).
   */
  async judgeableInstances(conn: Queryable, selfId: number | null, graceSeconds: number): Promise<number[]> {
    const { rows } = await conn.query<{ id: number }>(
      `SELECT id FROM job_instance
        WHERE id <> COALESCE($1, -1)
          AND (server_started_at >= pg_postmaster_start_time() OR pg_postmaster_start_time() < now() - make_interval(secs => $2))
        ORDER BY id`,
      [selfId, graceSeconds],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Inside the caller's transaction: if the instance's lock is free (so it is dead), takes the lock until the
   * transaction ends (the instance cannot come back half-way through), re-queues its claimed jobs and forgets it.
   * Null when the instance is alive.
   */
  async requeueIfDead(conn: Queryable, id: number): Promise<RequeuedJob[] | null> {
    const { rows } = await conn.query<{ free: boolean }>('SELECT pg_try_advisory_xact_lock($1, $2) AS free', [
      LEASE_LOCK_CLASS,
      id,
    ]);
    if (!rows[0].free) return null;
    const jobs = await conn.query<RequeuedJob>(
      `WITH gone AS (DELETE FROM job_claim WHERE instance_id = $1 RETURNING job_id)
       ${REQUEUE} FROM gone WHERE j.id = gone.job_id AND j.state = 'active' RETURNING j.id::text, j.name, j.state::text`,
      [id],
    );
    await conn.query('DELETE FROM job_instance WHERE id = $1', [id]);
    return jobs.rows;
  }
}

/**
 * Back to the queue at once (no back-off: the run did not fail, its instance went away), counted as an attempt
 * like pg-boss's own expiry: once the retries are used up the job is failed, so a job that crashes its instance
 * every time cannot crash instances for ever.
 */
const REQUEUE = `
  UPDATE pgboss.job j SET
    state = CASE WHEN j.retry_count < j.retry_limit THEN 'retry'::pgboss.job_state ELSE 'failed'::pgboss.job_state END,
    start_after = CASE WHEN j.retry_count < j.retry_limit THEN now() ELSE j.start_after END,
    completed_on = CASE WHEN j.retry_count < j.retry_limit THEN NULL ELSE now() END,
    output = '{"message":"the instance running this job stopped before it finished"}'::jsonb`;
