import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { isIP } from 'node:net';
import { resolvePhotoThresholds } from '../photo/photo-checks.js';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** Maps each setting to the environment variable it is read from (used in error messages and the README). */
export const CONFIG_ENV: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  sftpPort: 'SFTP_PORT',
  sftpEnabled: 'SFTP_ENABLED',
  sftpMaxSessions: 'SFTP_MAX_SESSIONS',
  sftpIdleSeconds: 'SFTP_IDLE_SECONDS',
  sftpInboxQuotaBytes: 'SFTP_INBOX_QUOTA_BYTES',
  sftpPartialUploadHours: 'SFTP_PARTIAL_UPLOAD_HOURS',
  databaseUrl: 'DATABASE_URL',
  databaseOwnerUrl: 'DATABASE_OWNER_URL',
  dataDir: 'DATA_DIR',
  embeddedPgPort: 'EMBEDDED_PG_PORT',
  logLevel: 'LOG_LEVEL',
  workersEnabled: 'WORKERS_ENABLED',
  cronsEnabled: 'CRONS_ENABLED',
  apiKeyCacheSeconds: 'API_KEY_CACHE_SECONDS',
  rateLimitPerMinute: 'RATE_LIMIT_PER_MINUTE',
  trustedProxies: 'TRUSTED_PROXIES',
  bulkImportMaxBytes: 'BULK_IMPORT_MAX_BYTES',
  bulkImportMaxRows: 'BULK_IMPORT_MAX_ROWS',
  cardImportChunkRows: 'CARD_IMPORT_CHUNK_ROWS',
  cardImportLostMinutes: 'CARD_IMPORT_LOST_MINUTES',
  shutdownTimeoutMs: 'SHUTDOWN_TIMEOUT_MS',
  dbPoolSize: 'DB_POOL_SIZE',
  jobsPollSeconds: 'JOBS_POLL_SECONDS',
  jobsRecoverySeconds: 'JOBS_RECOVERY_SECONDS',
  importRetentionDays: 'IMPORT_RETENTION_DAYS',
  seedReferenceData: 'SEED_REFERENCE_DATA',
  cardMinAge: 'CARD_MIN_AGE',
  ownCardLeadDays: 'OWN_CARD_LEAD_DAYS',
  campaignDailyCapacity: 'CAMPAIGN_DAILY_CAPACITY',
  reconcileDailyLimit: 'RECONCILE_DAILY_LIMIT',
  reconcileWorkers: 'RECONCILE_WORKERS',
  formReminderDays: 'FORM_REMINDER_DAYS',
  formExpiryDays: 'FORM_EXPIRY_DAYS',
  formNumberReuseDays: 'FORM_NUMBER_REUSE_DAYS',
  uploadLinkDays: 'UPLOAD_LINK_DAYS',
  photoMaxAgeDays: 'PHOTO_MAX_AGE_DAYS',
  photoMaxBytes: 'PHOTO_MAX_BYTES',
  personalisationBatchSize: 'PERSONALISATION_BATCH_SIZE',
  personalisationCron: 'PERSONALISATION_CRON',
  inboxScanCron: 'INBOX_SCAN_CRON',
  stuckAfterHours: 'STUCK_AFTER_HOURS',
  reinjectLimit: 'REINJECT_LIMIT',
  photoCentreAddress: 'PHOTO_CENTRE_ADDRESS',
  webhookTimeoutMs: 'WEBHOOK_TIMEOUT_MS',
  jobRetryDelayScale: 'JOB_RETRY_DELAY_SCALE',
  webhookAllowPrivateTargets: 'WEBHOOK_ALLOW_PRIVATE_TARGETS',
  photoChipMaxBytes: 'PHOTO_CHIP_MAX_BYTES',
  photoMaxPixels: 'PHOTO_MAX_PIXELS',
  photoOriginalRetentionDays: 'PHOTO_ORIGINAL_RETENTION_DAYS',
  kioskExchangeRetentionDays: 'KIOSK_EXCHANGE_RETENTION_DAYS',
  kioskChallengeSeconds: 'KIOSK_CHALLENGE_SECONDS',
  kioskUpToDateInMemory: 'KIOSK_UP_TO_DATE_IN_MEMORY',
  kioskV1Until: 'KIOSK_V1_UNTIL',
  kioskUnprovenSlowdown: 'KIOSK_UNPROVEN_SLOWDOWN',
  kioskUnprovenSuspend: 'KIOSK_UNPROVEN_SUSPEND',
  eventRetentionDays: 'EVENT_RETENTION_DAYS',
  webhookDeliveryRetentionDays: 'WEBHOOK_DELIVERY_RETENTION_DAYS',
  vendorFileRetentionDays: 'VENDOR_FILE_RETENTION_DAYS',
  photoThresholds: 'PHOTO_THRESHOLDS',
  oppositionWithdrawalHours: 'OPPOSITION_WITHDRAWAL_HOURS',
  oppositionFullListDay: 'OPPOSITION_FULL_LIST_DAY',
  oppositionListCron: 'OPPOSITION_LIST_CRON',
  dependantsMaxPerCard: 'DEPENDANTS_MAX_PER_CARD',
  consoleIdleMinutes: 'CONSOLE_IDLE_MINUTES',
  consoleSessionHours: 'CONSOLE_SESSION_HOURS',
  consoleLockoutAttempts: 'CONSOLE_LOCKOUT_ATTEMPTS',
  consoleLockoutMinutes: 'CONSOLE_LOCKOUT_MINUTES',
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

