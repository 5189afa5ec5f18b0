import { Injectable, Logger } from '@nestjs/common';
import { Transactions } from '../platform/database/transactions.js';
import { AppConfig } from '../config/app-config.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { purgeInChunks } from '../platform/jobs/purge-in-chunks.js';
import { PhotoStore } from './photo-store.js';
import { PhotoRepository } from './photo.repository.js';

/** Photos handled per round (files deleted, then their rows marked in one statement). */
const PURGE_BATCH = 500;

/**
 * Retention of the original scans: once a card has shipped and PHOTO_ORIGINAL_RETENTION_DAYS have passed, the
 * originals of its request's photos are deleted and `photo.original_deleted_at` is set. The print and chip images
 * stay as long as the card lives. Files go first, then the rows: a run stopped in between deletes nothing twice
 * (deleting a missing file is a no-op) and the next run marks the rows.
 */
@Injectable()
export class PhotoRetentionJobs {
  private readonly logger = new Logger('photo');

  constructor(
    private readonly tx: Transactions,
    private readonly photos: PhotoRepository,
    private readonly store: PhotoStore,
    private readonly config: AppConfig,
  ) {}

  @JobHandler(JobName.PhotoPurgeOriginals)
  async purgeOriginals(): Promise<number> {
    const retentionDays = this.config.photoOriginalRetentionDays;
    let purged = 0;
    await purgeInChunks(PURGE_BATCH, async (limit) => {
      const batch = await this.photos.originalsPastRetention(retentionDays, limit);
      if (batch.length === 0) return 0;
      for (const p of batch) await this.store.delete(p.originalKey);
      purged += await this.tx.run((em) =>
        this.photos.markOriginalsDeleted(
          em,
          batch.map((p) => p.id),
        ),
      );
      return batch.length;
    });
    // Counts only: never a key, a name or a byte of a photo.
    if (purged > 0) this.logger.log({ msg: 'photo originals purged', purged, retentionDays });
    return purged;
  }
}
