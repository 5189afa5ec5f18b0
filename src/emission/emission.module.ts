import { Module } from '@nestjs/common';
import { OrdersModule } from './orders/orders.module.js';
import { PersonalisationModule } from './personalisation/personalisation.module.js';
import { PipelineModule } from './pipeline/pipeline.module.js';
import { RequestsModule } from './requests/requests.module.js';
import { ReturnsModule } from './returns/returns.module.js';
import { VendorFileRetentionJobs } from './vendor-file-retention.jobs.js';
import { VendorsModule } from './vendors/vendors.module.js';

/** The six-step emission chain: card requests, photo intake, orders, personalisation batches and vendor returns. */
@Module({
  imports: [RequestsModule, OrdersModule, PersonalisationModule, ReturnsModule, PipelineModule, VendorsModule],
  // The retention of the vendor files spans batches and returns: through their modules' services.
  providers: [VendorFileRetentionJobs],
})
export class EmissionModule {}