const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUSTED_PROXIES as a list (empty: trust no proxy); throws naming the entry that is no address, range or keyword. */
export function trustedProxyList(value: string): string[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, prefix, more] = entry.split('/');
    const family = isIP(address);
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!PROXY_RANGES.includes(entry) && (family === 0 || !prefixOk || more !== undefined)) {
      throw new Error(
        `TRUSTED_PROXIES: ${JSON.stringify(entry)} is not an IP address, a CIDR range or one of ${PROXY_RANGES.join(', ')}`,
      );
    }
  }
  return entries;
}

/** Typed, validated configuration. Every field has a default that runs the product on one machine. */
export class AppConfig {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 3000;

  @IsString()
  @MinLength(1)
  host = '0.0.0.0';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  sftpPort = 2222;

  /** Run the built-in SFTP server in this instance (operator commands never do). */
  @Transform(toBool)
  @IsBoolean()
  sftpEnabled = true;

  /** SFTP sessions (connections) one account may have open at once on this instance; the next one is refused. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  sftpMaxSessions = 4;

  /** An SFTP connection whose client has asked nothing for this long is closed (its session place freed). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  sftpIdleSeconds = 600;

  /**
   * Bytes an account's upload folder (a vendor's /inbox) may hold at once, uploads in progress included; each
   * file counts at least 4 KiB. Complete files leave the folder when they are taken in.
   */
  @Transform(toInt)
  @IsInt()
  @Min(65_536)
  sftpInboxQuotaBytes = 256 * 1024 * 1024;

  /** Hours after which an untouched partial upload (`*.part`, `*.tmp`) is deleted from an upload folder. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  sftpPartialUploadHours = 24;

  /** External PostgreSQL; when absent an embedded PostgreSQL is started under DATA_DIR. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// or postgresql:// URL' })
  databaseUrl?: string;

  /** Owner of the external database's schema: runs the migrations, then grants DATABASE_URL's role its rights. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// or postgresql:// URL' })
  databaseOwnerUrl?: string;

  @IsString()
  @MinLength(1)
  dataDir = 'var';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(65535)
  embeddedPgPort = 54329;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  logLevel = 'info';

  /** Run the pg-boss workers in this instance (turn off for API-only instances). */
  @Transform(toBool)
  @IsBoolean()
  workersEnabled = true;

  /** Run the cron triggers in this instance (they only enqueue singleton jobs, so several instances may). */
  @Transform(toBool)
  @IsBoolean()
  cronsEnabled = true;

