import PgBoss from 'pg-boss';
import { DataSource, type QueryRunner } from 'typeorm';
import { JOB_NAMES, JOB_SPECS } from '../jobs/job-catalogue.js';
import { dataSourceOptions } from './data-source-options.js';
import { appGrantStatements } from './grants.js';
import type { DatabaseUrls } from './resolve-database.js';
import { StartupError } from './startup-error.js';

const MIGRATION_LOCK = 7_384_001;

const notOwner = (what: string) =>
  new StartupError(
    `${what}, and the role of DATABASE_URL may not change the schema (it should not: it owns nothing). ` +
      'Run them as the owner: set DATABASE_OWNER_URL, or run `DATABASE_OWNER_URL=… npm run cli -- migrate` once (README, Configuration).',
  );

/**
 * Brings the schema up to date as its owner, under an advisory lock (instances starting together migrate once):
 * the migrations, pg-boss's schema and one queue per catalogue job (pg-boss creates a table per queue, which only
 * the owner of its job table may do), then the application role's rights (grants.ts), re-applied every time so new
 * tables are covered. Given one URL, that role does everything (tests, benchmarks, a single-role DATABASE_URL);
 * when it does not own the schema, nothing may be pending and nothing is changed.
 */
export async function migrate(target: string | DatabaseUrls): Promise<string[]> {
  const urls: DatabaseUrls = typeof target === 'string' ? { url: target, ownerUrl: target, appRole: null } : target;
  // The owner creates the extensions the entities need (pgcrypto); the app's connections never try to.
  const ds = new DataSource({ ...dataSourceOptions(urls.ownerUrl, 2), installExtensions: true });
  await ds.initialize();
  const qr = ds.createQueryRunner();
  try {
    await qr.connect();
    await qr.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    if (!(await ownsSchema(qr))) {
      if (urls.appRole)
        throw new StartupError(
          'The role of DATABASE_OWNER_URL does not own the schema (its tables were created by another role): give it their ownership, or name their owner.',
        );
      if (await ds.showMigrations()) throw notOwner('Migrations are pending');
      await installJobQueues(urls.ownerUrl, false);
      return [];
    }
    const done = await ds.runMigrations({ transaction: 'each' });
    await installJobQueues(urls.ownerUrl, true);
    if (urls.appRole) await grantApplicationRole(qr, urls.appRole);
    return done.map((m) => m.name);
  } finally {
    await qr.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await qr.release();
    await ds.destroy();
  }
}

/** A superuser, the owner of the migrations table (or a member of its role), or a database without it yet. */
async function ownsSchema(qr: QueryRunner): Promise<boolean> {
  const [row] = await qr.query(
    `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            OR coalesce((SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class WHERE oid = to_regclass('schema_migration')), true) AS owns`,
  );
  return row.owns === true;
}

/** pg-boss's schema (installed or upgraded) and the catalogue's queues; with `change` false, only checks they exist. */
async function installJobQueues(url: string, change: boolean): Promise<void> {
  const boss = new PgBoss({
    connectionString: url,
    max: 1,
    application_name: 'vitale-migrate',
    schedule: false,
    supervise: false,
    migrate: change,
  });
  let failure: Error | undefined;
  boss.on('error', (e) => (failure ??= e));
  try {
    try {
      await boss.start();
    } catch (e) {
      if (!change) throw notOwner(`The job queue schema is missing or out of date (${(e as Error).message})`);
      throw e;
    }
    if (change) {
      for (const name of JOB_NAMES) {
        const spec = JOB_SPECS[name];
        await boss.createQueue(name, {
          name,
          policy: 'standard',
          retryLimit: spec.retryLimit,
          retryBackoff: spec.retryBackoff,
          ...(spec.retryDelay === undefined ? {} : { retryDelay: spec.retryDelay }),
          expireInSeconds: spec.expireInSeconds,
        });
      }
    } else {
      const present = new Set((await boss.getQueues()).map((q) => q.name));
      const missing = JOB_NAMES.filter((n) => !present.has(n));
      if (missing.length) throw notOwner(`Job queues are missing (${missing.join(', ')})`);
    }
    if (failure) throw failure;
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => {});
  }
}

/**
 * Gives the application role its rights, in one transaction. Refuses a role that would hold more than that anyway:
 * a superuser, or a member of the owner's role (it would act as the owner).
 */
async function grantApplicationRole(qr: QueryRunner, appRole: string): Promise<void> {
  const [role] = await qr.query(
    `SELECT r.rolsuper AS super, pg_has_role(r.oid, current_user, 'MEMBER') AS member FROM pg_roles r WHERE r.rolname = $1`,
    [appRole],
  );
  if (!role)
    throw new StartupError(
      `The application role "${appRole}" (DATABASE_URL) does not exist: create it (npm run cli -- db:grants prints the SQL).`,
    );
  if (role.super || role.member) {
    throw new StartupError(
      `The application role "${appRole}" (DATABASE_URL) is a superuser or a member of the owner's role: it would own what it must not. Give the application a role of its own (npm run cli -- db:grants).`,
    );
  }
  await qr.startTransaction();
  try {
    for (const statement of appGrantStatements(appRole)) await qr.query(statement);
    await qr.commitTransaction();
  } catch (e) {
    await qr.rollbackTransaction();
    throw e;
  }
}
