import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../platform/database/transactions.js';
import { formatOptionalSerial } from '../cards/card-serial.js';
import { CARD_AUDIT_ENTITY, CardsService } from '../cards/cards.service.js';
import { FundEventType, type NewFundEvent } from '../events/event-types.js';
import { FundEventsService } from '../events/fund-events.service.js';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import { tenantScope, type Actor } from '../platform/auth/actor.js';
import { systemActor } from '../platform/auth/actor.js';
import { AuditRecord, AuditService } from '../platform/audit/audit.service.js';
import { RegisterErrors } from '../register/register.errors.js';
import { RegimesErrors } from '../regimes/regimes.errors.js';
import { UpdateErrors } from './update.errors.js';
import { BeneficiariesService, BENEFICIARY_ENTITY, beneficiaryNotFound } from '../register/beneficiaries.service.js';
import { RegisterClock } from '../register/register-clock.js';
import { FamiliesService } from '../register/families.service.js';
import type {
  ApplyDueView,
  CreateMutationDto,
  MutationStatsView,
  MutationView,
  NirChangeDto,
  NirChangeView,
} from './dto/mutation.dto.js';
import { validateNir } from '../register/nir.js';
import { CardMutationKind } from './mutation.entity.js';
import { MutationRow, MutationsRepository } from './mutations.repository.js';
import { RegimeTransfersRepository } from './regime-transfers.repository.js';
import { isUuid, isRealDate } from '../platform/validation/ids.js';

/**
 * Mutations that keep the card (issue #6 §2): a change of fund ends the current affiliation and opens the new one;
 * on the effective date the insured's cards move to the new organisme with their serial, and the chip's organisme
 * record becomes a pending online update. A return to the former fund is the same operation ("ping-pong").
 */
@Injectable()
export class MutationsService {
  constructor(
    private readonly tx: Transactions,
    private readonly repo: MutationsRepository,
    private readonly transfers: RegimeTransfersRepository,
    private readonly cards: CardsService,
    private readonly beneficiaries: BeneficiariesService,
    private readonly audit: AuditService,
    private readonly events: FundEventsService,
    private readonly clock: RegisterClock,
    private readonly families: FamiliesService,
  ) {}

  /**
   * Records a change of fund, by the outgoing fund (its current affiliate only) or an operator; applies it at once when
   * due. The work is bounded by the one insured: other insured's due mutations are left to the job.
   */
  async create(actor: Actor, beneficiaryId: string, dto: CreateMutationDto): Promise<MutationView> {
    const organismeCode = tenantScope(actor);
    if (actor.kind === PartnerKind.Fund && !organismeCode) throw beneficiaryNotFound();
    if (!isUuid(beneficiaryId)) throw beneficiaryNotFound();
    const today = this.clock.today();
    if (!isRealDate(dto.effectiveDate)) throw UpdateErrors.MUTATION_DATE_INVALID(null);
    // A concurrent change of the same person's affiliations is refused by the register (AFFILIATION_OVERLAP).
    return this.tx.run(async (em) => {
      const current = await this.repo.lockCurrent(em, organismeCode, beneficiaryId, today);
      if (!current) {
        if (organismeCode || !(await this.repo.beneficiaryExists(em, beneficiaryId))) throw beneficiaryNotFound();
        throw UpdateErrors.BENEFICIARY_NOT_AFFILIATED();
      }
      // This insured's own changes that came due before the hourly job ran are applied first, in order (the
      // run lock, as every due-mutation run takes): a few rows. The whole system's due mutations are the job's
      // and the operator's bounded route's, never a fund's request.
      await this.repo.lockApplyRun(em);
      await this.applyMany(em, systemActor(actor.requestId), await this.repo.lockDue(em, today, beneficiaryId));
      const from = current.organismeCode;
      if (dto.toOrganismeCode === from) throw UpdateErrors.MUTATION_SAME_ORGANISME('toOrganismeCode');
      if (!(await this.repo.organismeExists(em, dto.toOrganismeCode)))
        throw RegimesErrors.ORGANISME_UNKNOWN({ field: 'toOrganismeCode' });
      if (dto.effectiveDate < today || dto.effectiveDate <= current.validFrom) {
        throw UpdateErrors.MUTATION_DATE_INVALID({ today, currentFrom: current.validFrom });
      }
      if (current.validTo !== null || (await this.repo.hasPending(em, beneficiaryId))) {
        throw UpdateErrors.MUTATION_PENDING();
      }
      await this.beneficiaries.moveAffiliationsIn(
        em,
        [{ affiliationId: current.id, beneficiaryId }],
        dto.toOrganismeCode,
        dto.effectiveDate,
      );
      const cards = await this.cards.lockMovableIn(em, [beneficiaryId], from);
      const rows: MutationRow[] = [];
      for (const card of cards.length ? cards : [null]) {
        const row = await this.repo.insert(em, {
          beneficiaryId,
          cardId: card?.id ?? null,
          from,
          to: dto.toOrganismeCode,
          effectiveDate: dto.effectiveDate,
          kind: CardMutationKind.FundChange,
        });
        rows.push({ ...row, serial: card?.serial ?? null });
      }
      await this.audit.record(em, actor, {
        action: 'beneficiary.mutation_recorded',
        entityType: BENEFICIARY_ENTITY,
        entityId: beneficiaryId,
        organismeCode: from,
        details: {
          fromOrganisme: from,
          toOrganisme: dto.toOrganismeCode,
          effectiveDate: dto.effectiveDate,
          cardIds: cards.map((c) => c.id),
        },
      });
      const applied = dto.effectiveDate <= today;
      if (applied) await this.applyMany(em, actor, rows);
      return {
        beneficiaryId,
        fromOrganisme: from,
        toOrganisme: dto.toOrganismeCode,
        effectiveDate: dto.effectiveDate,
        applied,
        cards: cards.map((c) => ({ cardId: c.id, serial: formatOptionalSerial(c.serial) })),
      };
    });
  }

