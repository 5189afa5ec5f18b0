import { Injectable, Logger } from '@nestjs/common';
import { JobName, type JobPayloads } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { RegimeTransfersService } from './regime-transfers.service.js';

@Injectable()
export class RegimeTransfersJobs {
  private readonly logger = new Logger('update.regime-transfers');

  constructor(private readonly transfers: RegimeTransfersService) {}

  /**
   * Records one transfer's mutations, chunk by chunk. A failure keeps the chunks already committed, marks the transfer
   * `failed` with the reason and hands the job back to pg-boss: the retry carries on from the cursor.
   */
  @JobHandler(JobName.UpdateRecordRegimeTransfer)
  async record(payload: JobPayloads[JobName.UpdateRecordRegimeTransfer]): Promise<void> {
    try {
      const outcome = await this.transfers.record(payload.transferId);
      this.logger.log({ msg: 'regime transfer recording done', transferId: payload.transferId, ...outcome });
    } catch (err) {
      await this.transfers
        .markFailed(payload.transferId, (err as Error)?.message ?? String(err))
        .catch(() => undefined);
      throw err;
    }
  }
}
