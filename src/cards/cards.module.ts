import { Module } from '@nestjs/common';
import { CardKeyRepository } from './card-key.repository.js';
import { CardStatusController } from './card-status.controller.js';
import { CardRepository } from './card.repository.js';
import { CardsController } from './cards.controller.js';
import { CardsService } from './cards.service.js';

/**
 * Card records: the technical card database (serials, holders, states). CardRepository is the card table's one
 * writer: other modules read and change cards only through CardsService, whose `…In(em, …)` methods run in the
 * caller's transaction and are set-based for the steps that move many cards (issueMany, assignToBatch,
 * transition*ManyByIdIn with a vendor's facts, moveOrganismeIn, the kiosk confirms).
 */
@Module({
  controllers: [CardsController, CardStatusController],
  providers: [CardRepository, CardKeyRepository, CardsService],
  exports: [CardsService],
})
export class CardsModule {}
