import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { EventsErrors } from './events.errors.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { decodeCursor, encodeCursor, type EventCursor } from './event-cursor.js';
import type { FundEventType, NewFundEvent } from './event-types.js';
import { EventsClock } from './events-clock.js';
import { FundEventRepository, StoredFundEvent } from './fund-event.repository.js';
import type { FundEventPageView, FundEventView } from './dto/events.dto.js';

/** How often a long poll looks again: an indexed query on (organisme, tx_id, id), cheap at 4 per second. */
const POLL_MS = 250;

export interface FeedQuery {
  after?: string;
  limit?: number;
  types?: FundEventType[];
  wait?: number;
  organismeCode?: string;
}

export function toEventView(e: StoredFundEvent): FundEventView {
  return {
    id: e.id,
    type: e.type,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    data: e.data,
    createdAt: e.createdAt,
  };
}

/** Funds follow their insured's requests and cards through these events (feed with a cursor, webhooks). */
@Injectable()
export class FundEventsService implements OnModuleDestroy {
  private stopping = false;

  constructor(
    private readonly repo: FundEventRepository,
    private readonly jobs: JobsService,
    private readonly clock: EventsClock,
  ) {}

  /** Long polls end at once when the application stops, so a graceful stop is not held up by them. */
  onModuleDestroy(): void {
    this.stopping = true;
  }

  /**
   * Records events inside the transaction of the change they describe, with one webhook delivery (and its job)
   * per matching subscription: a rollback removes the events, the deliveries and the jobs together.
   */
  async append(em: EntityManager, ...events: NewFundEvent[]): Promise<StoredFundEvent[]> {
    const { events: stored, deliveries } = await this.repo.append(em, events);
    if (deliveries.length > 0) await this.jobs.sendMany(em, JobName.EventsDeliverWebhook, deliveries);
    return stored;
  }

  /** One page of an organisme's feed after a cursor; with `wait`, holds the answer until an event comes or time is up. */
  async feed(actor: Actor, q: FeedQuery): Promise<FundEventPageView> {
    const organismeCode = this.feedOrganisme(actor, q.organismeCode);
    const cursor = decodeCursor(q.after);
    const resumed = q.after !== undefined && q.after !== '';
    const limit = q.limit ?? 100;
    const types = q.types?.length ? q.types : null;
    const deadline = this.clock.now().getTime() + (q.wait ?? 0) * 1000;
    for (;;) {
      const rows = organismeCode ? await this.repo.after(organismeCode, cursor, limit, types) : [];
      // Checked after the read (and on every look of a long poll): a purge committed before the read is seen here,
      // so a page can never silently step over purged events.
      if (organismeCode && resumed) await this.refuseExpired(organismeCode, cursor);
      if (rows.length > 0 || !organismeCode || this.stopping || this.clock.now().getTime() + POLL_MS > deadline)
        return page(rows, cursor);
      await this.clock.sleep(POLL_MS);
    }
  }

  /**
   * A cursor before the organisme's horizon (the newest event the retention purge deleted) may have missed purged
   * events: 410 EVENTS_CURSOR_EXPIRED with the oldest cursor still served. A cursor at or after it missed nothing.
   * No `after` at all means "from the oldest event kept" and is never refused.
   */
  private async refuseExpired(organismeCode: string, cursor: EventCursor): Promise<void> {
    const horizon = await this.repo.horizon(organismeCode);
    if (!horizon || !before(cursor, horizon)) return;
    throw EventsErrors.EVENTS_CURSOR_EXPIRED(encodeCursor(horizon));
  }

  /**
   * A fund reads its own organisme's feed; asking for another one reads nothing (as for an organisme that does not
   * exist). Operators must name the organisme: there is one feed per organisme, never a global one.
   */
  private feedOrganisme(actor: Actor, requested: string | undefined): string | null {
    if (actor.kind === PartnerKind.Fund) {
      if (!actor.organismeCode) return null;
      return requested && requested !== actor.organismeCode ? null : actor.organismeCode;
    }
    if (!requested) throw EventsErrors.EVENT_ORGANISME_REQUIRED();
    return requested;
  }
}

/** (txId, id) order, as the feed sorts. */
function before(a: EventCursor, b: EventCursor): boolean {
  const [at, bt] = [BigInt(a.txId), BigInt(b.txId)];
  return at < bt || (at === bt && BigInt(a.id) < BigInt(b.id));
}

function page(rows: StoredFundEvent[], cursor: EventCursor): FundEventPageView {
  const last = rows[rows.length - 1];
  return { items: rows.map(toEventView), next: encodeCursor(last ? { txId: last.txId, id: last.id } : cursor) };
}
