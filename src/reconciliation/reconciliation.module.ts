import { Module } from '@nestjs/common';
import { CardsModule } from '../cards/cards.module.js';
import { ReconciliationController } from './reconciliation.controller.js';
import { ReconciliationJobs } from './reconciliation.jobs.js';
import { ReconciliationRepository } from './reconciliation.repository.js';
import { ReconciliationService } from './reconciliation.service.js';

/** Reconciliation of a taken-over card base against the register (issue 14, docs/reconciliation.md). */
@Module({
  imports: [CardsModule],
  controllers: [ReconciliationController],
  providers: [ReconciliationRepository, ReconciliationService, ReconciliationJobs],
  exports: [ReconciliationService],
})
export class ReconciliationModule {}
