import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { ensureBootstrapOperator } from './partners/bootstrap-operator.js';
import { migrate } from './platform/database/migrate.js';
import { resolveDatabase } from './platform/database/resolve-database.js';
import { createLogger } from './platform/logging/logger.js';
import { SftpServer } from './platform/sftp/sftp-server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\nThe settings are listed in README.md (Configuration).\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const db = await resolveDatabase(config, (m) => logger.info({ component: 'database' }, m));
  const applied = await migrate(db);
  if (applied.length) logger.info({ component: 'database', migrations: applied }, 'migrations applied');

  const app = await createApp(config, db.url, logger);
  await app.listen({ port: config.port, host: config.host });
  const bootstrapKeyFile = await ensureBootstrapOperator(app, config.dataDir);

  const shown = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const base = `http://${shown}:${config.port}`;
  logger.info({ component: 'main', api: base, docs: `${base}/docs`, database: db.embedded ? `embedded (${config.dataDir}/pg, port ${config.embeddedPgPort})` : 'external' }, 'started');
  process.stdout.write(
    [
      '',
      'Carte Vitale back-office is running',
      `  API           ${base}/v1`,
      `  OpenAPI       ${base}/docs  (JSON: ${base}/docs-json)`,
      `  Health        ${base}/health   Metrics ${base}/metrics`,
      `  SFTP          port ${app.get(SftpServer).port() ?? `${config.sftpPort} (NOT listening: see the log)`} (vendors' personalisation and return files)`,
      `  Database      ${db.embedded ? `embedded PostgreSQL, data in ${config.dataDir}/pg, port ${config.embeddedPgPort}` : 'DATABASE_URL'}`,
      ...(bootstrapKeyFile ? [`  Operator key  written to ${bootstrapKeyFile} (first start only; keep it secret)`] : []),
      '',
    ].join('\n') + '\n',
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ component: 'main', signal }, 'shutting down: finishing in-flight requests and jobs');
    const timer = setTimeout(() => { logger.error({ component: 'main' }, 'shutdown timed out'); process.exit(1); }, config.shutdownTimeoutMs + 5000);
    timer.unref();
    try {
      await app.close();
      await db.stop();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`Start-up failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
