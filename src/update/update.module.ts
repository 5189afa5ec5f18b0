import { Module } from '@nestjs/common';
import { CardDataController } from './card-data.controller.js';
import { CardDataService } from './card-data.service.js';
import { KioskController } from './kiosk.controller.js';
import { KioskService } from './kiosk.service.js';

/**
 * Online card updates from kiosks and pharmacy software (protocol kiosk/1), and the card data funds set.
 * Not yet here: mutations that keep the card (fund or regime change, NIR change).
 */
@Module({
  controllers: [CardDataController, KioskController],
  providers: [CardDataService, KioskService],
})
export class UpdateModule {}
