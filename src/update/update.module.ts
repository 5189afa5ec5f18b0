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
import { RegimeTransfersController } from './regime-transfers.controller.js';
import { RegimeTransfersJobs } from './regime-transfers.jobs.js';
import { RegimeTransfersRepository } from './regime-transfers.repository.js';
import { RegimeTransfersService } from './regime-transfers.service.js';

/**
 * Online card updates from kiosks and pharmacy software (protocol kiosk/1), and the card data funds set.
 * Mutations that keep the card: change of fund, NIR change (mutations.*) and whole-regime transfers (regime-transfers.*).
 */
@Module({
  imports: [RegisterModule],
  controllers: [CardDataController, BeneficiaryCardUpdatesController, KioskController, MutationsController, RegimeTransfersController],
  providers: [CardDataRepository, CardDataService, KioskRepository, KioskService, MutationsRepository, MutationsService, MutationsJobs, MutationsCrons, ExchangeRetentionJobs, ExchangeRetentionCrons,
    RegimeTransfersRepository, RegimeTransfersService, RegimeTransfersJobs],
})
export class UpdateModule {}
