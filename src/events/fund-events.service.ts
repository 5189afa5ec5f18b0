import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { NewFundEvent } from './event-types.js';
import { FundEventRepository, StoredFundEvent } from './fund-event.repository.js';

/** Funds follow their insured's requests and cards through these events (feed with a cursor, webhooks). */
@Injectable()
export class FundEventsService {
  constructor(private readonly repo: FundEventRepository) {}

  /** Records events inside the transaction of the change they describe. */
  append(em: EntityManager, ...events: NewFundEvent[]): Promise<StoredFundEvent[]> {
    return this.repo.append(em, events);
  }
}
