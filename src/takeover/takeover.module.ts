import { Module } from '@nestjs/common';
import { CardsModule } from '../cards/cards.module.js';
import { CardBaseImportRepository } from './card-base-import.repository.js';
import { CardBaseImportsController } from './card-base-imports.controller.js';
import { CardBaseImportsService } from './card-base-imports.service.js';
import { ImportedCardRepository } from './imported-card.repository.js';
import { TakeoverJobs } from './takeover.jobs.js';

/** Taking over the card base of the system this one replaces: the import of its cards (issue 14). */
@Module({
  imports: [CardsModule],
  controllers: [CardBaseImportsController],
  providers: [ImportedCardRepository, CardBaseImportRepository, CardBaseImportsService, TakeoverJobs],
  exports: [CardBaseImportsService],
})
export class TakeoverModule {}
