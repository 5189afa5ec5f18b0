import { Injectable } from '@nestjs/common';
import { CardState } from '../cards/card-state.enum.js';
import { LEAD_TIME_SEGMENTS } from '../emission/pipeline/pipeline-rules.js';
import { PipelineService } from '../emission/pipeline/pipeline.service.js';
import { OPEN_REQUEST_STATUSES } from '../emission/requests/request-status.enum.js';
import { AppConfig } from '../config/app-config.js';
import { type Actor, tenantScope } from '../platform/auth/actor.js';
import type { DashboardView, KioskHourView, LeadTimeSeriesView } from './dto/insight.dto.js';
import { InsightFiguresService } from './insight-figures.service.js';
import { InsightRepository, type LeadTimeDayRow } from './insight.repository.js';

const DEFAULT_DAYS = 30;
const STUCK_SHOWN = 20;
/** Scopes (organismes, or all) whose past days' lead times are kept in memory: one entry per fund at most. */
const PAST_DAYS_KEPT = 500;

/**
 * The dashboard's figures. Counts over the card base and the kiosk exchanges per hour come from the minute's snapshot
 * (never a count of a million cards per page); the rest is read live on indexes bounded by time or by a limit. A fund sees only its organisme:
 * every figure is filtered by tenantScope, other funds' rows never leave this service.
 */
@Injectable()
export class DashboardService {
  /**
   * The lead times of days already over, per scope and period, computed once a day per instance: a day's figures
   * are those of the requests that reached the segment's end that day, so they no longer change (a percentile over
   * a month of a million cards' requests is too long to count at each page); today's are counted at each call.
   */
  private readonly pastDays = new Map<string, { today: string; rows: LeadTimeDayRow[] }>();

  constructor(
    private readonly repo: InsightRepository,
    private readonly figures: InsightFiguresService,
    private readonly pipeline: PipelineService,
    private readonly config: AppConfig,
  ) {}

  async figuresFor(actor: Actor, q: { days?: number } = {}): Promise<DashboardView> {
    const scope = tenantScope(actor);
    const days = q.days ?? DEFAULT_DAYS;
    const mine = <R extends unknown[]>(rows: R[]) => (scope === null ? rows : rows.filter((r) => r[0] === scope));
    const [snapshot, stuck, leadRows, lists, failing] = await Promise.all([
      this.figures.snapshot(),
      this.pipeline.stuck({ organismeCode: scope ?? undefined, limit: STUCK_SHOWN }),
      this.leadTimes(scope, days),
      this.repo.oppositionLists(10),
      actor.kind === 'operator' ? this.repo.failedJobs(24) : Promise.resolve(null),
    ]);
    const cards = new Map<string, number>(Object.values(CardState).map((s) => [s, 0]));
    const requests = new Map(OPEN_REQUEST_STATUSES.map((s) => [s as string, { count: 0, stuck: 0 }]));
    for (const [, state, n] of mine(snapshot?.figures.cards ?? [])) cards.set(state, (cards.get(state) ?? 0) + n);
    for (const [, status, n, st] of mine(snapshot?.figures.requests ?? [])) {
      const r = requests.get(status);
      if (r) {
        r.count += n;
        r.stuck += st;
      }
    }
    const stuckCount = [...requests.values()].reduce((n, r) => n + r.stuck, 0);
    return {
      organismeCode: scope,
      figuresTakenAt: snapshot ? new Date(snapshot.takenAt) : null,
      stuckAfterHours: snapshot?.figures.stuckAfterHours ?? this.config.stuckAfterHours,
      cards: [...cards].map(([label, count]) => ({ label, count })),
      requests: [...requests].map(([status, r]) => ({ status, ...r })),
      stuckCount,
      stuck: stuck.items,
      leadTimeDays: days,
      leadTimes: LEAD_TIME_SEGMENTS.map((s, i): LeadTimeSeriesView => ({
        segment: `${s.from}→${s.to}`,
        referenceDays: s.referenceDays,
        days: leadRows
          .filter((r) => r.segment === i + 1)
          .map((r) => ({ day: r.day, count: r.count, medianDays: round2(r.medianDays), p90Days: round2(r.p90Days) })),
      })),
      kioskPerHour: perHour(mine(snapshot?.figures.kioskPerHour ?? [])),
      oppositionLists: lists,
      failingJobs: failing,
    };
  }

  private async leadTimes(scope: string | null, days: number): Promise<LeadTimeDayRow[]> {
    const [today, current] = await Promise.all([
      this.repo.today(),
      this.repo.leadTimesPerDay(LEAD_TIME_SEGMENTS, scope, { fromDaysAgo: 0, toDaysAgo: null }),
    ]);
    const key = keyOf(scope, days);
    let past = this.pastDays.get(key);
    if (past?.today !== today) {
      const rows =
        days > 1
          ? await this.repo.leadTimesPerDay(LEAD_TIME_SEGMENTS, scope, { fromDaysAgo: days - 1, toDaysAgo: 0 })
          : [];
      past = { today, rows };
      if (this.pastDays.size >= PAST_DAYS_KEPT) this.pastDays.clear();
      this.pastDays.set(key, past);
    }
    return [...past.rows, ...current.filter((r) => r.day === today)];
  }
}

function keyOf(scope: string | null, days: number): string {
  return `${scope ?? '*'}:${days}`;
}

/**
 * The snapshot's [organisme, hour, result, count] rows (already the caller's) as one entry per hour, oldest first, each
 * result summed over the organismes: read from the minute's snapshot, as a fund's live count would join every
 * exchange of the day to its card (half a second on a million cards).
 */
function perHour(rows: Array<[string, string, string, number]>): KioskHourView[] {
  const out = new Map<number, KioskHourView>();
  for (const [, hour, result, count] of rows) {
    const t = new Date(hour).getTime();
    const h = out.get(t) ?? { hour: new Date(t), results: {} };
    h.results[result] = (h.results[result] ?? 0) + count;
    out.set(t, h);
  }
  return [...out.values()].sort((a, b) => a.hour.getTime() - b.hour.getTime());
}

function round2(n: number | null): number | null {
  return n === null ? null : Math.round(Number(n) * 100) / 100;
}