  /** How long a verified API key is trusted before it is looked up again (revocation delay). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(300)
  apiKeyCacheSeconds = 10;

  /** Requests per minute per credential on kiosk and pharmacy endpoints. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  rateLimitPerMinute = 6000;

  /**
   * The reverse proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDR ranges; `loopback`,
   * `linklocal`, `uniquelocal` name those ranges). Empty: none, the client address is the connection's, so a
   * caller cannot choose the address its per-address limits count.
   */
  @IsString()
  trustedProxies = '';

  @Transform(toInt)
  @IsInt()
  @Min(1024)
  bulkImportMaxBytes = 128 * 1024 * 1024;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  bulkImportMaxRows = 1_000_000;

  /** Lines of a card-base import committed together (all or nothing; the resumable cursor moves by chunks). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  cardImportChunkRows = 50_000;
  /**
   * Minutes without a committed chunk after which a card-base sending that said nothing (its process killed) is taken
   * as lost: recorded as interrupted, and the chunks it landed moved into the card base.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 60)
  cardImportLostMinutes = 30;

  /** Most dependants attached to one insured over any period (what the cards' dependants record holds). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(30)
  dependantsMaxPerCard = 12;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  shutdownTimeoutMs = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(2)
  @Max(500)
  dbPoolSize = 20;

  /** How often an idle worker polls its queue (pg-boss accepts 0.5 s at the least). */
  @Transform(toNumber)
  @IsNumber()
  @Min(0.5)
  @Max(60)
  jobsPollSeconds = 2;

  /**
   * How often every instance looks for jobs left running by an instance that died (its lease lock is free) and
   * re-queues them; after a database restart instances get twice this to take their lock back first.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(30)
  jobsRecoverySeconds = 10;

  /** How long bulk-import reports (counts and rejected line numbers) are kept. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  importRetentionDays = 90;

  /** Youngest age at which a person gets a card of their own (younger children are on a parent's card). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(30)
  cardMinAge = 16;

  /**
   * Days ahead the daily job looks for dependants reaching CARD_MIN_AGE: their own card's request opens this long
   * before the birthday, so the card can be ready by then.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(365)
  ownCardLeadDays = 42;

  /**
   * Forms all renewal campaigns together may send in one day: the photo digitisation contract handles 1.5 million
   * files a month, 50,000 a day.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  campaignDailyCapacity = 50_000;
  /** Most cards reconciliation waves oppose in one day (Paris), so funds' and pharmacies' lists absorb them. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  reconcileDailyLimit = 50000;
  /**
   * Database connections a reconciliation run classifies with at once, each over its own holder ranges in one shared
   * snapshot (docs/reconciliation.md): about the cores the database may give it.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(16)
  reconcileWorkers = 2;

  /** Days after the form is sent before the fund is told it is still unanswered. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  formReminderDays = 15;

  /** Days after the form is sent before an unanswered request expires. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  formExpiryDays = 45;

  /**
   * Days a closed request keeps its form number before the number may be given again (only once the 7-digit
   * sequence is spent): long enough for a late envelope never to reach a newer request.
   */
  @Transform(toInt)
  @IsInt()
  @Min(90)
  formNumberReuseDays = 365;

  /** Validity of the one-time link an insured uses to upload a photo online. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  uploadLinkDays = 30;

  /** A photo older than this (since it was received) cannot be put on a card. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  photoMaxAgeDays = 180;

  /** Largest photo scan accepted. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  photoMaxBytes = 10 * 1024 * 1024;

  /** Most cards in one personalisation file. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  personalisationBatchSize = 5000;

  /** When the personalisation batch job is enqueued (cron expression, six fields with seconds allowed). */
  @IsString()
  @Matches(/^(\S+\s+){4,5}\S+$/, { message: 'must be a cron expression' })
  personalisationCron = '0 */5 * * * *';

  /** When vendor inboxes are scanned for complete files the SFTP server did not see closing. */
  @IsString()
  @Matches(/^(\S+\s+){4,5}\S+$/, { message: 'must be a cron expression' })
  inboxScanCron = '30 */2 * * * *';

