import type { AppConfig } from '../../config/app-config.js';

/**
 * The typed job catalogue: every background job, its payload, its queue options and, for the scheduled ones, when
 * they run, in one place. Each name must have exactly one handler (`@JobHandler`), checked at start-up; the
 * schedules are all registered by JobScheduler (docs/operations.md lists them, a test keeps the two equal).
 */
export enum JobName {
  /** Process one uploaded file of insured persons. */
  RegisterBulkImport = 'register.bulk-import',
  /** Drop finished bulk-import reports past their retention. */
  RegisterPurgeImports = 'register.purge-imports',
  /** Remind funds of unanswered forms and expire requests past their deadline. */
  EmissionRequestDeadlines = 'emission.request-deadlines',
  /** Check and normalise one received photo. */
  PhotoCheck = 'photo.check',
  /** Order the card of a request whose photo was accepted, for funds that order automatically. */
  EmissionAutoOrder = 'emission.auto-order',
  /** Group ordered cards into personalisation batches per vendor, allocating their serials. */
  EmissionBuildBatches = 'emission.build-batches',
  /** Write one batch's personalisation file and signature into its vendor's outbox. */
  EmissionWriteBatchFile = 'emission.write-batch-file',
  /** Ingest one return file a vendor dropped in its inbox. */
  EmissionIngestReturnFile = 'emission.ingest-return-file',
  /** Look for complete return files in every vendor inbox (safety net behind the SFTP server's own notice). */
  EmissionScanInboxes = 'emission.scan-inboxes',
  /** POST one fund event to one webhook, signed; retried with back-off. */
  EventsDeliverWebhook = 'events.deliver-webhook',
  /** Re-inject card requests idle too long at a step, up to a limit, then flag them for review. */
  EmissionReinjectStuck = 'emission.reinject-stuck',
  /** Delete original scans whose card shipped longer ago than the retention delay. */
  PhotoPurgeOriginals = 'photo.purge-originals',
  /** Produce an opposition list: the daily incremental (LOI) or the monthly full list (LOE). */
  OppositionProduceList = 'opposition.produce-list',
  /** Apply the fund changes (mutations) whose effective date has come: the cards change hands, kiosks get the update. */
  UpdateApplyDueMutations = 'update.apply-due-mutations',
  /** Delete finished kiosk exchanges (never an open one) older than the retention delay. */
  UpdatePurgeExchanges = 'update.purge-exchanges',
  /** Record the per-insured mutations of one regime transfer, in chunks (resumable). */
  UpdateRecordRegimeTransfer = 'update.record-regime-transfer',
  /** Delete fund events older than the retention delay, in chunks (the feed then answers older cursors 410). */
  EventsPurgeEvents = 'events.purge-events',
  /** Delete finished webhook deliveries (delivered or given up, never pending) older than the retention delay. */
  EventsPurgeDeliveries = 'events.purge-deliveries',
  /** Delete vendor files past the retention: done batches' files and signatures, reject files, processed return copies. */
  EmissionPurgeVendorFiles = 'emission.purge-vendor-files',
  /** Delete unfinished uploads (`*.part`, `*.tmp`) left in vendor inboxes longer than SFTP_PARTIAL_UPLOAD_HOURS. */
  EmissionPurgePartialUploads = 'emission.purge-partial-uploads',
  /** Open the card request of each dependant reaching CARD_MIN_AGE within OWN_CARD_LEAD_DAYS (once per young person). */
  EmissionOwnCards = 'emission.own-cards',
  /** Send today's wave of each running renewal campaign, within the day's capacity (one wave per campaign and day). */
  CampaignsRunWaves = 'campaigns.run-waves',
  /** Move a card-base import's landed chunks into the card base (card, imported_card), chunk by chunk, in file order. */
  CardBaseMaterialise = 'card-base.materialise',
  /** Find card-base sendings that stopped without a word (a killed process): recorded, their landed chunks moved. */
  CardBaseFindLostSendings = 'card-base.find-lost-sendings',
  /** Classify every usable card against the register (a dry run or an apply); one run at a time. */
  ReconciliationRun = 'reconciliation.run',
  /** Oppose the next reconciliation decisions, up to RECONCILE_DAILY_LIMIT a day. */
  ReconciliationWave = 'reconciliation.wave',
  /** Count the business figures (cards by state, open and stuck requests) that /metrics and the dashboard read. */
  InsightRefreshFigures = 'insight.refresh-figures',
}

