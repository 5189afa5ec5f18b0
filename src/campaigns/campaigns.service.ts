import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { CardRequestsService } from '../emission/requests/card-requests.service.js';
import { yearsBefore } from '../emission/requests/request-rules.js';
import { systemActor, type Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { isUuid } from '../platform/validation/ids.js';
import { RegisterClock } from '../register/register-clock.js';
import type { CohortDefinition } from './campaign.entity.js';
import { CampaignRecord, CampaignRepository, CohortQuery, MemberRow, type WaveRecord } from './campaign.repository.js';
import { CAMPAIGN_TRANSITIONS, CampaignAction, CampaignMemberOutcome, CampaignStatus } from './campaign-status.enum.js';
import { CampaignsErrors } from './campaigns.errors.js';
import type {
  CampaignListView,
  CampaignView,
  CohortDto,
  CreateCampaignDto,
  DryRunView,
  FunnelView,
  WaveListView,
  WaveRunView,
} from './dto/campaign.dto.js';

export const CAMPAIGN_ENTITY = 'campaign';

const campaignNotFound = CampaignsErrors.CAMPAIGN_NOT_FOUND;

/**
 * Renewal campaigns (docs/campaigns.md): an operator defines a cohort of card holders, sizes it in a dry run, then
 * runs it in daily waves within the day's capacity. Each wave opens card requests (step 1) through the emission
 * chain's requests service, chunk by chunk, each chunk one transaction that also moves the campaign's cursor, so a
 * pause, a crash or a second instance neither repeats nor loses a holder.
 */
@Injectable()
export class CampaignsService {
  /** Holders handled per wave transaction (tests lower it to see a wave in several chunks). */
  static chunkSize = 200;

  constructor(
    private readonly tx: Transactions,
    private readonly repo: CampaignRepository,
    private readonly requests: CardRequestsService,
    private readonly audit: AuditService,
    private readonly jobs: JobsService,
    private readonly clock: RegisterClock,
    private readonly config: AppConfig,
  ) {}

  /** The cohort's size today, per regime; writes nothing. */
  async dryRun(cohort: CohortDto): Promise<DryRunView> {
    return this.tx.run(async (em) => {
      const definition = await this.checkedCohort(em, cohort);
      return this.sizeIn(em, definition);
    });
  }

  async create(actor: Actor, dto: CreateCampaignDto): Promise<CampaignView> {
    return this.tx.run(async (em) => {
      const cohort = await this.checkedCohort(em, dto.cohort);
      const size = await this.sizeIn(em, cohort);
      const c = await this.repo.insert(em, {
        name: dto.name,
        cohort,
        dailyLimit: dto.dailyLimit ?? null,
        cohortSize: size.holders,
      });
      await this.audit.record(em, actor, {
        action: 'campaign.created',
        entityType: CAMPAIGN_ENTITY,
        entityId: c.id,
        details: { cohort, dailyLimit: c.dailyLimit, cohortSize: c.cohortSize },
      });
      return toView(c);
    });
  }

  async get(id: string): Promise<CampaignView> {
    return toView(await this.found(id));
  }

  async list(limit: number, after: string | null): Promise<CampaignListView> {
    const rows = await this.repo.list(limit, after);
    return { items: rows.map(toView), next: rows.length === limit ? rows[rows.length - 1].id : null };
  }

  async waves(id: string): Promise<WaveListView> {
    await this.found(id);
    return { items: (await this.repo.waves(id)).map(toWaveView), next: null };
  }

  /**
   * start, pause, resume, cancel: the status moves only from the states the machine allows (the database's trigger
   * refuses any other pair). Start and resume enqueue a wave run at once; cancel closes the open wave, giving the
   * day's unsent share back. Forms already sent follow their course (reminders, expiry).
   */
  async move(actor: Actor, id: string, action: CampaignAction): Promise<CampaignView> {
    if (!isUuid(id)) throw campaignNotFound();
    const rule = CAMPAIGN_TRANSITIONS[action];
    return this.tx.run(async (em) => {
      const moved = await this.repo.transition(em, id, rule.from, rule.to);
      if (!moved) {
        const c = await this.repo.find(id, em);
        if (!c) throw campaignNotFound();
        throw CampaignsErrors.CAMPAIGN_STATE_CONFLICT(action, c.status, rule.from);
      }
      if (rule.to === CampaignStatus.Cancelled) await this.repo.closeWaves(em, id, null);
      if (rule.to === CampaignStatus.Running) await this.jobs.send(em, JobName.CampaignsRunWaves, {});
      await this.audit.record(em, actor, {
        action: `campaign.${action}`,
        entityType: CAMPAIGN_ENTITY,
        entityId: id,
        details: { status: moved.status },
      });
      return toView(moved);
    });
  }

  /**
   * The funnel: operators see every number, a fund only those of the insured it manages (the requests opened under
   * its organisme); another fund's numbers never appear.
   */
  async funnel(actor: Actor, id: string): Promise<FunnelView> {
    await this.found(id);
    const organismeCode = actor.kind === 'fund' ? (actor.organismeCode ?? '') : null;
    return { campaignId: id, organismeCode, ...(await this.repo.funnel(id, organismeCode)) };
  }

  /**
   * The job: for each running campaign, today's wave (created once, whatever the instances: a unique index), sized
   * by what the day's capacity grants it, then sent chunk by chunk. `maxChunks` stops the run early (the next run
   * carries on where it stopped).
   */
  async runWaves(opts: { maxChunks?: number } = {}): Promise<WaveRunView> {
    const today = this.clock.today();
    const out: WaveRunView = { campaigns: 0, sent: 0, skipped: 0 };
    let budget = opts.maxChunks ?? Number.POSITIVE_INFINITY;
    for (const id of await this.repo.runningIds()) {
      out.campaigns++;
      await this.tx.run((em) => this.openWaveIn(em, id, today));
      while (budget > 0) {
        budget--;
        const chunk = await this.tx.run((em) => this.sendChunkIn(em, id, today));
        out.sent += chunk.sent;
        out.skipped += chunk.skipped;
        if (chunk.last) break;
      }
    }
    return out;
  }

  /** Today's wave, when the campaign runs and has none yet: created, then given its share of the day's capacity. */
  private async openWaveIn(em: EntityManager, id: string, today: string): Promise<void> {
    const c = await this.repo.lockForWave(em, id, false);
    if (c?.status !== CampaignStatus.Running) return;
    // A wave of an earlier day stopped short (a pause, a crash) is not finished later: each day has its own.
    await this.repo.closeWaves(em, id, today);
    const waveId = await this.repo.insertWave(em, id, today);
    if (!waveId) return;
    const capacity = this.config.campaignDailyCapacity;
    const granted = await this.repo.reserveCapacity(em, today, capacity, Math.min(c.dailyLimit ?? capacity, capacity));
    await this.repo.setPlanned(em, waveId, granted);
  }

  /**
   * One chunk of today's wave, in one transaction: the campaign row locked (another run holding it is left to it) and
   * still running, its open wave, the next holders of the cohort after the cursor, a request opened for each (or skipped
   * when one is open), members, counts and cursor recorded. `last`: nothing more to do in this run.
   */
  private async sendChunkIn(
    em: EntityManager,
    id: string,
    today: string,
  ): Promise<{ sent: number; skipped: number; last: boolean }> {
    const none = { sent: 0, skipped: 0, last: true };
    // The campaign's row first (another run holding it carries on, this one stops), then its wave.
    const c = await this.repo.lockForWave(em, id, true);
    if (c?.status !== CampaignStatus.Running) return none;
    const wave = await this.repo.lockOpenWave(em, id, today);
    if (!wave) return none;
    const remaining = wave.planned - wave.sent;
    if (remaining <= 0) {
      await this.repo.closeWave(em, wave.id, false);
      return none;
    }
    const holders = await this.repo.nextHolders(
      em,
      cohortQuery(c.cohort, today),
      c.cursor,
      Math.min(CampaignsService.chunkSize, remaining),
    );
    if (holders.length === 0) {
      await this.repo.closeWave(em, wave.id, true);
      await this.repo.transition(em, id, [CampaignStatus.Running], CampaignStatus.Completed);
      await this.audit.record(em, systemActor(), {
        action: 'campaign.completed',
        entityType: CAMPAIGN_ENTITY,
        entityId: id,
        details: { sent: c.sent, skipped: c.skipped },
      });
      return none;
    }
    const members: MemberRow[] = [];
    for (const h of holders) {
      const requestId = await this.requests.openForCampaignIn(em, {
        campaignId: id,
        beneficiaryId: h.beneficiaryId,
        organismeCode: h.organismeCode,
        replacedCardId: h.cardId,
      });
      members.push({
        ...h,
        requestId,
        outcome: requestId ? CampaignMemberOutcome.Sent : CampaignMemberOutcome.SkippedOpenRequest,
      });
    }
    await this.repo.recordChunk(em, {
      campaignId: id,
      waveId: wave.id,
      members,
      cursor: holders[holders.length - 1].beneficiaryId,
    });
    const sent = members.filter((m) => m.requestId).length;
    const full = wave.sent + sent >= wave.planned;
    if (full) await this.repo.closeWave(em, wave.id, false);
    return { sent, skipped: members.length - sent, last: full };
  }

  /** The cohort as sent, checked against the reference data; what is stored and re-read by every wave. */
  private async checkedCohort(em: EntityManager, dto: CohortDto): Promise<CohortDefinition> {
    if (dto.generation === undefined && dto.notUpdatedForMonths === undefined) {
      throw CampaignsErrors.CAMPAIGN_COHORT_UNBOUNDED();
    }
    const unknown = await this.repo.unknownRegimes(em, dto.regimeCodes);
    if (unknown) throw CampaignsErrors.CAMPAIGN_REGIME_UNKNOWN(unknown);
    if (dto.fundCodes) {
      const outside = await this.repo.outsideRegimes(em, 'fund', dto.fundCodes, dto.regimeCodes);
      if (outside) throw CampaignsErrors.CAMPAIGN_SCOPE_OUTSIDE_REGIMES('cohort.fundCodes', outside);
    }
    if (dto.organismeCodes) {
      const outside = await this.repo.outsideRegimes(em, 'organisme', dto.organismeCodes, dto.regimeCodes);
      if (outside) throw CampaignsErrors.CAMPAIGN_SCOPE_OUTSIDE_REGIMES('cohort.organismeCodes', outside);
    }
    const out: CohortDefinition = { regimeCodes: [...dto.regimeCodes].sort() };
    if (dto.fundCodes) out.fundCodes = [...dto.fundCodes].sort();
    if (dto.organismeCodes) out.organismeCodes = [...dto.organismeCodes].sort();
    if (dto.generation !== undefined) out.generation = dto.generation;
    if (dto.minAge !== undefined) out.minAge = dto.minAge;
    if (dto.notUpdatedForMonths !== undefined) out.notUpdatedForMonths = dto.notUpdatedForMonths;
    if (dto.origin !== undefined) out.origin = dto.origin;
    return out;
  }

  private async sizeIn(em: EntityManager, cohort: CohortDefinition): Promise<DryRunView> {
    const perRegime = await this.repo.cohortSize(cohortQuery(cohort, this.clock.today()), em);
    const holders = [...perRegime.values()].reduce((a, b) => a + b, 0);
    return {
      holders,
      perRegime: [...perRegime].map(([regimeCode, n]) => ({ regimeCode, holders: n })),
      daysAtCapacity: Math.ceil(holders / this.config.campaignDailyCapacity),
    };
  }

  private async found(id: string): Promise<CampaignRecord> {
    if (!isUuid(id)) throw campaignNotFound();
    const c = await this.repo.find(id);
    if (!c) throw campaignNotFound();
    return c;
  }
}

function cohortQuery(c: CohortDefinition, today: string): CohortQuery {
  return {
    today,
    regimeCodes: c.regimeCodes,
    fundCodes: c.fundCodes ?? null,
    organismeCodes: c.organismeCodes ?? null,
    generation: c.generation ?? null,
    bornBy: c.minAge === undefined ? null : yearsBefore(today, c.minAge),
    notUpdatedForMonths: c.notUpdatedForMonths ?? null,
    origin: c.origin ?? null,
  };
}

function toView(c: CampaignRecord): CampaignView {
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    cohort: c.cohort as CampaignView['cohort'],
    dailyLimit: c.dailyLimit,
    cohortSize: c.cohortSize,
    sent: c.sent,
    skipped: c.skipped,
    createdAt: c.createdAt,
    statusChangedAt: c.statusChangedAt,
  };
}

function toWaveView(w: WaveRecord) {
  return {
    day: w.waveDay,
    planned: w.planned,
    sent: w.sent,
    skipped: w.skipped,
    status: w.status,
    finishedAt: w.finishedAt,
  };
}
