import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { EmissionErrors } from '../emission.errors.js';
import { OPEN_REQUEST_STATUSES, RequestStatus } from '../requests/request-status.enum.js';
import type {
  LeadTimesView,
  OrganismePipelineView,
  PipelineView,
  StateCountView,
  StatusCountView,
  StuckPageView,
  StuckRequestView,
} from './dto/pipeline.dto.js';
import { LEAD_TIME_SEGMENTS, stepJob, type RequestSituation, type WaitingOn } from './pipeline-rules.js';
import { CardState } from '../../cards/card-state.enum.js';
import { CardsService, type CardStateCount } from '../../cards/cards.service.js';
import { PipelineRepository, StatusCount } from './pipeline.repository.js';

/** Card states of the chain itself, counted on the pipeline page (the rest of the card base is not the chain's). */
const CHAIN_CARD_STATES: readonly CardState[] = [
  CardState.Ordered,
  CardState.InPersonalisation,
  CardState.Shipped,
  CardState.ReturnedUndeliverable,
];

const DEFAULT_LEAD_TIME_DAYS = 90;

export interface StuckQuery {
  olderThanHours?: number;
  status?: RequestStatus;
  waitingOn?: WaitingOn[];
  organismeCode?: string;
  needsReview?: boolean;
  after?: string;
  limit?: number;
}

/** What operators see of the emission chain: counts per step, stuck requests, lead times. */
@Injectable()
export class PipelineService {
  constructor(
    private readonly repo: PipelineRepository,
    private readonly cards: CardsService,
    private readonly config: AppConfig,
  ) {}

  async summary(byOrganisme: boolean): Promise<PipelineView> {
    const hours = this.config.stuckAfterHours;
    const [requests, cards] = await Promise.all([
      this.repo.requestCounts(false, hours),
      this.cards.countByState(CHAIN_CARD_STATES, false),
    ]);
    const view: PipelineView = {
      stuckAfterHours: hours,
      openRequests: sum(requests, 'count'),
      stuck: sum(requests, 'stuck'),
      needsReview: sum(requests, 'needsReview'),
      requests: statusRows(requests),
      cards: stateRows(cards),
    };
    if (byOrganisme) view.organismes = await this.perOrganisme(hours);
    return view;
  }

  async stuck(q: StuckQuery): Promise<StuckPageView> {
    const olderThanHours = q.olderThanHours ?? this.config.stuckAfterHours;
    const limit = q.limit ?? 100;
    const rows = await this.repo.stuck({
      olderThanHours,
      statuses: q.status ? [q.status] : OPEN_REQUEST_STATUSES,
      waitingOn: q.waitingOn?.length ? q.waitingOn : null,
      organismeCode: q.organismeCode ?? null,
      needsReview: q.needsReview ?? null,
      after: decodeStuckCursor(q.after),
      limit,
    });
    const last = rows[rows.length - 1];
    return {
      olderThanHours,
      items: rows.map(toStuckView),
      next: rows.length === limit ? Buffer.from(`${last.sinceUs}.${last.id}`, 'utf8').toString('base64url') : null,
    };
  }

  async leadTimes(q: { since?: string; organismeCode?: string }): Promise<LeadTimesView> {
    const asked = q.since ? new Date(q.since) : null;
    if (asked && Number.isNaN(asked.getTime())) throw EmissionErrors.PIPELINE_SINCE_INVALID();
    // The default window is computed by the database clock, like every idle time of the pipeline.
    const { since, rows } = await this.repo.leadTimes(asked, DEFAULT_LEAD_TIME_DAYS, q.organismeCode ?? null);
    return {
      since,
      organismeCode: q.organismeCode ?? null,
      segments: rows.map((r, i) => ({
        segment: `${r.from}→${r.to}`,
        from: r.from,
        to: r.to,
        count: r.count,
        medianDays: round2(r.medianDays),
        p90Days: round2(r.p90Days),
        referenceDays: LEAD_TIME_SEGMENTS[i].referenceDays,
        referenceNote: LEAD_TIME_SEGMENTS[i].referenceNote,
      })),
    };
  }

  private async perOrganisme(hours: number): Promise<OrganismePipelineView[]> {
    const [requests, cards] = await Promise.all([
      this.repo.requestCounts(true, hours),
      this.cards.countByState(CHAIN_CARD_STATES, true),
    ]);
    const codes = [...new Set([...requests, ...cards].map((r) => r.organismeCode!))].sort();
    return codes.map((code) => ({
      organismeCode: code,
      requests: statusRows(requests.filter((r) => r.organismeCode === code)),
      cards: stateRows(cards.filter((c) => c.organismeCode === code)),
    }));
  }
}

export function toStuckView(s: RequestSituation): StuckRequestView {
  return {
    id: s.id,
    formNumber: s.formNumber,
    organismeCode: s.organismeCode,
    status: s.status,
    since: s.statusChangedAt,
    idleHours: s.idleHours,
    waitingOn: s.waitingOn,
    autoOrder: s.autoOrder,
    reinjections: s.reinjections,
    needsReview: s.needsReview,
    retryable: stepJob(s) !== null,
  };
}

function decodeStuckCursor(raw: string | undefined): { sinceUs: string; id: string } | null {
  if (!raw) return null;
  const m = /^(-?\d{1,18})\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(
    /^[A-Za-z0-9_-]+$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '',
  );
  if (!m) throw EmissionErrors.PIPELINE_CURSOR_INVALID();
  return { sinceUs: m[1], id: m[2] };
}

/** Every open status in chain order, zeros included, so a dashboard never has to guess a missing row. */
function statusRows(rows: StatusCount[]): StatusCountView[] {
  return OPEN_REQUEST_STATUSES.map((status) => {
    const mine = rows.filter((r) => r.status === status);
    return { status, count: sum(mine, 'count'), stuck: sum(mine, 'stuck'), needsReview: sum(mine, 'needsReview') };
  });
}

function stateRows(rows: CardStateCount[]): StateCountView[] {
  return CHAIN_CARD_STATES.map((state) => ({
    state,
    count: sum(
      rows.filter((r) => r.state === state),
      'count',
    ),
  }));
}

function sum<T, K extends keyof T>(rows: T[], key: K): number {
  return rows.reduce((n, r) => n + (r[key] as number), 0);
}

function round2(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100;
}