  /**
   * Applies every mutation whose effective date is `day` or earlier (default: today) and not yet applied, in chunks
   * of `applyChunkSize`, each its own transaction (a regime transfer moves millions of cards on one date): a run
   * stopped midway keeps the chunks done, and the next run carries on.
   */
  async applyDue(
    day: string = this.clock.today(),
    actor: Actor = systemActor(),
    maxChunks = Infinity,
  ): Promise<ApplyDueView> {
    const size = MutationsService.applyChunkSize;
    let applied = 0;
    for (let chunk = 1; ; chunk++) {
      const n = await this.tx.run(async (em) => {
        await this.repo.lockApplyRun(em);
        const due = await this.repo.lockDue(em, day, null, size);
        await this.applyMany(em, actor, due);
        return due.length;
      });
      applied += n;
      // Fewer than a chunk: nothing else is due, or the rest is locked by another run that applies it.
      if (n < size) break;
      if (chunk >= maxChunks) return { applied, continuing: true };
    }
    await this.tx.run((em) => this.transfers.closeAppliedTransfers(em, day));
    return { applied, continuing: false };
  }

  /** Most mutations applied in one transaction by applyDue (tests lower it to see several chunks). */
  static applyChunkSize = 1000;

  async stats(): Promise<MutationStatsView> {
    const s = await this.repo.stats(this.tx.manager);
    return {
      cardsKept: s.cardsKept,
      fundChanges: s.fundChanges,
      nirChanges: s.nirChanges,
      regimeTransfers: s.regimeTransfers,
      pending: s.pending,
    };
  }

  /**
   * Changes the NIR of an insured the caller currently manages (an operator: anyone affiliated), keeping the card:
   * each card's identity record follows the register (a pending online update) and the change is counted as a card kept.
   */
  async changeNir(actor: Actor, beneficiaryId: string, dto: NirChangeDto): Promise<NirChangeView> {
    const organismeCode = tenantScope(actor);
    if (actor.kind === PartnerKind.Fund && !organismeCode) throw beneficiaryNotFound();
    if (!isUuid(beneficiaryId)) throw beneficiaryNotFound();
    const nir = validateNir(dto.newNir);
    if (!nir.ok) throw RegisterErrors[nir.code](nir.message, 'newNir');
    const today = this.clock.today();
    return this.tx.run(async (em) => {
      const current = await this.repo.lockCurrent(em, organismeCode, beneficiaryId, today);
      if (!current) {
        if (organismeCode || !(await this.repo.beneficiaryExists(em, beneficiaryId))) throw beneficiaryNotFound();
        throw UpdateErrors.BENEFICIARY_NOT_AFFILIATED();
      }
      await this.beneficiaries.changeNirIn(em, beneficiaryId, nir);
      const org = current.organismeCode;
      const cards = await this.cards.lockMovableIn(em, [beneficiaryId], org);
      const records: AuditRecord[] = [
        {
          action: 'beneficiary.nir_changed',
          entityType: BENEFICIARY_ENTITY,
          entityId: beneficiaryId,
          organismeCode: org,
          details: { nirTemporary: nir.temporary, cardIds: cards.map((c) => c.id) },
        },
      ];
      // The identity record of each card in use was rewritten by the register's trigger with the UPDATE above (a
      // pending online update, audited card.data_changed); the mutation rows count the cards kept.
      for (const card of cards.length ? cards : [null]) {
        await this.repo.insert(em, {
          beneficiaryId,
          cardId: card?.id ?? null,
          from: org,
          to: org,
          effectiveDate: today,
          kind: CardMutationKind.NirChange,
          applied: true,
        });
      }
      await this.audit.record(em, actor, ...records);
      // The managing fund's systems follow the change (never the number itself: events carry no NIR).
      await this.events.append(em, {
        organismeCode: org,
        type: FundEventType.BeneficiaryNirChanged,
        subjectType: 'beneficiary',
        subjectId: beneficiaryId,
        data: { beneficiaryId, nirTemporary: nir.temporary, cardIds: cards.map((c) => c.id) },
      });
      return {
        beneficiaryId,
        nirTemporary: nir.temporary,
        cards: cards.map((c) => ({ cardId: c.id, serial: formatOptionalSerial(c.serial) })),
      };
    });
  }

