import { Module } from '@nestjs/common';
import { CampaignsModule } from '../../campaigns/campaigns.module.js';
import { PersonalisationModule } from '../../emission/personalisation/personalisation.module.js';
import { ReturnsModule } from '../../emission/returns/returns.module.js';
import { OppositionModule } from '../../opposition/opposition.module.js';
import { ReconciliationModule } from '../../reconciliation/reconciliation.module.js';
import { UpdateModule } from '../../update/update.module.js';
import { ConsoleBatchesController } from './batches.controller.js';
import { ConsoleCampaignsController } from './campaigns.controller.js';
import { ConsoleOppositionListsController } from './opposition-lists.controller.js';
import { ConsoleReconciliationController } from './reconciliation.controller.js';
import { ConsoleRegimeTransfersController } from './regime-transfers.controller.js';

/** The operators' console pages (issue 15 item 3): batches and return files, opposition lists and keys, regime transfers, reconciliation, campaigns. */
@Module({
  imports: [
    CampaignsModule,
    OppositionModule,
    PersonalisationModule,
    ReconciliationModule,
    ReturnsModule,
    UpdateModule,
  ],
  controllers: [
    ConsoleBatchesController,
    ConsoleCampaignsController,
    ConsoleOppositionListsController,
    ConsoleReconciliationController,
    ConsoleRegimeTransfersController,
  ],
})
export class ConsoleOperationsModule {}
