import { Injectable, Logger } from '@nestjs/common';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobHandler } from '../../platform/jobs/job-handler.decorator.js';
import { RequestDeadlinesService } from './request-deadlines.service.js';
import { OwnCardsService } from './own-cards.service.js';

/** Step 1's background jobs: reminders and expiry of unanswered forms; the own card of dependants reaching 16. */
@Injectable()
export class RequestsJobs {
  private readonly logger = new Logger('emission.requests');

  constructor(
    private readonly deadlines: RequestDeadlinesService,
    private readonly ownCards: OwnCardsService,
  ) {}

  @JobHandler(JobName.EmissionRequestDeadlines)
  async emissionRequestDeadlines(): Promise<void> {
    const { expired, reminded } = await this.deadlines.run();
    if (expired || reminded) this.logger.log({ msg: 'request deadlines applied', expired, reminded });
  }

  @JobHandler(JobName.EmissionOwnCards)
  async emissionOwnCards(): Promise<void> {
    const { opened, skipped } = await this.ownCards.run();
    if (opened || skipped) this.logger.log({ msg: 'own cards at 16: requests opened', opened, skipped });
  }
}
