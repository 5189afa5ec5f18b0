import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { newPassword, scramVerifier } from '../../src/platform/database/database-credentials.js';
import { freePort, releaseExitHooks, startScratchPostgres } from '../../src/platform/database/embedded-postgres.js';
import { migrate } from '../../src/platform/database/migrate.js';
import { createLogger } from '../../src/platform/logging/logger.js';

export const TEMPLATE_DB = 'vitale_template';
/** The application's role in the tests, as in production: owns nothing, so a missing grant fails a test. */
export const TEST_APP_ROLE = 'vitale_app';

/**
 * One throw-away PostgreSQL for the whole run. A template database is migrated and seeded once (schema,
 * reference data, pg-boss schema, the app role's grants); each test file copies it (CREATE DATABASE ... TEMPLATE),
 * so files run in parallel. The superuser migrates (the owner); the apps run as TEST_APP_ROLE.
 */
export default async function setup(project: TestProject) {
  // The run's one temporary folder: the cluster, and each test file's own TMPDIR (test/support/temp-dir-check.ts).
  const root = mkdtempSync(path.join(os.tmpdir(), 'vitale-test-run-'));
  chmodSync(root, 0o755); // initdb runs as the postgres user when we are root
  const port = await freePort();
  const server = await startScratchPostgres(path.join(root, 'pg'), port).catch((e: unknown) => {
    rmSync(root, { recursive: true, force: true });
    throw e;
  });
  const admin = new pg.Client(server.adminUrl('postgres'));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  const appPassword = newPassword();
  await admin.query(
    `CREATE ROLE ${TEST_APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '${scramVerifier(appPassword)}'`,
  );
  const appUrl = (db: string) => `postgresql://${TEST_APP_ROLE}:${appPassword}@127.0.0.1:${port}/${db}`;
  const url = appUrl(TEMPLATE_DB);
  await migrate({ url, ownerUrl: server.adminUrl(TEMPLATE_DB), appRole: TEST_APP_ROLE });
  // Its own data folder: the repository's var/ belongs to `npm start`.
  const config = Object.assign(new AppConfig(), {
    logLevel: 'silent',
    workersEnabled: false,
    cronsEnabled: false,
    sftpPort: 0,
    dataDir: path.join(root, 'template-data'),
  });
  const app = await createApp(config, url, createLogger('silent'));
  await app.init();
  await app.close();
  await admin.end();
  project.provide('pgAdminUrl', server.adminUrl('postgres'));
  project.provide('pgAppUrl', appUrl('postgres'));
  project.provide('pgPort', port);
  project.provide('testTmpRoot', root);
  return async () => {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
    // Else embedded-postgres's hook turns the run's exit code into 0 (see releaseExitHooks).
    releaseExitHooks();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The superuser (owner of every test database). */
    pgAdminUrl: string;
    /** The application's role, database `postgres` (replace it). */
    pgAppUrl: string;
    pgPort: number;
    testTmpRoot: string;
  }
}
