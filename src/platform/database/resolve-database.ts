import type { AppConfig } from '../../config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR (started, or joined if it already runs). */
export async function resolveDatabase(config: AppConfig, log: (m: string) => void): Promise<EmbeddedDatabase & { embedded: boolean }> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => {}, embedded: false };
  const db = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log);
  return { ...db, embedded: true };
}
