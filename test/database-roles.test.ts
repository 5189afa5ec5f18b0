import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { scramVerifier } from '../src/platform/database/database-credentials.js';
import { freePort } from '../src/platform/database/embedded-postgres.js';
import { migrate } from '../src/platform/database/migrate.js';

const MAIN = path.resolve('dist/src/main.js');
const CLI = path.resolve('dist/src/cli/main.js');

interface Running {
  child: ChildProcess;
  output: () => string;
}

/** Programs started by this file: stopped even when a test fails halfway (they run a database), before their folders go. */
const started: ChildProcess[] = [];
async function stopAll(): Promise<void> {
  for (const child of started.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = stopProgram(child);
    const late = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(late);
  }
}

/** The built program, as `npm start` runs it; resolves on the banner, rejects with its output if it exits first. */
async function startProgram(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 90_000;
  while (!out.includes('is running')) {
    if (child.exitCode !== null)
      throw Object.assign(new Error(`exited ${child.exitCode}: ${out}`), { exitCode: child.exitCode, output: out });
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`no banner: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, output: () => out };
}

function stopProgram(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

/** Runs each statement on its own and returns PostgreSQL's refusal (or null when it was accepted). */
async function refusals(client: pg.Client, statements: string[]): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const s of statements)
    out[s] = await client.query(s).then(
      () => null,
      (e: Error) => e.message,
    );
  return out;
}

/** What an injected statement or stolen app credentials would try against the audit trail. */
const AUDIT_ATTACKS = [
  'ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update',
  'ALTER TABLE audit_entry DISABLE TRIGGER ALL',
  'DROP TRIGGER audit_entry_no_truncate ON audit_entry',
  "UPDATE audit_entry SET action = 'forged'",
  'DELETE FROM audit_entry',
  'TRUNCATE audit_entry',
];

/** The app's role may read and append; everything else is refused, before the trigger even runs. */
async function expectAuditProtected(appUrl: string): Promise<void> {
  const app = new pg.Client(appUrl);
  await app.connect();
  try {
    const [{ n: before }] = (await app.query('SELECT count(*)::int AS n FROM audit_entry')).rows;
    expect(before).toBeGreaterThan(0);
    const refused = await refusals(app, AUDIT_ATTACKS);
    for (const s of AUDIT_ATTACKS)
      expect(refused[s], s).toMatch(
        /must be owner of (table|relation) audit_entry|permission denied for table audit_entry/,
      );
    expect((await app.query('SELECT count(*)::int AS n FROM audit_entry')).rows[0].n).toBe(before);
    // It owns nothing at all (tables, sequences, functions, types, schemas), and holds no special attribute.
    const [owned] = (
      await app.query(`
      SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid AND relpersistence <> 't')
           + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid) + (SELECT count(*) FROM pg_type WHERE typowner = r.oid)
           + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%') AS n,
             r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls AS special
        FROM pg_roles r WHERE r.rolname = current_user`)
    ).rows;
    expect(owned).toEqual({ n: '0', special: false });
  } finally {
    await app.end();
  }
}

const isRoot = process.getuid?.() === 0;

describe('the embedded PostgreSQL: generated passwords, a restricted application role', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await stopAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.skipIf(!isRoot)(
    'started as root on a `mktemp -d` DATA_DIR: says what to do; done, it starts, its password file is 0600 and the app role cannot touch the audit trail',
    async () => {
      const dataDir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
      dirs.push(dataDir);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const env = {
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        EMBEDDED_PG_PORT: String(await freePort()),
        SFTP_PORT: '0',
        LOG_LEVEL: 'info',
      };

      // 1. The folder the postgres OS user cannot enter: a clear message naming it and what to do, exit 1, no stack.
      const refused = await startProgram(env).then(
        async (r) => {
          await stopProgram(r.child);
          throw new Error('started on a folder the postgres user cannot enter');
        },
        (e: Error & { exitCode?: number; output?: string }) => e,
      );
      expect(refused.exitCode).toBe(1);
      expect(refused.output).toContain(`cannot enter ${dataDir} (mode 0700`);
      expect(refused.output).toContain(`chgrp postgres ${dataDir} && chmod g+x ${dataDir}`);
      expect(refused.output).not.toMatch(/Permission denied|initdb|\n\s+at /);

      // 2. Done as it says: the program starts, and the postgres user may pass through the folder but not list it.
      execFileSync('chgrp', ['postgres', dataDir]);
      execFileSync('chmod', ['g+x', dataDir]);
      const first = await startProgram(env);
      const health = await fetch(`http://127.0.0.1:${env.PORT}/health`);
      expect(health.status).toBe(200);

      // 3. The passwords were generated into DATA_DIR, readable by the owner only, and never printed or logged.
      const file = path.join(dataDir, 'pg-credentials.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const credentials = JSON.parse(readFileSync(file, 'utf8')) as { owner: string; app: string };
      expect(credentials.owner).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(credentials.app).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(credentials.app).not.toBe(credentials.owner);
      for (const p of [credentials.owner, credentials.app]) expect(first.output()).not.toContain(p);
      const url = (user: string, password: string) =>
        `postgresql://${user}:${password}@127.0.0.1:${env.EMBEDDED_PG_PORT}/vitale`;

      // 4. As the application's role on the real database: the audit trail cannot be altered nor its trigger lifted.
      await expectAuditProtected(url('vitale_app', credentials.app));
      expect(await stopProgram(first.child)).toBe(0);

      // 5. The password file lost (or a cluster from before it existed): new passwords are set at the next start.
      rmSync(file);
      const second = await startProgram(env);
      const renewed = JSON.parse(readFileSync(file, 'utf8')) as { owner: string; app: string };
      expect(renewed.owner).not.toBe(credentials.owner);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const stale = new pg.Client(url('vitale', credentials.owner));
      await expect(stale.connect()).rejects.toThrow(/password authentication failed/);
      await expectAuditProtected(url('vitale_app', renewed.app));
      for (const p of [renewed.owner, renewed.app]) expect(second.output()).not.toContain(p);
      expect(await stopProgram(second.child)).toBe(0);
    },
    240_000,
  );

  it('the source holds no database password', () => {
    // What documentation and messages show instead of a password: `${…}`, <password>, ***, the word itself.
    const PLACEHOLDER = /^(\$\{.*\}|<[a-z ]+>|\*\*\*|password|…)$/;
    const files: string[] = ['ormconfig.ts'];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|js|json|md)$/.test(e.name)) files.push(p);
      }
    };
    walk('src');
    walk('bench');
    const offences: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // A connection URL with a literal password (a `${…}` placeholder is not one), or a literal password option.
      for (const m of text.matchAll(/postgres(?:ql)?:\/\/[^:/@\s'"`]+:([^@\s'"`]+)@/g))
        if (!PLACEHOLDER.test(m[1])) offences.push(`${f}: ${m[0]}`);
      for (const m of text.matchAll(/password:\s*['"`][^'"`]+['"`]/gi)) offences.push(`${f}: ${m[0]}`);
      for (const m of text.matchAll(/(?:PASSWORD|PGPASSWORD)\s*=\s*['"`][^'"`]+['"`]/g)) offences.push(`${f}: ${m[0]}`);
    }
    expect(offences).toEqual([]);
  });
});

describe('an external PostgreSQL: `npm run cli -- db:grants`, DATABASE_OWNER_URL', () => {
  const suffix = randomBytes(4).toString('hex');
  const names = { owner: `vo_${suffix}`, app: `va_${suffix}`, database: `vdb_${suffix}` };
  const adminUrl = inject('pgAdminUrl');
  const at = (user: string, password: string, db = names.database) => {
    const u = new URL(adminUrl);
    return `postgresql://${user}:${password}@${u.host}/${db}`;
  };
  afterAll(async () => {
    await stopAll();
    const admin = new pg.Client(adminUrl);
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${names.app}`);
    await admin.query(`DROP ROLE IF EXISTS ${names.owner}`);
    await admin.end();
  });

  it('prints the set-up an administrator runs; with it, the program migrates as the owner and runs as a role that cannot touch the audit trail', async () => {
    // 1. The administrator's script, printed without any database, run as it would be by psql (\connect between parts).
    const printed = spawnSync(
      process.execPath,
      [CLI, 'db:grants', '--owner-role', names.owner, '--app-role', names.app, '--database', names.database],
      {
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: '', DATABASE_OWNER_URL: '' },
      },
    );
    expect(printed.status, printed.stderr).toBe(0);
    const script = printed.stdout;
    expect(script).toContain(`CREATE ROLE "${names.app}" LOGIN NOSUPERUSER`);
    expect(script).toContain(`REVOKE UPDATE, DELETE ON "audit_entry" FROM "${names.app}"`);
    // psql sends statement by statement (CREATE DATABASE may not run in the implicit transaction of a multi-statement query).
    const statements = (part: string) =>
      part
        .replace(/--.*$/gm, '')
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean);
    const [serverPart, databasePart] = script.split(/^\\connect .*$/m);
    const admin = new pg.Client(adminUrl);
    await admin.connect();
    for (const s of statements(serverPart)) await admin.query(s);
    const passwords = { owner: randomBytes(18).toString('base64url'), app: randomBytes(18).toString('base64url') };
    await admin.query(`ALTER ROLE ${names.owner} PASSWORD '${scramVerifier(passwords.owner)}'`);
    await admin.query(`ALTER ROLE ${names.app} PASSWORD '${scramVerifier(passwords.app)}'`);
    await admin.end();
    const inDb = new pg.Client(at(new URL(adminUrl).username, decodeURIComponent(new URL(adminUrl).password)));
    await inDb.connect();
    for (const s of statements(databasePart)) await inDb.query(s);
    await inDb.end();

    const appUrl = at(names.app, passwords.app);
    const ownerUrl = at(names.owner, passwords.owner);
    // The application's role alone cannot build the schema.
    await expect(migrate(appUrl)).rejects.toThrow(/permission denied/);

    // 2. The real program, with both URLs: migrates as the (non-superuser) owner, serves as the application's role.
    const dataDir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    try {
      const env = {
        DATABASE_URL: appUrl,
        DATABASE_OWNER_URL: ownerUrl,
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        SFTP_PORT: '0',
        LOG_LEVEL: 'warn',
        CRONS_ENABLED: 'false',
      };
      const run = await startProgram(env);
      try {
        const key = readFileSync(path.join(dataDir, 'bootstrap-operator.key'), 'utf8').trim();
        const created = await fetch(`http://127.0.0.1:${env.PORT}/v1/partners`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'kiosk', name: 'Pharmacie test' }),
        });
        expect(created.status).toBe(201);
        const audit = await fetch(`http://127.0.0.1:${env.PORT}/v1/audit`, {
          headers: { authorization: `Bearer ${key}` },
        });
        expect(audit.status).toBe(200);
        expect(((await audit.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
        expect(run.output()).not.toContain(passwords.app);
        expect(run.output()).not.toContain(passwords.owner);
      } finally {
        expect(await stopProgram(run.child)).toBe(0);
      }
      await expectAuditProtected(appUrl);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }

    // 3. With DATABASE_URL only (migrations run by the owner beforehand): nothing pending, it starts; something
    //    pending, it says who must run it instead of failing halfway.
    expect(await migrate(appUrl)).toEqual([]);
    const owner = new pg.Client(ownerUrl);
    await owner.connect();
    const [last] = (
      await owner.query('DELETE FROM schema_migration WHERE id = (SELECT max(id) FROM schema_migration) RETURNING *')
    ).rows;
    try {
      await expect(migrate(appUrl)).rejects.toThrow(/Migrations are pending.*DATABASE_OWNER_URL/s);
    } finally {
      await owner.query('INSERT INTO schema_migration (id, timestamp, name) VALUES ($1, $2, $3)', [
        last.id,
        last.timestamp,
        last.name,
      ]);
      await owner.end();
    }
  }, 180_000);
});
