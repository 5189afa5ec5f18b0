import type { AppConfig } from '../../config/app-config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

/** Where the application connects, and who migrates. */
export interface DatabaseUrls {
  /** The application's connection: a role that owns nothing (rows only). */
  url: string;
  /** The owner's connection: runs the migrations, creates the job queues, grants `appRole` its rights. */
  ownerUrl: string;
  /** The application's role, granted its rights after each migration run; null when one role does everything. */
  appRole: string | null;
}

export interface ResolvedDatabase extends DatabaseUrls {
  embedded: boolean;
  /** Stops the embedded server if this process started it. */
  stop(): Promise<void>;
}

/** The role a postgres:// URL logs in as. */
export function roleOf(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

/**
 * DATABASE_URL (with DATABASE_OWNER_URL for migrations when set); otherwise the embedded PostgreSQL under DATA_DIR
 * (started, or joined if it already runs), where the app runs as its own restricted role.
 */
export async function resolveDatabase(config: AppConfig, log: (m: string) => void): Promise<ResolvedDatabase> {
  if (config.databaseUrl) {
    const stop = async () => {};
    if (config.databaseOwnerUrl)
      return {
        url: config.databaseUrl,
        ownerUrl: config.databaseOwnerUrl,
        appRole: roleOf(config.databaseUrl),
        embedded: false,
        stop,
      };
    log(
      "DATABASE_OWNER_URL is not set: migrations run as the role of DATABASE_URL; if that role owns the tables, it can also lift the audit trail's protection (README, Security)",
    );
    return { url: config.databaseUrl, ownerUrl: config.databaseUrl, appRole: null, embedded: false, stop };
  }
  const db = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log);
  return { ...db, embedded: true };
}