  /**
   * Applies mutations in the caller's transaction: each card moves (serial kept) only if still with the from-organisme,
   * its organisme record follows (the register's trigger: a pending kiosk update), both funds are told, everything is audited; counted on
   * its regime transfer if any. Set-based per "wave": a beneficiary's successive mutations (a ping-pong both of whose
   * legs are due) go in successive waves, in order, so each card is moved at most once per statement.
   */
  private async applyMany(em: EntityManager, actor: Actor, rows: MutationRow[]): Promise<void> {
    const waves: MutationRow[][] = [];
    const seen = new Map<string, number>();
    for (const m of rows) {
      const k = seen.get(m.beneficiaryId) ?? 0;
      seen.set(m.beneficiaryId, k + 1);
      (waves[k] ??= []).push(m);
    }
    for (const wave of waves) await this.applyWave(em, actor, wave);
  }

  private async applyWave(em: EntityManager, actor: Actor, wave: MutationRow[]): Promise<void> {
    if (wave.length === 0) return;
    const moved = await this.cards.moveOrganismeIn(
      em,
      wave.filter((m) => m.cardId).map((m) => ({ cardId: m.cardId!, from: m.fromOrganisme, to: m.toOrganisme })),
    );
    await this.repo.markApplied(
      em,
      wave.map((m) => m.id),
    );
    const events: NewFundEvent[] = [];
    const records: AuditRecord[] = [];
    const perTransfer = new Map<string, number>();
    // The children carried on each parent's cards on the date: their visibility follows the parent's affiliation.
    const dependants = await this.families.dependantsFollowingIn(
      em,
      wave.map((m) => ({ parentId: m.beneficiaryId, day: m.effectiveDate })),
    );
    for (const m of wave) {
      // A moved card's organisme record is rewritten by the register's trigger on the card (audited card.data_changed).
      const isMoved = m.cardId !== null && moved.has(m.cardId);
      const transfer = m.transferId ? { transferId: m.transferId } : {};
      const data = {
        beneficiaryId: m.beneficiaryId,
        cardId: m.cardId,
        fromOrganisme: m.fromOrganisme,
        toOrganisme: m.toOrganisme,
        effectiveDate: m.effectiveDate,
        dependantIds: dependants.get(m.beneficiaryId) ?? [],
        ...transfer,
      };
      events.push(
        {
          organismeCode: m.fromOrganisme,
          type: FundEventType.BeneficiaryMutatedOut,
          subjectType: 'beneficiary',
          subjectId: m.beneficiaryId,
          data,
        },
        {
          organismeCode: m.toOrganisme,
          type: FundEventType.BeneficiaryMutatedIn,
          subjectType: 'beneficiary',
          subjectId: m.beneficiaryId,
          data,
        },
      );
      const serial = formatOptionalSerial(m.serial);
      records.push({
        action: 'beneficiary.mutation_applied',
        entityType: BENEFICIARY_ENTITY,
        entityId: m.beneficiaryId,
        organismeCode: m.toOrganisme,
        details: {
          mutationId: m.id,
          cardId: m.cardId,
          fromOrganisme: m.fromOrganisme,
          toOrganisme: m.toOrganisme,
          effectiveDate: m.effectiveDate,
          cardMoved: isMoved,
          ...transfer,
        },
      });
      if (isMoved) {
        records.push({
          action: 'card.organisme_changed',
          entityType: CARD_AUDIT_ENTITY,
          entityId: m.cardId!,
          organismeCode: m.toOrganisme,
          details: {
            mutationId: m.id,
            serial,
            fromOrganisme: m.fromOrganisme,
            toOrganisme: m.toOrganisme,
            cardId: m.cardId,
            effectiveDate: m.effectiveDate,
            cardMoved: true,
          },
        });
      }
      if (m.transferId) perTransfer.set(m.transferId, (perTransfer.get(m.transferId) ?? 0) + 1);
    }
    await this.events.append(em, ...events);
    await this.audit.record(em, actor, ...records);
    await this.transfers.countTransferApplied(em, perTransfer);
  }
}
