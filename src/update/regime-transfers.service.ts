import { Injectable, Logger } from '@nestjs/common';
import { Transactions } from '../platform/database/transactions.js';
import { CardsService } from '../cards/cards.service.js';
import { systemActor, type Actor } from '../platform/auth/actor.js';
import { AuditRecord, AuditService } from '../platform/audit/audit.service.js';
import { RegisterErrors } from '../register/register.errors.js';
import { RegimesErrors } from '../regimes/regimes.errors.js';
import { UpdateErrors } from './update.errors.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { BeneficiariesService, BENEFICIARY_ENTITY } from '../register/beneficiaries.service.js';
import { RegisterClock } from '../register/register-clock.js';
import type { CreateRegimeTransferDto, RegimeTransferView } from './dto/regime-transfer.dto.js';
import { MutationsService } from './mutations.service.js';
import { RegimeTransferStatus, type RegimeTransferMapping } from './regime-transfer.entity.js';
import { MutationsRepository } from './mutations.repository.js';
import { RegimeTransferRow, RegimeTransfersRepository } from './regime-transfers.repository.js';
import { isUuid, isRealDate } from '../platform/validation/ids.js';

export const REGIME_TRANSFER_ENTITY = 'regime_transfer';

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

const transferNotFound = UpdateErrors.REGIME_TRANSFER_NOT_FOUND;

export interface RecordOutcome {
  status: string;
  chunks: number;
}

/**
 * Regime transfers (the 2019 inter-regime "outgoing mutations" server): a whole regime absorbed by another, every
 * insured of the source organismes changing fund on one date, each keeping their card. The operator's request is
 * stored with its recording job (same transaction); the job does per insured what a change of fund does, set-based,
 * in chunks; on the effective date the ordinary due-mutation run applies them (MutationsService.applyDue).
 */