export interface JobPayloads {
  [JobName.InsightRefreshFigures]: Record<string, never>;
  [JobName.RegisterBulkImport]: { importId: string };
  [JobName.RegisterPurgeImports]: { retentionDays: number };
  [JobName.EmissionRequestDeadlines]: Record<string, never>;
  [JobName.PhotoCheck]: { photoId: string };
  [JobName.EmissionAutoOrder]: { requestId: string };
  [JobName.EmissionBuildBatches]: Record<string, never>;
  [JobName.EmissionWriteBatchFile]: { batchId: string };
  [JobName.EmissionIngestReturnFile]: { returnFileId: string };
  [JobName.EmissionScanInboxes]: Record<string, never>;
  [JobName.EventsDeliverWebhook]: { subscriptionId: string; eventId: string };
  [JobName.EmissionReinjectStuck]: Record<string, never>;
  [JobName.PhotoPurgeOriginals]: Record<string, never>;
  [JobName.OppositionProduceList]: { kind: 'incremental' | 'full'; period: string };
  [JobName.UpdateApplyDueMutations]: Record<string, never>;
  [JobName.UpdatePurgeExchanges]: Record<string, never>;
  [JobName.UpdateRecordRegimeTransfer]: { transferId: string };
  [JobName.EventsPurgeEvents]: Record<string, never>;
  [JobName.EventsPurgeDeliveries]: Record<string, never>;
  [JobName.EmissionPurgeVendorFiles]: Record<string, never>;
  [JobName.EmissionPurgePartialUploads]: Record<string, never>;
  [JobName.EmissionOwnCards]: Record<string, never>;
  [JobName.CampaignsRunWaves]: Record<string, never>;
  [JobName.CardBaseMaterialise]: { importId: string };
  [JobName.CardBaseFindLostSendings]: Record<string, never>;
  [JobName.ReconciliationRun]: { runId: string };
  [JobName.ReconciliationWave]: Record<string, never>;
}

export interface JobSpec {
  /** pg-boss retry count and back-off (delay in seconds before the first retry, doubled each time with back-off). */
  retryLimit: number;
  retryBackoff: boolean;
  retryDelay?: number;
  /** How long one run may take before pg-boss considers it lost and retries it. */
  expireInSeconds: number;
  /** How many jobs one worker fetches at a time. */
  batchSize: number;
  /** When a cron enqueues the job (only the scheduled jobs have one). */
  schedule?: JobSchedule;
}

/** The settings that hold a cron expression. */
export type CronSetting = Extract<keyof AppConfig, `${string}Cron`>;

/**
 * A cron that only enqueues its job as a pg-boss singleton: the instances running crons all tick, and the job is
 * enqueued once per `singletonSeconds` window and key (a job's `@JobTick` method may give the payloads and keys of
 * a tick; without one a tick enqueues `{}` under `singletonKey`).
 */
export interface JobSchedule {
  /** A cron expression (seconds field optional), or the setting that holds one. */
  cron: string | { setting: CronSetting };
  /** The zone the expression is read in. */
  timeZone: string;
  singletonSeconds: number;
  singletonKey: string;
  /** Enqueued once at start too (key `start`), where crons are enabled. */
  atStart?: boolean;
}

const PARIS = 'Europe/Paris';
const HOUR = 3600;
const DAY = 86_400;
const daily = (cron: string): JobSchedule => ({ cron, timeZone: PARIS, singletonSeconds: DAY, singletonKey: 'daily' });
const hourly = (cron: string): JobSchedule => ({
  cron,
  timeZone: PARIS,
  singletonSeconds: HOUR,
  singletonKey: 'hourly',
});
/** A schedule operators set: instances firing together enqueue once within `singletonSeconds` (a minute unless said). */
const fromSetting = (setting: CronSetting, extra: Partial<JobSchedule> = {}): JobSchedule => ({
  cron: { setting },
  timeZone: PARIS,
  singletonSeconds: 60,
  singletonKey: 'cron',
  ...extra,
});

