import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { Transactions } from '../../platform/database/transactions.js';
import { DependantCardsService } from '../../register/dependant-cards.service.js';
import { RegisterClock } from '../../register/register-clock.js';
import { CardRequestsService } from './card-requests.service.js';
import { daysAfter, yearsBefore } from './request-rules.js';

/** Dependants read per page; each request opens in a transaction of its own (a failure loses one, redone next run). */
const PAGE = 500;

/**
 * A card of one's own at 16 (issue 13 item 4): every day, the dependants still on a parent's card who reach
 * CARD_MIN_AGE within OWN_CARD_LEAD_DAYS (or passed it) and have no card, no open request and never had this one, get
 * their card request (step 1: the form to the young person's address), under the fund of the parent they were
 * attached to first. The unique index card_request_sixteenth_birthday_once makes it once per young person, whatever
 * the instances running the job at once.
 */
@Injectable()
export class OwnCardsService {
  constructor(
    private readonly tx: Transactions,
    private readonly dependants: DependantCardsService,
    private readonly requests: CardRequestsService,
    private readonly clock: RegisterClock,
    private readonly config: AppConfig,
  ) {}

  async run(): Promise<{ opened: number; skipped: number }> {
    const today = this.clock.today();
    const bornBy = yearsBefore(daysAfter(today, this.config.ownCardLeadDays), this.config.cardMinAge);
    let opened = 0;
    let skipped = 0;
    let after: string | null = null;
    for (;;) {
      const page = await this.tx.run((em) => this.dependants.dueForOwnCardIn(em, today, bornBy, after, PAGE));
      for (const due of page) {
        const id = await this.tx.run((em) => this.requests.openAtSixteenIn(em, due));
        if (id) opened++;
        else skipped++;
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1].dependantId;
    }
    return { opened, skipped };
  }
}
