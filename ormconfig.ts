import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/platform/database/data-source-options.js';

/**
 * The data source used by the TypeORM CLI (`npm run migration:generate`, `npm run migration:run`).
 * It needs DATABASE_URL; with the embedded default it is printed by `npm start`
 * (postgresql://vitale:vitale-local@127.0.0.1:54329/vitale).
 */
export default new DataSource(
  dataSourceOptions(process.env.DATABASE_URL ?? 'postgresql://vitale:vitale-local@127.0.0.1:54329/vitale'),
);