  /** An item idle longer than this at a step counts as stuck (operators' view and the re-injector). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  stuckAfterHours = 48;

  /** Minutes without a request after which a console session ends. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  consoleIdleMinutes = 30;

  /** Hours after sign-in at which a console session ends, however active. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(168)
  consoleSessionHours = 12;

  /** Failed console sign-ins in a row (wrong password or code) that lock the account. */
  @Transform(toInt)
  @IsInt()
  @Min(3)
  @Max(100)
  consoleLockoutAttempts = 5;

  /** Minutes a locked console account stays locked. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  consoleLockoutMinutes = 15;

  /** How many times the re-injector retries a stuck item before flagging it for review. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100)
  reinjectLimit = 3;

  /** Return address of the photo digitisation centre printed on the form (lines separated by |). */
  @IsString()
  @MinLength(3)
  photoCentreAddress = 'CENTRE PHOTO CARTE VITALE|CS 30000|35913 RENNES CEDEX 9';

  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  webhookTimeoutMs = 5000;

  /** Let webhooks call private and local addresses (off: a fund cannot make the system probe internal services). */
  @Transform(toBool)
  @IsBoolean()
  webhookAllowPrivateTargets = false;

  /** Byte budget of the chip image. */
  @Transform(toInt)
  @IsInt()
  @Min(2000)
  @Max(100_000)
  photoChipMaxBytes = 15_000;

  /** Decoded pixels above which a scan is refused as a decompression bomb. */
  @Transform(toInt)
  @IsInt()
  @Min(1_000_000)
  photoMaxPixels = 40_000_000;

  /** Days an original scan is kept once its card has shipped. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  photoOriginalRetentionDays = 30;

  /**
   * Days a finished kiosk exchange (confirmed, failed, superseded) is kept after it ended; open ones are never
   * deleted. A bit over a year: the receipts are the pharmacy's proof, and the card's last update date lives on
   * card_update_state, so purging exchanges never changes the "not updated for 12 months" answers.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(36_500)
  kioskExchangeRetentionDays = 400;

  /** Seconds a kiosk/2 challenge (answered by a check) may be redeemed by a fetch carrying the card's proof. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600)
  kioskChallengeSeconds = 60;

  /**
   * Each instance keeps the up-to-date cards in memory (kept fresh by the database's notifications, stale for at
   * most a second) and answers their kiosk/2 checks without a database round trip; off: every check reads the database.
   */
  @Transform(toBool)
  @IsBoolean()
  kioskUpToDateInMemory = true;

  /**
   * Last day (Europe/Paris, YYYY-MM-DD) on which kiosk/1 still serves cards without keys (made before kiosk/2, or
   * imported); from the next day it refuses them, saying the card must be replaced. Cards with keys never use kiosk/1.
   */
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date YYYY-MM-DD' })
  kioskV1Until = '2028-12-31';

  /**
   * Unproven cards (kiosk/2 challenges left to expire, fetches with a bad challenge or proof: distinct serials over
   * the last hour) above which a kiosk key is slowed down (429 with a growing Retry-After on check and fetch).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  kioskUnprovenSlowdown = 20;

  /** Unproven cards above which a kiosk key is suspended (an operator lifts it). More than the slow-down threshold. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  kioskUnprovenSuspend = 100;

  /**
   * Days a fund event stays in the feed. A cursor that points before the purged events is answered 410
   * EVENTS_CURSOR_EXPIRED (with the oldest cursor still served), never with a silent gap.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(36_500)
  eventRetentionDays = 90;

  /** Days a finished webhook delivery (delivered or given up) is kept; pending ones are never deleted. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(36_500)
  webhookDeliveryRetentionDays = 30;

  /**
   * Days the files exchanged with the personalisation vendors are kept once done: a batch's file and signature
   * once every card of it came back (never while the batch is allocated or written), reject files, and the kept
   * copies of processed return files (never one still waiting to be ingested).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(36_500)
  vendorFileRetentionDays = 90;

  /** JSON object overriding individual photo-check thresholds (names in docs/photo.md), e.g. {"minSharpness":120}. */
  @IsOptional()
  @IsString()
  photoThresholds?: string;

