import { Injectable } from '@nestjs/common';
import { CardsService } from '../cards/cards.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { BeneficiariesService } from '../register/beneficiaries.service.js';
import { FamiliesService } from '../register/families.service.js';
import { TIMELINE_MAX, type InsuredFileView, type TimelinePageView } from './dto/insight.dto.js';
import { InsightErrors } from './insight.errors.js';
import { InsightRepository } from './insight.repository.js';

const DEFAULT_TIMELINE = 50;
const CARDS_SHOWN = 50;

/**
 * The insured's file: identity, affiliations, cards, dependants (each read through its module: same tenant rule,
 * same audit; another fund's insured is the register's not-found) and one timeline, newest first, by pages.
 */
@Injectable()
export class InsuredFileService {
  constructor(
    private readonly beneficiaries: BeneficiariesService,
    private readonly families: FamiliesService,
    private readonly cards: CardsService,
    private readonly repo: InsightRepository,
  ) {}

  async file(actor: Actor, id: string, q: { before?: string; limit?: number } = {}): Promise<InsuredFileView> {
    const before = decodeCursor(q.before);
    // The identity first: it applies the tenant rule (404) and audits the read before anything else is read.
    const identity = await this.beneficiaries.get(actor, id);
    const [affiliations, dependants, cards, timeline] = await Promise.all([
      this.beneficiaries.affiliations(actor, id),
      this.families.dependantsOf(actor, id),
      this.cards.list(actor, { beneficiaryId: id, limit: CARDS_SHOWN }),
      this.page(id, before, q.limit),
    ]);
    return { identity, affiliations, dependants, cards: cards.items, timeline };
  }

  /** One more page of the timeline (the file's `timeline.next`); the identity read applies the tenant rule. */
  async timeline(actor: Actor, id: string, q: { before?: string; limit?: number } = {}): Promise<TimelinePageView> {
    const before = decodeCursor(q.before);
    await this.beneficiaries.get(actor, id);
    return this.page(id, before, q.limit);
  }

  private async page(
    id: string,
    before: { at: string; kind: string; id: string } | null,
    limit = DEFAULT_TIMELINE,
  ): Promise<TimelinePageView> {
    const rows = await this.repo.timeline(id, before, Math.min(limit, TIMELINE_MAX));
    const last = rows[rows.length - 1];
    return {
      items: rows,
      next:
        rows.length === limit
          ? Buffer.from(JSON.stringify([new Date(last.at).toISOString(), last.kind, last.id]), 'utf8').toString(
              'base64url',
            )
          : null,
    };
  }
}

const KINDS = ['card_state', 'kiosk_exchange', 'mutation', 'opposition', 'request'];

function decodeCursor(raw: string | undefined): { at: string; kind: string; id: string } | null {
  if (raw === undefined) return null;
  try {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(raw)) throw new Error();
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      typeof v[0] === 'string' &&
      !Number.isNaN(Date.parse(v[0])) &&
      KINDS.includes(v[1] as string) &&
      typeof v[2] === 'string' &&
      /^[0-9a-f-]{1,36}$/.test(v[2])
    )
      return { at: v[0], kind: v[1] as string, id: v[2] };
  } catch {
    // falls through to the error
  }
  throw InsightErrors.TIMELINE_CURSOR_INVALID();
}
