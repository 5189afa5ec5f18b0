import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { purgeInChunks } from '../platform/jobs/purge-in-chunks.js';
import { KioskRepository } from './kiosk.repository.js';

/** Exchanges deleted per statement: short statements, short locks, a bounded WAL burst each. */
const PURGE_CHUNK = 10_000;

/**
 * Retention of the kiosk exchanges: once KIOSK_EXCHANGE_RETENTION_DAYS have passed since an exchange finished
 * (confirmed, failed or superseded), its row is deleted. An open (`issued`) exchange is never deleted. Each chunk
 * is its own statement: a run stopped midway keeps what it deleted and the next run carries on.
 */
@Injectable()
export class ExchangeRetentionJobs {
  private readonly logger = new Logger('update');

  constructor(
    private readonly kiosk: KioskRepository,
    private readonly config: AppConfig,
  ) {}

  @JobHandler(JobName.UpdatePurgeExchanges)
  async purgeExchanges(): Promise<number> {
    const retentionDays = this.config.kioskExchangeRetentionDays;
    const deleted = await purgeInChunks(PURGE_CHUNK, (limit) =>
      this.kiosk.deleteFinishedExchanges(retentionDays, limit),
    );
    // Counts only: never an exchange, a card or a kiosk.
    if (deleted > 0) this.logger.log({ msg: 'kiosk exchanges purged', deleted, retentionDays });
    return deleted;
  }
}
