import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { createApp } from '../../src/app.factory.js';
import { AppConfig } from '../../src/config/app-config.js';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { PartnersService } from '../../src/partners/partners.service.js';
import { systemActor } from '../../src/platform/auth/actor.js';
import { createLogger } from '../../src/platform/logging/logger.js';
import { tempDir } from './temp-dirs.js';

export const TEMPLATE_DB = 'vitale_template';

/**
 * A fresh database copied from the migrated template; dropped by the returned function. `url` logs in as the
 * application's role (rows only, as in production); `ownerUrl` as the owner, for set-up the app may not do.
 */
export async function createTestDatabase(): Promise<{
  url: string;
  ownerUrl: string;
  name: string;
  drop: () => Promise<void>;
}> {
  const adminUrl = inject('pgAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  await admin.end();
  const inDatabase = (u: string) => u.replace(/\/postgres$/, `/${name}`);
  return {
    url: inDatabase(inject('pgAppUrl')),
    ownerUrl: inDatabase(adminUrl),
    name,
    drop: async () => {
      const c = new pg.Client(adminUrl);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestApp {
  app: NestFastifyApplication;
  /** The app's own connection (its restricted role). */
  url: string;
  /** The owner's (superuser's) connection to the same database, for set-up the app's role may not do. */
  ownerUrl: string;
  config: AppConfig;
  dataSource: DataSource;
  /** supertest against the real HTTP stack (fastify's in-process server). */
  http: () => ReturnType<typeof request>;
  operatorKey: string;
  /** Registers a partner of that kind and returns its id and a fresh API key. */
  partner: (kind: PartnerKind, organismeCode?: string) => Promise<{ id: string; key: string }>;
  /**
   * Waits until no job is queued, retrying or running (jobs scheduled for later aside): what earlier steps set
   * off has finished, so a test that compares counts before and after sees only its own changes.
   */
  jobsSettled: (timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}

export interface StartOptions {
  /** Runs after the app is built and before its routes are registered (to add fastify hooks). */
  beforeInit?: (app: NestFastifyApplication) => void;
  /** Where the app logs (JSON lines); silent by default. */
  logStream?: NodeJS.WritableStream;
}

export async function startTestApp(overrides: Partial<AppConfig> = {}, options: StartOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  // Each app its own data folder (keys, photos, SFTP folders), removed on close, unless the test chose one.
  const ownDataDir = overrides.dataDir ? null : tempDir('test-data');
  const config = Object.assign(new AppConfig(), {
    ...(ownDataDir ? { dataDir: ownDataDir } : {}),
    logLevel: 'silent',
    jobsPollSeconds: 0.5,
    seedReferenceData: false,
    cronsEnabled: false,
    apiKeyCacheSeconds: 0,
    jobRetryDelayScale: 0,
    sftpPort: 0,
    webhookAllowPrivateTargets: true,
    ...overrides,
  });
  const app = await createApp(
    config,
    db.url,
    createLogger(options.logStream ? 'info' : config.logLevel, options.logStream),
  );
  options.beforeInit?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const partners = app.get(PartnersService);
  const partner = async (kind: PartnerKind, organismeCode?: string) => {
    const p = await partners.createPartner(systemActor(), { kind, name: `${kind} test`, organismeCode });
    const k = await partners.createApiKey(systemActor(), p.id);
    return { id: p.id, key: k.key };
  };
  const operator = await partner(PartnerKind.Operator);
  const dataSource = app.get(DataSource);
  const jobsSettled = async (timeoutMs = 30_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const [{ n }] = await dataSource.query(
        `SELECT count(*)::int AS n FROM pgboss.job WHERE state IN ('created', 'retry', 'active') AND start_after <= now()`,
      );
      if (n === 0) return;
      if (Date.now() > end) throw new Error(`jobs still pending after ${timeoutMs} ms: ${n}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    app,
    url: db.url,
    ownerUrl: db.ownerUrl,
    config,
    dataSource,
    http: () => request(app.getHttpServer()),
    operatorKey: operator.key,
    partner,
    jobsSettled,
    close: async () => {
      await app.close();
      await db.drop();
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
