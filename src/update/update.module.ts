import { MutationsCrons, MutationsJobs } from './mutations.jobs.js';
import { ExchangeRetentionCrons, ExchangeRetentionJobs } from './exchange-retention.jobs.js';
import { CardDataRepository } from './card-data.repository.js';
import { Module } from '@nestjs/common';
import { BeneficiaryCardUpdatesController, CardDataController } from './card-data.controller.js';
import { CardDataService } from './card-data.service.js';
import { KioskController } from './kiosk.controller.js';
import { KioskRepository } from './kiosk.repository.js';
import { KioskService } from './kiosk.service.js';
import { MutationsController } from './mutations.controller.js';
import { MutationsRepository } from './mutations.repository.js';
import { MutationsService } from './mutations.service.js';
import { RegisterModule } from '../register/register.module.js';

/**
 * Online card updates from kiosks and pharmacy software (protocol kiosk/1), and the card data funds set.
 * Mutations that keep the card: change of fund and NIR change (mutations.*). Not yet here: regime change.
 */
@Module({
  imports: [RegisterModule],
  controllers: [CardDataController, BeneficiaryCardUpdatesController, KioskController, MutationsController],
  providers: [CardDataRepository, CardDataService, KioskRepository, KioskService, MutationsRepository, MutationsService, MutationsJobs, MutationsCrons, ExchangeRetentionJobs, ExchangeRetentionCrons],
})
export class UpdateModule {}
