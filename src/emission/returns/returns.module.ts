import { Module } from '@nestjs/common';
import { CardsModule } from '../../cards/cards.module.js';
import { PersonalisationModule } from '../personalisation/personalisation.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { VendorsModule } from '../vendors/vendors.module.js';
import { ReturnFileRepository } from './return-file.repository.js';
import { ReturnIngestService } from './return-ingest.service.js';
import { ReturnIntakeService } from './return-intake.service.js';
import { ReturnsJobs } from './returns.jobs.js';
import { VendorSftpAccounts } from './vendor-sftp-accounts.js';

/** Step 6: vendors' return files (shipped, failed, undeliverable) arriving over SFTP. */
@Module({
  imports: [VendorsModule, RequestsModule, PersonalisationModule, CardsModule],
  providers: [ReturnFileRepository, ReturnIntakeService, ReturnIngestService, VendorSftpAccounts, ReturnsJobs],
  exports: [ReturnIntakeService, ReturnIngestService],
})
export class ReturnsModule {}
