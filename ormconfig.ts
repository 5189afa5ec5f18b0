import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/platform/database/data-source-options.js';
import { embeddedOwnerUrl } from './src/platform/database/embedded-postgres.js';

/**
 * The data source used by the TypeORM CLI (`npm run migration:generate`, `npm run migration:run`), as the schema's
 * owner: DATABASE_OWNER_URL, else DATABASE_URL, else the embedded PostgreSQL that `npm start` runs (its password is
 * read from DATA_DIR/pg-credentials.json).
 */
function ownerUrl(): string {
  const env = process.env;
  const url =
    env.DATABASE_OWNER_URL ||
    env.DATABASE_URL ||
    embeddedOwnerUrl(env.DATA_DIR || 'var', Number(env.EMBEDDED_PG_PORT || 54329));
  if (!url) throw new Error('No database: set DATABASE_URL, or run `npm start` once so the embedded PostgreSQL exists');
  return url;
}

export default new DataSource(dataSourceOptions(ownerUrl()));
