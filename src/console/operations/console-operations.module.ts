import { Module } from '@nestjs/common';
import { CampaignsModule } from '../../campaigns/campaigns.module.js';
import { OppositionModule } from '../../opposition/opposition.module.js';
import { ReconciliationModule } from '../../reconciliation/reconciliation.module.js';
import { UpdateModule } from '../../update/update.module.js';
import { ConsoleCampaignsController } from './campaigns.controller.js';
import { ConsoleOppositionListsController } from './opposition-lists.controller.js';
import { ConsoleReconciliationController } from './reconciliation.controller.js';
import { ConsoleRegimeTransfersController } from './regime-transfers.controller.js';

/** The operators' console pages (issue 15 item 3): opposition lists and keys, regime transfers, reconciliation, campaigns. */
@Module({
  imports: [CampaignsModule, OppositionModule, ReconciliationModule, UpdateModule],
  controllers: [
    ConsoleCampaignsController,
    ConsoleOppositionListsController,
    ConsoleReconciliationController,
    ConsoleRegimeTransfersController,
  ],
})
export class ConsoleOperationsModule {}
