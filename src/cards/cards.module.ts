import { Module } from '@nestjs/common';
import { CardKeyRepository } from './card-key.repository.js';
import { CardStatusController } from './card-status.controller.js';
import { CardRepository } from './card.repository.js';
import { CardsController } from './cards.controller.js';
import { CardsService } from './cards.service.js';

/**
 * Card records: the technical card database (serials, holders, states). Other modules change a card only
 * through CardsService (transitionIn / issue inside their own transaction), never through the repository.
 */
@Module({
  controllers: [CardsController, CardStatusController],
  providers: [CardRepository, CardKeyRepository, CardsService],
  // CardKeyRepository for reads only (kiosk protocol 2 looks a card's keys up); keys are written through CardsService.
  exports: [CardsService, CardKeyRepository],
})
export class CardsModule {}