export const JOB_SPECS: Record<JobName, JobSpec> = {
  [JobName.RegisterBulkImport]: { retryLimit: 3, retryBackoff: true, expireInSeconds: 15 * 60, batchSize: 1 },
  [JobName.RegisterPurgeImports]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 10 * 60,
    batchSize: 1,
    schedule: daily('17 3 * * *'),
  },
  [JobName.EmissionRequestDeadlines]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 10 * 60,
    batchSize: 1,
    schedule: hourly('0 7 * * * *'),
  },
  [JobName.PhotoCheck]: { retryLimit: 3, retryBackoff: true, expireInSeconds: 5 * 60, batchSize: 4 },
  // Ordered set-based, a whole fetch per transaction (see OrdersService.orderManyIn).
  [JobName.EmissionAutoOrder]: { retryLimit: 3, retryBackoff: true, expireInSeconds: 5 * 60, batchSize: 500 },
  [JobName.EmissionBuildBatches]: {
    retryLimit: 3,
    retryBackoff: true,
    expireInSeconds: 15 * 60,
    batchSize: 1,
    schedule: fromSetting('personalisationCron'),
  },
  [JobName.EmissionWriteBatchFile]: { retryLimit: 5, retryBackoff: true, expireInSeconds: 15 * 60, batchSize: 1 },
  [JobName.EmissionIngestReturnFile]: { retryLimit: 5, retryBackoff: true, expireInSeconds: 15 * 60, batchSize: 1 },
  // Scanned at start too: files that arrived while no instance ran, or whose arrival an instance that died just
  // after the client's rename never announced, are taken in then rather than at the next tick.
  [JobName.EmissionScanInboxes]: {
    retryLimit: 1,
    retryBackoff: false,
    expireInSeconds: 5 * 60,
    batchSize: 1,
    schedule: fromSetting('inboxScanCron', { atStart: true }),
  },
  // 30 s doubled 8 times: a fund's endpoint may be down for about two hours before a delivery is failed.
  // Expiry well above the HTTP timeout (60 s at most), so a slow call is never run twice.
  [JobName.EventsDeliverWebhook]: {
    retryLimit: 8,
    retryBackoff: true,
    retryDelay: 30,
    expireInSeconds: 300,
    batchSize: 10,
  },
  [JobName.EmissionReinjectStuck]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 10 * 60,
    batchSize: 1,
    schedule: hourly('0 41 * * * *'),
  },
  [JobName.PhotoPurgeOriginals]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 15 * 60,
    batchSize: 1,
    schedule: daily('0 40 3 * * *'),
  },
  // One job per (kind, period) within the hour (keys from OppositionJobs' tick); the job itself is idempotent.
  [JobName.OppositionProduceList]: {
    retryLimit: 3,
    retryBackoff: true,
    expireInSeconds: 60 * 60,
    batchSize: 1,
    schedule: fromSetting('oppositionListCron', { singletonSeconds: HOUR }),
  },
  [JobName.UpdateApplyDueMutations]: {
    retryLimit: 3,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    batchSize: 1,
    schedule: hourly('0 1 * * * *'),
  },
  // Bounded chunks, each its own statement: a run stopped midway loses nothing and the next one carries on.
  [JobName.UpdatePurgeExchanges]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    batchSize: 1,
    schedule: daily('0 50 3 * * *'),
  },
  // Millions of insured in chunks of a few thousand, each chunk its own transaction with its cursor: a retry (or a
  // run that expired) carries on after the last committed chunk; runs serialise on the transfer row.
  [JobName.UpdateRecordRegimeTransfer]: {
    retryLimit: 5,
    retryBackoff: true,
    expireInSeconds: 3 * 60 * 60,
    batchSize: 1,
  },
  // Retention purges: bounded chunks, each its own statement (or files then rows): a run stopped midway loses
  // nothing and the next one carries on.
  [JobName.EventsPurgeEvents]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    batchSize: 1,
    schedule: daily('0 0 4 * * *'),
  },
  [JobName.EventsPurgeDeliveries]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    batchSize: 1,
    schedule: daily('0 10 4 * * *'),
  },
  [JobName.EmissionPurgeVendorFiles]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    batchSize: 1,
    schedule: daily('0 23 4 * * *'),
  },
  // File by file, each checked again before it goes: a run stopped midway is simply run again.
  [JobName.EmissionPurgePartialUploads]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 10 * 60,
    batchSize: 1,
    schedule: hourly('0 35 * * * *'),
  },
  // One request per young person ever (a unique index): two instances running it at once open each one once.
  [JobName.EmissionOwnCards]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    batchSize: 1,
    schedule: daily('0 5 2 * * *'),
  },
  // Hourly: the first run of a Paris day opens its waves; later ones finish a wave a pause, a crash or a shutdown cut
  // short (start and resume also enqueue a run at once). The database makes it one wave per campaign and day.
  [JobName.CampaignsRunWaves]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 60 * 60,
    batchSize: 1,
    schedule: hourly('0 20 * * * *'),
  },
  // Each chunk is one transaction that re-checks it is still to move: a retry, or two instances, move each chunk once.
  [JobName.CardBaseMaterialise]: { retryLimit: 5, retryBackoff: true, expireInSeconds: 3 * 60 * 60, batchSize: 1 },
  // A sending commits a chunk every few seconds; one silent for CARD_IMPORT_LOST_MINUTES is taken as lost.
  [JobName.CardBaseFindLostSendings]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 10 * 60,
    batchSize: 1,
    schedule: hourly('0 27 * * * *'),
  },
  // Holder ranges on RECONCILE_WORKERS connections in one snapshot, then the keeps in chunks; a retry of a run left
  // running starts its findings over.
  [JobName.ReconciliationRun]: { retryLimit: 2, retryBackoff: true, expireInSeconds: 3 * 60 * 60, batchSize: 1 },
  // Hourly so a wave resumes soon after midnight; the daily cap is counted in the database, under a lock.
  [JobName.ReconciliationWave]: {
    retryLimit: 2,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
    batchSize: 1,
    schedule: hourly('0 13 * * * *'),
  },
  // Every minute, once whatever the number of instances: a few grouped counts over the card base, one row written.
  [JobName.InsightRefreshFigures]: {
    retryLimit: 0,
    retryBackoff: false,
    expireInSeconds: 5 * 60,
    batchSize: 1,
    schedule: { cron: '0 */1 * * * *', timeZone: PARIS, singletonSeconds: 60, singletonKey: 'minute', atStart: true },
  },
};

export const JOB_NAMES = Object.values(JobName);

/** The jobs a cron enqueues. */
export const SCHEDULED_JOBS = JOB_NAMES.filter((n) => JOB_SPECS[n].schedule);
