import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { CardAction } from '../cards/card-action.enum.js';
import { formatSerial } from '../cards/card-serial.js';
import { OppositionReason } from '../cards/card-state.enum.js';
import { CARD_TRANSITIONS } from '../cards/card-transitions.js';
import { CardsService } from '../cards/cards.service.js';
import { AppConfig } from '../config/app-config.js';
import { FundEventType } from '../events/event-types.js';
import { FundEventsService } from '../events/fund-events.service.js';
import { systemActor, tenantScope, type Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { MetricsService } from '../platform/metrics/metrics.service.js';
import { isUuid } from '../platform/validation/ids.js';
import { DecisionOutcome, ReconciliationMode, ReconciliationRunStatus } from './reconciliation-class.enum.js';
import { ReconciliationErrors } from './reconciliation.errors.js';
import { ReconciliationRepository, type ReportRow, type RunRow } from './reconciliation.repository.js';
import type { RunDetailView, RunView, SurplusCounterView, ReconciliationWaveView } from './dto/reconciliation.dto.js';

const RUN_ENTITY = 'reconciliation_run';
/** Cards kept per transaction by apply (each chunk its own transaction: a long apply holds no lock for long). */
const KEEP_CHUNK = 5000;
/** Findings read per page of the CSV report. */
const REPORT_PAGE = 5000;

/** The CSV report's columns: serials and classes, never a NIR or a name (docs/reconciliation.md). */
export const REPORT_HEADER = 'serial;class;kept_serial;organisme;fund;regime;generation;origin';

const runNotFound = ReconciliationErrors.RECONCILIATION_RUN_NOT_FOUND;

export function toRunView(r: RunRow): RunView {
  return {
    id: r.id,
    mode: r.mode,
    status: r.status,
    cardsClassified: r.cardsClassified,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    error: r.error,
  };
}

const reportLine = (r: ReportRow): string =>
  [
    formatSerial(r.serial),
    r.class,
    r.keptSerial ? formatSerial(r.keptSerial) : '',
    r.organismeCode,
    r.fundCode,
    r.regimeCode,
    r.generation,
    r.origin,
  ].join(';');

/**
 * Reconciliation of a taken-over card base (docs/reconciliation.md): runs classify every usable card against the
 * register (a dry run writes only its findings); apply keeps one card per person and decides the oppositions, which
 * waves carry out through the cards module, capped per day.
 */
@Injectable()
export class ReconciliationService implements OnModuleInit {
  private readonly logger = new Logger('reconciliation');
  private readonly surplusGauge: Gauge;

  constructor(
    private readonly tx: Transactions,
    private readonly repo: ReconciliationRepository,
    private readonly cards: CardsService,
    private readonly events: FundEventsService,
    private readonly jobs: JobsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.surplusGauge = new Gauge({
      name: 'reconciliation_surplus_cards',
      help: 'Surplus cards per regime: found by the latest reconciliation run, and invalidated (opposed) by its waves',
      labelNames: ['regime', 'status'],
      registers: [metrics.registry],
    });
  }

  onModuleInit(): void {
    this.metrics.onScrape(async () => {
      const counters = await this.repo.surplusCounters(null);
      this.surplusGauge.reset();
      for (const c of counters) {
        this.surplusGauge.set({ regime: c.regimeCode, status: 'found' }, c.found);
        this.surplusGauge.set({ regime: c.regimeCode, status: 'invalidated' }, c.invalidated);
      }
    });
  }

  /** Asks for a run: the run row and its job in one transaction; another run pending or running refuses it. */
  request(actor: Actor, mode: ReconciliationMode): Promise<RunView> {
    return this.tx.run(async (em) => {
      const run = await this.repo.insertRun(em, { mode, requestedBy: actor.partnerId, requestId: actor.requestId });
      await this.jobs.send(em, JobName.ReconciliationRun, { runId: run.id });
      await this.audit.record(em, actor, {
        action: 'reconciliation.requested',
        entityType: RUN_ENTITY,
        entityId: run.id,
        organismeCode: null,
        details: { mode },
      });
      return toRunView(run);
    });
  }

  async list(limit = 50): Promise<RunView[]> {
    return (await this.repo.listRuns(limit)).map(toRunView);
  }

  /** A run and its counts per regime, fund, organisme and class (a fund: its own organisme's cards only). */
  async get(actor: Actor, id: string): Promise<RunDetailView> {
    const run = await this.findRun(id);
    const counts = run.status === ReconciliationRunStatus.Done ? await this.repo.counts(id, tenantScope(actor)) : [];
    return { ...toRunView(run), counts };
  }

  /**
   * The run's findings as CSV lines (header first), page by page (a fund: its own organisme's cards only); the read
   * is audited before the first line goes.
   */
  async report(actor: Actor, id: string): Promise<AsyncIterable<string>> {
    const run = await this.findRun(id);
    if (run.status !== ReconciliationRunStatus.Done) throw ReconciliationErrors.RECONCILIATION_RUN_NOT_DONE(run.status);
    const scope = tenantScope(actor);
    await this.tx.run((em) =>
      this.audit.record(em, actor, {
        action: 'reconciliation.report_read',
        entityType: RUN_ENTITY,
        entityId: id,
        organismeCode: scope,
        details: {},
      }),
    );
    const repo = this.repo;
    return (async function* () {
      yield `${REPORT_HEADER}\n`;
      let after: { serial: string; class: string } | null = null;
      for (;;) {
        const rows = await repo.reportPage(id, scope, after, REPORT_PAGE);
        if (rows.length === 0) return;
        yield rows.map(reportLine).join('\n') + '\n';
        if (rows.length < REPORT_PAGE) return;
        const last = rows[rows.length - 1];
        after = { serial: last.serial, class: last.class };
      }
    })();
  }

  /** Surplus cards found and invalidated per regime (a fund: its own organisme's cards only). */
  surplusCounters(actor: Actor): Promise<SurplusCounterView[]> {
    return this.repo.surplusCounters(tenantScope(actor));
  }

  /**
   * The job: classifies every usable card (findings) and, for an apply, decides and keeps; a redelivered job finds
   * its run finished and does nothing, and a run left running by a crash starts its findings over.
   */
  async process(runId: string): Promise<void> {
    const run = await this.repo.findRun(runId);
    if (!run || !(await this.claim(run))) return;
    const started = Date.now();
    const actor = systemActor(run.requestId);
    try {
      const classified = await this.repo.classify(runId, this.config.reconcileWorkers);
      await this.tx.run(async (em) => {
        if (run.mode === ReconciliationMode.DryRun) await this.repo.finish(em, runId, classified);
        else {
          const decided = await this.repo.decide(em, runId);
          await this.audit.record(em, actor, {
            action: 'reconciliation.decided',
            entityType: RUN_ENTITY,
            entityId: runId,
            organismeCode: null,
            details: { decided },
          });
        }
      });
      if (run.mode === ReconciliationMode.Apply) {
        let kept = 0;
        for (;;) {
          const n = await this.tx.run(async (em) => {
            const ids = await this.repo.keepable(em, runId, KEEP_CHUNK);
            return ids.length === 0 ? 0 : this.cards.keepReconciledIn(em, actor, ids, runId);
          });
          if (n === 0) break;
          kept += n;
        }
        await this.tx.run(async (em) => {
          await this.repo.finish(em, runId, classified);
          await this.jobs.send(em, JobName.ReconciliationWave, {});
          await this.audit.record(em, actor, {
            action: 'reconciliation.applied',
            entityType: RUN_ENTITY,
            entityId: runId,
            organismeCode: null,
            details: { kept },
          });
        });
      }
      this.logger.log({ msg: 'reconciliation run done', runId, mode: run.mode, classified, ms: Date.now() - started });
    } catch (e) {
      await this.repo.fail(runId, (e as { code?: string }).code ?? 'INTERNAL_ERROR');
      throw e;
    }
  }

  /**
   * One wave: under the wave lock, opposes the oldest undone decisions up to what RECONCILE_DAILY_LIMIT leaves for
   * today, through the cards module (set-based, each card audited), with each card's fund event; a card that left
   * the states an opposition starts from meanwhile is skipped. Answers what it did.
   */
  wave(actor: Actor = systemActor()): Promise<ReconciliationWaveView> {
    const limit = this.config.reconcileDailyLimit;
    return this.tx.run(async (em) => {
      await this.repo.lockWaves(em);
      const before = await this.repo.opposedToday(em);
      const pending = await this.repo.pendingOppositions(em, limit - before);
      const states = new Map(
        (
          await this.cards.lockStatesIn(
            em,
            pending.map((p) => p.cardId),
          )
        ).map((c) => [c.id, c]),
      );
      const from = CARD_TRANSITIONS[CardAction.Oppose].from;
      const opposable = pending.filter((p) => from.includes(states.get(p.cardId)!.state));
      const skipped = pending.filter((p) => !opposable.includes(p));
      for (const reason of [OppositionReason.Surplus, OppositionReason.HolderDeceased]) {
        const ids = opposable.filter((p) => p.reason === reason).map((p) => p.cardId);
        if (ids.length === 0) continue;
        const moved = await this.cards.transitionManyByIdIn(em, actor, ids, CardAction.Oppose, { reason });
        await this.events.append(
          em,
          ...moved.map((v) => ({
            organismeCode: v.organismeCode,
            type: FundEventType.CardOpposed,
            subjectType: 'card' as const,
            subjectId: v.id,
            data: { cardId: v.id, serial: v.serial, reason },
          })),
        );
      }
      await this.repo.markApplied(
        em,
        opposable.map((p) => p.cardId),
        DecisionOutcome.Opposed,
      );
      await this.repo.markApplied(
        em,
        skipped.map((p) => p.cardId),
        DecisionOutcome.Skipped,
      );
      const remaining = await this.repo.pendingCount(em);
      if (pending.length > 0)
        this.logger.log({ msg: 'reconciliation wave', opposed: opposable.length, skipped: skipped.length, remaining });
      return {
        opposed: opposable.length,
        skipped: skipped.length,
        opposedToday: before + opposable.length,
        dailyLimit: limit,
        remaining,
      };
    });
  }

  private async findRun(id: string): Promise<RunRow> {
    if (!isUuid(id)) throw runNotFound();
    const run = await this.repo.findRun(id);
    if (!run) throw runNotFound();
    return run;
  }

  private async claim(run: RunRow): Promise<boolean> {
    if (run.status === ReconciliationRunStatus.Pending) return this.repo.start(run.id);
    if (run.status === ReconciliationRunStatus.Running) return this.repo.restart(run.id);
    return false;
  }
}