@Injectable()
export class RegimeTransfersService {
  /** Insured handled per recording transaction (tests lower it to see several chunks). */
  static recordChunkSize = 2000;
  private readonly logger = new Logger('update.regime-transfers');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: RegimeTransfersRepository,
    private readonly mutationRows: MutationsRepository,
    private readonly mutations: MutationsService,
    private readonly cards: CardsService,
    private readonly beneficiaries: BeneficiariesService,
    private readonly audit: AuditService,
    private readonly jobs: JobsService,
    private readonly clock: RegisterClock,
  ) {}

  async create(actor: Actor, dto: CreateRegimeTransferDto): Promise<RegimeTransferView> {
    const today = this.clock.today();
    if (!isRealDate(dto.effectiveDate)) throw UpdateErrors.MUTATION_DATE_INVALID(null);
    if (dto.effectiveDate < today) throw UpdateErrors.MUTATION_DATE_INVALID({ today });
    const mappings: RegimeTransferMapping[] = dto.mappings.map((m) => ({
      fromOrganismeCode: m.fromOrganismeCode,
      toOrganismeCode: m.toOrganismeCode,
    }));
    const sources = mappings.map((m) => m.fromOrganismeCode);
    const duplicates = [...new Set(sources.filter((c, i) => sources.indexOf(c) !== i))];
    if (duplicates.length) {
      throw UpdateErrors.REGIME_TRANSFER_SOURCE_DUPLICATE(duplicates);
    }
    const same = mappings.filter((m) => m.fromOrganismeCode === m.toOrganismeCode).map((m) => m.fromOrganismeCode);
    if (same.length) throw UpdateErrors.MUTATION_SAME_ORGANISME('mappings', same);
    // A target that is also a source would have its newcomers met again by the recording job (and chains A→B→C are
    // ambiguous): refused, the operator sends two transfers.
    const chained = [...new Set(mappings.map((m) => m.toOrganismeCode).filter((c) => sources.includes(c)))];
    if (chained.length) {
      throw UpdateErrors.REGIME_TRANSFER_CHAINED(chained);
    }
    return this.tx.run(async (em) => {
      const unknown = await this.repo.missingOrganismes(em, [
        ...new Set([...sources, ...mappings.map((m) => m.toOrganismeCode)]),
      ]);
      if (unknown.length) throw RegimesErrors.ORGANISME_UNKNOWN({ field: 'mappings', organismeCodes: unknown });
      await this.repo.lockCreation(em);
      const busy = await this.repo.busySources(em, sources);
      if (busy.length) {
        throw UpdateErrors.REGIME_TRANSFER_SOURCE_BUSY(
          [...new Set(busy.map((b) => b.code))],
          [...new Set(busy.map((b) => b.transferId))],
        );
      }
      const row = await this.repo.insert(em, {
        effectiveDate: dto.effectiveDate,
        mappings,
        requestedBy: actor.partnerId,
        requestId: actor.requestId,
      });
      await this.jobs.send(em, JobName.UpdateRecordRegimeTransfer, { transferId: row.id });
      await this.audit.record(em, actor, {
        action: 'regime_transfer.requested',
        entityType: REGIME_TRANSFER_ENTITY,
        entityId: row.id,
        details: { effectiveDate: dto.effectiveDate, mappings },
      });
      return view(row);
    });
  }

  async get(id: string): Promise<RegimeTransferView> {
    if (!isUuid(id)) throw transferNotFound();
    const row = await this.repo.find(this.tx.manager, id);
    if (!row) throw transferNotFound();
    return view(row);
  }

  /**
   * Starts the recording again after the job gave up (status failed, retries exhausted; the reason is on the
   * transfer): the job carries on from the committed cursor. Anything else is a conflict: nothing to resume.
   */
  async resume(actor: Actor, id: string): Promise<RegimeTransferView> {
    if (!isUuid(id)) throw transferNotFound();
    return this.tx.run(async (em) => {
      const row = await this.repo.find(em, id, true);
      if (!row) throw transferNotFound();
      if (row.status !== RegimeTransferStatus.Failed) {
        throw UpdateErrors.REGIME_TRANSFER_NOT_FAILED(row.status);
      }
      await this.repo.setStatus(em, id, RegimeTransferStatus.Pending);
      await this.jobs.send(em, JobName.UpdateRecordRegimeTransfer, { transferId: id });
      await this.audit.record(em, actor, {
        action: 'regime_transfer.resumed',
        entityType: REGIME_TRANSFER_ENTITY,
        entityId: id,
        details: { failure: row.failure },
      });
      return view((await this.repo.find(em, id))!);
    });
  }

  /** A page of transfers, newest first; `next` is the `after` of the following page (null on the last). */
  async list(limit = 50, after: string | null = null): Promise<{ items: RegimeTransferView[]; next: string | null }> {
    const items = (await this.repo.list(this.tx.manager, limit, after)).map(view);
    return { items, next: items.length === limit ? items[items.length - 1].id : null };
  }

  /**
   * The recording job: chunk after chunk, each its own transaction committed with its counts and cursor, until every
   * source organisme is worked through; then, when the date has come, the due mutations are applied at once.
   * Re-running it (a retry after a failure, an expired run, a duplicate job) carries on from the committed cursor and
   * never records an insured twice (an insured already switched has no affiliation current on the date any more).
   */
  async record(transferId: string): Promise<RecordOutcome> {
    let chunks = 0;
    for (;;) {
      const step = await this.recordChunk(transferId);
      if (step.done) {
        this.logger.log({ msg: 'regime transfer recorded', transferId, status: step.status, chunks });
        const row = await this.repo.find(this.tx.manager, transferId);
        if (row && row.status === RegimeTransferStatus.Recorded && row.effectiveDate <= this.clock.today()) {
          await this.mutations.applyDue();
          return { status: (await this.repo.find(this.tx.manager, transferId))!.status, chunks };
        }
        return { status: step.status, chunks };
      }
      chunks++;
    }
  }

  /** Keeps the reason of a failed run (the job is retried: the next run sets the status back to `recording`). */
  async markFailed(transferId: string, reason: string): Promise<void> {
    await this.tx.run(async (em) => {
      const row = await this.repo.find(em, transferId, true);
      if (!row || row.status === RegimeTransferStatus.Recorded || row.status === RegimeTransferStatus.Applied) return;
      await this.repo.setStatus(em, transferId, RegimeTransferStatus.Failed, reason.slice(0, 500));
      await this.audit.record(em, systemActor(row.requestId), {
        action: 'regime_transfer.failed',
        entityType: REGIME_TRANSFER_ENTITY,
        entityId: transferId,
        details: { reason: reason.slice(0, 500) },
      });
    });
  }

  /** One chunk: up to recordChunkSize insured of the current source organisme, or the move to the next source. */
  private async recordChunk(transferId: string): Promise<{ done: boolean; status: string }> {
    return this.tx
      .run(async (em) => {
        // The row lock serialises concurrent runs of the same transfer: each reads the cursor the other committed.
        const t = await this.repo.find(em, transferId, true);
        if (!t) return { done: true, status: 'unknown' };
        if (t.status === RegimeTransferStatus.Recorded || t.status === RegimeTransferStatus.Applied)
          return { done: true, status: t.status };
        const actor = systemActor(t.requestId);
        const ordered = [...t.mappings].sort((a, b) => a.fromOrganismeCode.localeCompare(b.fromOrganismeCode));
        const index = t.cursorOrganisme ? ordered.findIndex((m) => m.fromOrganismeCode === t.cursorOrganisme) : 0;
        const mapping = ordered[index];
        const after = t.cursorOrganisme ? (t.cursorBeneficiary ?? NIL_UUID) : NIL_UUID;
        const candidates = await this.repo.lockChunk(
          em,
          mapping.fromOrganismeCode,
          after,
          t.effectiveDate,
          RegimeTransfersService.recordChunkSize,
        );
        if (candidates.length === 0) {
          const next = ordered[index + 1];
          if (next) {
            await this.repo.advance(em, transferId, {
              insured: 0,
              cards: 0,
              skipped: 0,
              mutations: 0,
              cursorOrganisme: next.fromOrganismeCode,
              cursorBeneficiary: NIL_UUID,
            });
            return { done: false, status: RegimeTransferStatus.Recording };
          }
          const status = await this.repo.finish(em, transferId, this.clock.today());
          await this.audit.record(em, actor, {
            action: 'regime_transfer.recorded',
            entityType: REGIME_TRANSFER_ENTITY,
            entityId: transferId,
            details: {
              insured: t.insuredCount,
              cards: t.cardsCount,
              skipped: t.skippedCount,
              mutations: t.mutationsCount,
            },
          });
          return { done: true, status };
        }
        const from = mapping.fromOrganismeCode;
        const to = mapping.toOrganismeCode;
        const moving = candidates.filter((c) => c.skip === null);
        const skipped = candidates.filter((c) => c.skip !== null);
        const records: AuditRecord[] = [];
        let cards = 0;
        let mutations = 0;
        if (moving.length) {
          const ids = moving.map((c) => c.beneficiaryId);
          const movable = await this.cards.lockMovableIn(em, ids, from);
          await this.beneficiaries.moveAffiliationsIn(
            em,
            moving.map((c) => ({ affiliationId: c.affiliationId, beneficiaryId: c.beneficiaryId })),
            to,
            t.effectiveDate,
          );
          const cardsOf = new Map<string, string[]>();
          for (const c of movable) cardsOf.set(c.beneficiaryId, [...(cardsOf.get(c.beneficiaryId) ?? []), c.id]);
          // One mutation per movable card of each insured, or one with no card for an insured without one.
          const rows = ids.flatMap((id) =>
            (cardsOf.get(id) ?? [null]).map((cardId) => ({ beneficiaryId: id, cardId })),
          );
          await this.mutationRows.insertMutations(em, transferId, rows, from, to, t.effectiveDate);
          mutations = rows.length;
          cards = movable.length;
          // One audit entry per insured, as for a single change of fund (the audit insert is one statement).
          for (const id of ids) {
            records.push({
              action: 'beneficiary.mutation_recorded',
              entityType: BENEFICIARY_ENTITY,
              entityId: id,
              organismeCode: from,
              details: {
                fromOrganisme: from,
                toOrganisme: to,
                effectiveDate: t.effectiveDate,
                cardIds: cardsOf.get(id) ?? [],
                transferId,
              },
            });
          }
        }
        for (const c of skipped) {
          records.push({
            action: 'beneficiary.regime_transfer_skipped',
            entityType: BENEFICIARY_ENTITY,
            entityId: c.beneficiaryId,
            organismeCode: from,
            details: { transferId, reason: c.skip },
          });
        }
        await this.audit.record(em, actor, ...records);
        await this.repo.advance(em, transferId, {
          insured: moving.length,
          cards,
          skipped: skipped.length,
          mutations,
          cursorOrganisme: from,
          cursorBeneficiary: candidates[candidates.length - 1].beneficiaryId,
        });
        return { done: false, status: RegimeTransferStatus.Recording };
      })
      .catch((e: unknown) => {
        // A concurrent change of one insured's affiliations: the whole chunk rolls back and the retry meets the new state.
        if (e instanceof DomainError && e.code === RegisterErrors.AFFILIATION_OVERLAP.code) {
          throw new Error(`affiliation overlap while recording regime transfer ${transferId}; the chunk is retried`);
        }
        throw e;
      });
  }
}

function view(r: RegimeTransferRow): RegimeTransferView {
  return {
    id: r.id,
    status: r.status,
    effectiveDate: r.effectiveDate,
    mappings: r.mappings,
    counts: {
      insured: r.insuredCount,
      cards: r.cardsCount,
      skipped: r.skippedCount,
      mutations: r.mutationsCount,
      applied: r.appliedCount,
    },
    failure: r.failure,
    createdAt: r.createdAt.toISOString(),
    recordedAt: r.recordedAt?.toISOString() ?? null,
    appliedAt: r.appliedAt?.toISOString() ?? null,
  };
}
