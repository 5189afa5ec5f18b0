import { Module } from '@nestjs/common';
import { ImportedCardRepository } from './imported-card.repository.js';

/** Taking over the card base of the system this one replaces: the import of its cards (issue 14). */
@Module({
  providers: [ImportedCardRepository],
})
export class TakeoverModule {}
