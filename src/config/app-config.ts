import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

/** Maps each setting to the environment variable it is read from (used in error messages and the README). */
export const CONFIG_ENV: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  sftpPort: 'SFTP_PORT',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'DATA_DIR',
  embeddedPgPort: 'EMBEDDED_PG_PORT',
  logLevel: 'LOG_LEVEL',
  workersEnabled: 'WORKERS_ENABLED',
  cronsEnabled: 'CRONS_ENABLED',
  apiKeyCacheSeconds: 'API_KEY_CACHE_SECONDS',
  rateLimitPerMinute: 'RATE_LIMIT_PER_MINUTE',
  bulkImportMaxBytes: 'BULK_IMPORT_MAX_BYTES',
  bulkImportMaxRows: 'BULK_IMPORT_MAX_ROWS',
  shutdownTimeoutMs: 'SHUTDOWN_TIMEOUT_MS',
  dbPoolSize: 'DB_POOL_SIZE',
  jobsPollSeconds: 'JOBS_POLL_SECONDS',
  importRetentionDays: 'IMPORT_RETENTION_DAYS',
  seedReferenceData: 'SEED_REFERENCE_DATA',
};

const toInt = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number') return value;
  return /^-?\d+$/.test(String(value).trim()) ? Number(String(value).trim()) : value;
};
const toNumber = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number') return value;
  return /^\d+(\.\d+)?$/.test(String(value).trim()) ? Number(String(value).trim()) : value;
};
const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const v = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};

/** Typed, validated configuration. Every field has a default that runs the product on one machine. */
export class AppConfig {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  port = 3000;

  @IsString() @MinLength(1)
  host = '0.0.0.0';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  sftpPort = 2222;

  /** External PostgreSQL; when absent an embedded PostgreSQL is started under DATA_DIR. */
  @IsOptional() @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// or postgresql:// URL' })
  databaseUrl?: string;

  @IsString() @MinLength(1)
  dataDir = 'var';

  @Transform(toInt) @IsInt() @Min(1024) @Max(65535)
  embeddedPgPort = 54329;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  logLevel = 'info';

  /** Run the pg-boss workers in this instance (turn off for API-only instances). */
  @Transform(toBool) @IsBoolean()
  workersEnabled = true;

  /** Run the cron triggers in this instance (they only enqueue singleton jobs, so several instances may). */
  @Transform(toBool) @IsBoolean()
  cronsEnabled = true;

  /** How long a verified API key is trusted before it is looked up again (revocation delay). */
  @Transform(toInt) @IsInt() @Min(0) @Max(300)
  apiKeyCacheSeconds = 10;

  /** Requests per minute per credential on kiosk and pharmacy endpoints. */
  @Transform(toInt) @IsInt() @Min(1)
  rateLimitPerMinute = 6000;

  @Transform(toInt) @IsInt() @Min(1024)
  bulkImportMaxBytes = 128 * 1024 * 1024;

  @Transform(toInt) @IsInt() @Min(1)
  bulkImportMaxRows = 1_000_000;

  @Transform(toInt) @IsInt() @Min(0)
  shutdownTimeoutMs = 10_000;

  @Transform(toInt) @IsInt() @Min(2) @Max(500)
  dbPoolSize = 20;

  /** How often an idle worker polls its queue (pg-boss accepts 0.5 s at the least). */
  @Transform(toNumber) @IsNumber() @Min(0.5) @Max(60)
  jobsPollSeconds = 2;

  /** How long bulk-import reports (counts and rejected line numbers) are kept. */
  @Transform(toInt) @IsInt() @Min(1)
  importRetentionDays = 90;

  /** Add the bundled reference organismes that are missing at start-up. */
  @Transform(toBool) @IsBoolean()
  seedReferenceData = true;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the settings from an environment (process.env by default); throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const [key, name] of Object.entries(CONFIG_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw);
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    throw new ConfigError(
      errors.map((e) => {
        const name = CONFIG_ENV[e.property] ?? e.property;
        const reasons = Object.values(e.constraints ?? {}).map((m) => m.replace(e.property, name));
        return `${name}: ${reasons.join('; ')} (got ${JSON.stringify(raw[e.property])})`;
      }),
    );
  }
  return config;
}
