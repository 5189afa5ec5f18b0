import { Module } from '@nestjs/common';
import { CardsModule } from '../../cards/cards.module.js';
import { PipelineModule } from '../../emission/pipeline/pipeline.module.js';
import { RequestsModule } from '../../emission/requests/requests.module.js';
import { VendorsModule } from '../../emission/vendors/vendors.module.js';
import { OppositionModule } from '../../opposition/opposition.module.js';
import { PartnersModule } from '../../partners/partners.module.js';
import { RegisterModule } from '../../register/register.module.js';
import { UpdateModule } from '../../update/update.module.js';
import { ConsoleModule } from '../console.module.js';
import { OperatorsController } from '../operators/operators.controller.js';
import { ActionsController } from './actions.controller.js';

/**
 * The console's actions with confirmation (oppositions, cancelling a request, a replacement card, a change of fund)
 * and the operators' pages (partners and API keys, vendors, audit search): pages over the modules' own services.
 */
@Module({
  imports: [
    ConsoleModule,
    CardsModule,
    OppositionModule,
    RequestsModule,
    PipelineModule,
    RegisterModule,
    UpdateModule,
    PartnersModule,
    VendorsModule,
  ],
  controllers: [ActionsController, OperatorsController],
})
export class ConsoleActionsModule {}
