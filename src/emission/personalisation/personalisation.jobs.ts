import { Injectable } from '@nestjs/common';
import { JobName, JobPayloads } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { BatchBuilderService } from './batch-builder.service.js';
import { BatchFileService } from './batch-file.service.js';

/** Step 5 jobs: allocate batches, write each batch's file. */
@Injectable()
export class PersonalisationJobs {
  constructor(
    private readonly builder: BatchBuilderService,
    private readonly files: BatchFileService,
  ) {}

  @JobHandler(JobName.EmissionBuildBatches)
  async buildBatches(): Promise<void> {
    await this.builder.build();
  }

  @JobHandler(JobName.EmissionWriteBatchFile)
  async writeBatchFile(payload: JobPayloads[JobName.EmissionWriteBatchFile]): Promise<void> {
    await this.files.write(payload.batchId);
  }
}
