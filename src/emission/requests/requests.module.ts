import { Module } from '@nestjs/common';
import { CardsModule } from '../../cards/cards.module.js';
import { RegisterModule } from '../../register/register.module.js';
import { CardRequestRepository } from './card-request.repository.js';
import { CardRequestsController } from './card-requests.controller.js';
import { CardRequestsService } from './card-requests.service.js';
import { RequestDeadlinesService } from './request-deadlines.service.js';
import { RequestFormRenderer } from './request-form.renderer.js';
import { RequestFormService } from './request-form.service.js';
import { RequestsJobs } from './requests.jobs.js';
import { OwnCardsService } from './own-cards.service.js';

/**
 * Step 1: card requests, eligibility, the pre-filled form, deadlines; and the online photo link. The photo module
 * moves requests through the photo steps with CardRequestsService's `…In(em)` methods, inside its own transactions.
 */
@Module({
  imports: [RegisterModule, CardsModule],
  controllers: [CardRequestsController],
  providers: [
    CardRequestRepository,
    CardRequestsService,
    RequestFormRenderer,
    RequestFormService,
    RequestDeadlinesService,
    RequestsJobs,
    OwnCardsService,
  ],
  exports: [CardRequestsService, OwnCardsService],
})
export class RequestsModule {}
