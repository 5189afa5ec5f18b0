import pg from 'pg';
import type PgBoss from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { run } from './sql.js';

/**
 * The job machinery's connections, outside TypeORM's pool: pg-boss's own small pool and the lease's connection of
 * its own. Kept here so that the jobs service handles connections without issuing statements itself.
 */

/** pg-boss's pool (a few connections: fetches, completions, maintenance). */
export function jobsPool(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 4, application_name: 'vitale-jobs' });
}

/**
 * The lease's connection. Keep-alives both ways: a connection silently dropped by the network is noticed here within
 * seconds, and by the server within about 25 s (else a dead process's backend could hold its lock for the OS default
 * of 2 hours).
 */
export async function leaseConnection(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'vitale-jobs-lease',
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
  });
  client.on('error', () => undefined); // the lease watches 'end' instead
  await client.connect();
  return client;
}

/** Keeps a connection busy now and then, so an idle-connection reaper never takes it (and its locks) away unnoticed. */
export async function touch(conn: pg.ClientBase): Promise<void> {
  await conn.query('SELECT 1');
}

/** Runs `work` in one transaction on a client of `pool`. */
export async function inPoolTransaction<T>(pool: pg.Pool, work: (conn: pg.PoolClient) => Promise<T>): Promise<T> {
  const conn = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client has no error listener of the pool's: a connection dropped between two statements would
  // otherwise be an unhandled 'error' event (the process dies). The next statement fails and says it anyway.
  const dropped = (e: Error) => {
    broken = e;
  };
  conn.on('error', dropped);
  try {
    await conn.query('BEGIN');
    const out = await work(conn);
    await conn.query('COMMIT');
    return out;
  } catch (err) {
    await conn.query('ROLLBACK').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    conn.off('error', dropped);
    conn.release(broken);
  }
}

/** pg-boss's statements on a pool or a client (its own transaction when the client is in one). */
export function clientExecutor(conn: pg.Pool | pg.PoolClient): PgBoss.Db {
  return { executeSql: (text: string, values?: unknown[]) => conn.query(text, values) };
}

/** pg-boss's statements in the caller's TypeORM transaction (a job enqueued with the change that asks for it). */
export function managerExecutor(em: EntityManager): PgBoss.Db {
  return { executeSql: async (text: string, values: unknown[]) => ({ rows: (await run(em, text, values)).rows }) };
}
