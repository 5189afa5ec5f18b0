import { MutationsJobs } from './mutations.jobs.js';
import { ExchangeRetentionJobs } from './exchange-retention.jobs.js';
import { CardDataRepository } from './card-data.repository.js';
import { Module } from '@nestjs/common';
import { BeneficiaryCardUpdatesController, CardDataController } from './card-data.controller.js';
import { CardDataService } from './card-data.service.js';
import { KioskController } from './kiosk.controller.js';
import { Kiosk2Controller } from './kiosk2.controller.js';
import { Kiosk2Service } from './kiosk2.service.js';
import { KioskChallenges } from './kiosk-challenges.service.js';
import { KioskGuard } from './kiosk-guard.service.js';
import { UpToDateCards } from './up-to-date-cards.service.js';
import { UpToDateCardsRepository } from './up-to-date-cards.repository.js';
import { PartnersModule } from '../partners/partners.module.js';
import { KioskRepository } from './kiosk.repository.js';
import { KioskService } from './kiosk.service.js';
import { MutationsController } from './mutations.controller.js';
import { MutationsRepository } from './mutations.repository.js';
import { MutationsService } from './mutations.service.js';
import { RegisterModule } from '../register/register.module.js';
import { CardsModule } from '../cards/cards.module.js';
import { RegimeTransfersController } from './regime-transfers.controller.js';
import { RegimeTransfersJobs } from './regime-transfers.jobs.js';
import { RegimeTransfersRepository } from './regime-transfers.repository.js';
import { RegimeTransfersService } from './regime-transfers.service.js';

/**
 * Online card updates from kiosks and pharmacy software (protocols kiosk/1 and kiosk/2), and the card data funds set.
 * Mutations that keep the card: change of fund, NIR change (mutations.*) and whole-regime transfers (regime-transfers.*).
 */
@Module({
  imports: [RegisterModule, PartnersModule, CardsModule],
  controllers: [
    CardDataController,
    BeneficiaryCardUpdatesController,
    KioskController,
    Kiosk2Controller,
    MutationsController,
    RegimeTransfersController,
  ],
  providers: [
    CardDataRepository,
    CardDataService,
    KioskRepository,
    KioskService,
    Kiosk2Service,
    KioskChallenges,
    KioskGuard,
    UpToDateCards,
    UpToDateCardsRepository,
    MutationsRepository,
    MutationsService,
    MutationsJobs,
    ExchangeRetentionJobs,
    RegimeTransfersRepository,
    RegimeTransfersService,
    RegimeTransfersJobs,
  ],
  exports: [MutationsService, RegimeTransfersService],
})
export class UpdateModule {}