  /** Hours during which a fund may withdraw an opposition declared in error. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(24 * 30)
  oppositionWithdrawalHours = 48;

  /** Day of the month the full opposition list (LOE) is produced. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(28)
  oppositionFullListDay = 18;

  /** When the daily list job is enqueued (the incremental list daily; the full list on its day too). */
  @IsString()
  @Matches(/^(\S+\s+){4,5}\S+$/, { message: 'must be a cron expression' })
  oppositionListCron = '0 30 1 * * *';

  /** Multiplies the catalogue's first-retry delays (0 = retry at once; for tests and drills). */
  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  @Max(100)
  jobRetryDelayScale = 1;

  /** Add the bundled reference organismes that are missing at start-up. */
  @Transform(toBool)
  @IsBoolean()
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
  const problems: string[] = [];
  // Checked here too, so a bad threshold stops the start before anything else, with the variable named.
  try {
    resolvePhotoThresholds(config.photoThresholds);
  } catch (e) {
    problems.push(`${(e as Error).message} (got ${JSON.stringify(raw.photoThresholds)})`);
  }
  problems.push(...databaseUrlProblems(config));
  if (typeof config.trustedProxies === 'string') {
    try {
      trustedProxyList(config.trustedProxies);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  problems.push(...kioskProblems(config));
  if (errors.length > 0 || problems.length > 0) {
    throw new ConfigError([
      ...problems,
      ...errors.map((e) => {
        const name = CONFIG_ENV[e.property] ?? e.property;
        const reasons = Object.values(e.constraints ?? {}).map((m) => m.replace(e.property, name));
        return `${name}: ${reasons.join('; ')} (got ${JSON.stringify(withoutPassword(raw[e.property]))})`;
      }),
    ]);
  }
  return config;
}

/** KIOSK_V1_UNTIL is a real calendar day; the suspension threshold is above the slow-down one. */
function kioskProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  const day = config.kioskV1Until;
  const parsed = new Date(`${day}T00:00:00Z`);
  if (
    typeof day === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(day) &&
    (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day)
  ) {
    problems.push(`KIOSK_V1_UNTIL: must be a calendar day YYYY-MM-DD (got ${JSON.stringify(day)})`);
  }
  if (
    Number.isInteger(config.kioskUnprovenSlowdown) &&
    Number.isInteger(config.kioskUnprovenSuspend) &&
    config.kioskUnprovenSuspend <= config.kioskUnprovenSlowdown
  ) {
    problems.push(
      `KIOSK_UNPROVEN_SUSPEND: must be more than KIOSK_UNPROVEN_SLOWDOWN (${config.kioskUnprovenSlowdown}) (got ${JSON.stringify(String(config.kioskUnprovenSuspend))})`,
    );
  }
  return problems;
}

/** A URL's password never goes to the console: replaced by *** in messages. */
function withoutPassword(value: string | undefined): string | undefined {
  return value?.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

function userOf(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url).username) || null;
  } catch {
    return null;
  }
}

/** DATABASE_OWNER_URL goes with a DATABASE_URL naming another role (the application's). */
function databaseUrlProblems(config: AppConfig): string[] {
  if (!config.databaseOwnerUrl) return [];
  if (!config.databaseUrl)
    return ['DATABASE_OWNER_URL: only with DATABASE_URL (the embedded PostgreSQL manages its own roles)'];
  const app = userOf(config.databaseUrl);
  const owner = userOf(config.databaseOwnerUrl);
  if (!app || !owner)
    return ['DATABASE_URL, DATABASE_OWNER_URL: both must name their role (postgresql://role:password@host/database)'];
  if (app === owner)
    return [
      "DATABASE_OWNER_URL: must name another role than DATABASE_URL (the owner runs migrations; the application's role owns nothing)",
    ];
  return [];
}
