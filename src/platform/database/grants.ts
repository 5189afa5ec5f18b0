/**
 * What the application's role may do, in one place: applied by the owner after every migration run (so new tables
 * are covered) and printed for administrators by `npm run cli -- db:grants`.
 *
 * The owner role runs the migrations and owns every table, sequence, function and trigger. The application role
 * owns nothing: it reads and writes rows, and that is all. Owning a table is what allows ALTER/DROP/TRUNCATE and
 * disabling its triggers, so the app's credentials (or an injected statement) cannot lift the audit trail's rule.
 */

/** The schemas the application uses: its tables, and pg-boss's job queues (which pg-boss keeps in its own schema). */
export const APP_SCHEMAS = ['public', 'pgboss'] as const;

/**
 * Tables the application may only read and append to. The audit trail is append-only: without UPDATE, DELETE and
 * TRUNCATE the app's role is refused before its trigger even runs; the trigger still stops the owner by mistake.
 */
export const APPEND_ONLY_TABLES = ['audit_entry'] as const;

/** Written by migrations only; the application reads it to know whether any are pending. */
export const READ_ONLY_TABLES = ['schema_migration'] as const;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The statements the owner runs, in one transaction, after each migration run. Everything is revoked first, then
 * granted again, so a right given by hand earlier (TRUNCATE, TRIGGER, REFERENCES, CREATE) does not survive.
 */
export function appGrantStatements(appRole: string): string[] {
  const app = quoteIdent(appRole);
  const schemas = APP_SCHEMAS.map(quoteIdent).join(', ');
  return [
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${schemas} FROM ${app}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schemas} FROM ${app}`,
    `REVOKE ALL ON SCHEMA ${schemas} FROM ${app}`,
    `GRANT USAGE ON SCHEMA ${schemas} TO ${app}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schemas} TO ${app}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schemas} TO ${app}`,
    ...APPEND_ONLY_TABLES.map((t) => `REVOKE UPDATE, DELETE ON ${quoteIdent(t)} FROM ${app}`),
    ...READ_ONLY_TABLES.map((t) => `REVOKE INSERT, UPDATE, DELETE ON ${quoteIdent(t)} FROM ${app}`),
  ];
}

export interface SetupNames {
  ownerRole: string;
  appRole: string;
  database: string;
}

/**
 * The one-time set-up an administrator runs for an external PostgreSQL, as a psql script (`\connect` between the
 * server part and the database part). Passwords are not in it: the administrator sets them with `\password`.
 */
export function setupScript({ ownerRole, appRole, database }: SetupNames): string {
  const owner = quoteIdent(ownerRole);
  const app = quoteIdent(appRole);
  const db = quoteIdent(database);
  const grants = appGrantStatements(appRole).map((s) => `--   ${s};`);
  return [
    `-- Carte Vitale back-office: database set-up for an external PostgreSQL (13 or later).`,
    `-- Run as a superuser (or a role with CREATEROLE and CREATEDB), e.g.: npm run cli -- db:grants | psql -v ON_ERROR_STOP=1 -d postgres`,
    `-- ${ownerRole} owns the schema and runs the migrations; ${appRole} is the application's role and owns nothing.`,
    ``,
    `CREATE ROLE ${owner} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;`,
    `CREATE ROLE ${app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;`,
    `CREATE DATABASE ${db} OWNER ${owner} ENCODING 'UTF8';`,
    `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${app};  -- TEMPORARY: bulk imports stage their rows in a temporary table`,
    ``,
    `\\connect ${db}`,
    ``,
    `-- Before PostgreSQL 15 every role may create objects in the public schema; nobody but the owner may here.`,
    `ALTER SCHEMA public OWNER TO ${owner};`,
    `REVOKE ALL ON SCHEMA public FROM PUBLIC;`,
    `GRANT USAGE ON SCHEMA public TO ${app};`,
    `-- pg-boss keeps its job queues in this schema; the owner creates them (and each queue's table) at migration time.`,
    `CREATE SCHEMA IF NOT EXISTS pgboss AUTHORIZATION ${owner};`,
    `GRANT USAGE ON SCHEMA pgboss TO ${app};`,
    ``,
    `-- Then set both passwords (psql: \\password ${ownerRole} and \\password ${appRole}) and start the application with`,
    `--   DATABASE_URL=postgresql://${appRole}:<password>@<host>:5432/${database}`,
    `--   DATABASE_OWNER_URL=postgresql://${ownerRole}:<password>@<host>:5432/${database}`,
    `-- At each start (and with npm run cli -- migrate) it migrates as the owner, creates the job queues, then gives`,
    `-- ${appRole} exactly these rights again (new tables included; nothing to run by hand):`,
    ...grants,
    ``,
  ].join('\n');
}
