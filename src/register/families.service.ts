import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { FundEventType } from '../events/event-types.js';
import { FundEventsService } from '../events/fund-events.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { isUuid } from '../platform/validation/ids.js';
import { validateRecord } from '../update/card-records.js';
import {
  AttachmentRepository,
  type AttachmentRow,
  type DependantRow,
  type FamilyScope,
} from './attachment.repository.js';
import {
  checkIdentityChange,
  checkNirBirthDate,
  checkNirField,
  IDENTITY_FIELDS,
  type IdentityFields,
} from './beneficiary-input.js';
import type { UpdateBeneficiaryDto } from './dto/beneficiary.dto.js';
import { BeneficiaryRepository, type DependantInput } from './beneficiary.repository.js';
import { BENEFICIARY_ENTITY, beneficiaryNotFound, orThrow } from './beneficiaries.service.js';
import type {
  AttachDependantDto,
  AttachmentRightsDto,
  AttachmentView,
  DeclareBirthDto,
  DependantNirDto,
  DependantView,
  EndAttachmentDto,
  ParentDependantView,
} from './dto/family.dto.js';
import type { AttachmentImportRow } from './attachment-import-parser.js';
import { checkAttachmentPeriod, checkDependant } from './family-input.js';
import { RegisterClock } from './register-clock.js';
import { RegisterErrors } from './register.errors.js';

/** The rights a parent's regime gives a dependant, canonical (the chip records' validators). */
interface Rights {
  coverage: unknown[];
  aldPeriods: unknown[];
}

const dependantNotFound = RegisterErrors.DEPENDANT_NOT_FOUND;
const attachmentNotFound = RegisterErrors.ATTACHMENT_NOT_FOUND;

/**
 * Families in the register: dependants (children without a card of their own) attached to one or two insured
 * parents, each attachment managed by the parent's fund with the rights its regime gives the child.
 *
 * The tenant rule: a fund reaches a dependant through an attachment that has not ended to a parent currently
 * affiliated to its organisme (AttachmentRepository's MANAGED_DEPENDANT), and only the attachments to its own
 * insured; another fund's child answers 404 like an unknown id. Because this goes through the parent's affiliation,
 * a parent's change of fund or regime transfer carries the children attached only to them to the new fund, and a
 * child attached to both parents stays visible to the other parent's fund, with no write to the family.
 * The family rules (two parents, no chains, once per parent) are the database's; the most dependants per parent
 * (DEPENDANTS_MAX_PER_CARD) is counted here under both people's row locks.
 */
@Injectable()
export class FamiliesService {
  constructor(
    private readonly tx: Transactions,
    private readonly attachments: AttachmentRepository,
    private readonly beneficiaries: BeneficiaryRepository,
    private readonly audit: AuditService,
    private readonly events: FundEventsService,
    private readonly clock: RegisterClock,
    private readonly config: AppConfig,
  ) {}

  /** Attaches a dependant (one the caller sees, or a new one by identity) to an insured of the caller. */
  async attach(actor: Actor, parentId: string, dto: AttachDependantDto): Promise<ParentDependantView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    if (!isUuid(parentId)) throw beneficiaryNotFound();
    if ((dto.dependantId === undefined) === (dto.dependant === undefined))
      throw RegisterErrors.ATTACHMENT_DEPENDANT_REQUIRED();
    const rights = checkRights(dto);
    const scope = { organismeCode, today };
    return this.tx.run(async (em) => {
      const parent = await this.beneficiaries.find(scope, parentId, em);
      if (!parent) throw beneficiaryNotFound();
      let dependantId: string;
      let created = false;
      if (dto.dependantId !== undefined) {
        const seen = await this.attachments.findDependant(em, scope, dto.dependantId);
        if (!seen) throw dependantNotFound();
        dependantId = seen.id;
      } else {
        const input = orThrow(checkDependant(dto.dependant!, today, parent.addressLines, 'dependant'));
        ({ id: dependantId, created } = await this.registerDependant(em, input));
      }
      const birthDate = (await this.beneficiaries.nirOf(em, dependantId))!.birthDate;
      const period = checkAttachmentPeriod(dto, birthDate, today);
      if (!period.ok) throw RegisterErrors.ATTACHMENT_DATES_INVALID(period.fault.message, period.fault.field);
      const attachmentId = await this.addAttachment(em, {
        dependantId,
        parentId,
        validFrom: period.validFrom,
        validTo: period.validTo,
        ...rights,
      });
      await this.audit.record(em, actor, {
        action: 'dependant.attached',
        entityType: BENEFICIARY_ENTITY,
        entityId: dependantId,
        organismeCode,
        details: { attachmentId, parentId, created },
      });
      await this.events.append(em, {
        organismeCode,
        type: FundEventType.DependantAttached,
        subjectType: 'beneficiary',
        subjectId: dependantId,
        data: { dependantId, parentId, attachmentId },
      });
      const list = await this.attachments.dependantsOf(em, parentId);
      const row = list.find((r) => r.id === attachmentId)!;
      return { dependant: identityView(row.dependant), attachment: attachmentView(row, today) };
    });
  }

  /**
   * Declares a birth: the newborn enters the register (with its NIR, a temporary one, or none yet) and is attached
   * from its birth date to one or two insured parents named by NIR, at least one of the caller's organisme. The
   * rights given apply to the caller's insured parents' attachments; the other parent's fund sets its own. Each
   * parent's fund gets a `dependant.birth_declared` event; the dependants record of every parent's card follows.
   */
  async declareBirth(actor: Actor, dto: DeclareBirthDto): Promise<DependantView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    const rights = checkRights(dto);
    const nirs = dto.parents.map((p, i) => {
      const r = checkNirField(p.nir);
      return orThrow(r.ok ? r : { ok: false, error: { ...r.error, field: `parents[${i}].nir` } }).nir;
    });
    if (nirs.length < 1 || nirs.length > 2 || new Set(nirs).size !== nirs.length)
      throw RegisterErrors.PARENTS_INVALID();
    return this.tx.run(async (em) => {
      const found = await this.attachments.insuredByNir(em, nirs, today);
      const parents = nirs.map((nir, i) => {
        const p = found.find((f) => f.nir === nir);
        if (!p) throw RegisterErrors.PARENT_NIR_UNKNOWN(`parents[${i}].nir`);
        return p;
      });
      const own = parents.filter((p) => p.organismeCode === organismeCode);
      if (own.length === 0) throw RegisterErrors.PARENT_NOT_MANAGED();
      const input = orThrow(checkDependant(dto.child, today, own[0].addressLines, 'child'));
      const { id: dependantId, created } = await this.registerDependant(em, input);
      // All three people at once, in id order: two births to the same parents named in either order (twins declared
      // by each parent's fund at the same moment) queue instead of deadlocking pair by pair.
      await this.attachments.lockPeople(em, [dependantId, ...parents.map((p) => p.id)]);
      const attached: Array<{ attachmentId: string; parentId: string; organismeCode: string }> = [];
      for (const p of parents) {
        const mine = p.organismeCode === organismeCode;
        const attachmentId = await this.addAttachment(em, {
          dependantId,
          parentId: p.id,
          validFrom: input.birthDate,
          validTo: null,
          coverage: mine ? rights.coverage : [],
          aldPeriods: mine ? rights.aldPeriods : [],
        });
        attached.push({ attachmentId, parentId: p.id, organismeCode: p.organismeCode });
      }
      await this.audit.record(em, actor, {
        action: 'dependant.birth_declared',
        entityType: BENEFICIARY_ENTITY,
        entityId: dependantId,
        organismeCode,
        details: { created, nirKnown: input.nir !== null, attachmentIds: attached.map((a) => a.attachmentId) },
      });
      for (const org of new Set(attached.map((a) => a.organismeCode))) {
        const theirs = attached.filter((a) => a.organismeCode === org);
        await this.events.append(em, {
          organismeCode: org,
          type: FundEventType.DependantBirthDeclared,
          subjectType: 'beneficiary',
          subjectId: dependantId,
          data: {
            dependantId,
            nirKnown: input.nir !== null,
            attachments: theirs.map((a) => ({ attachmentId: a.attachmentId, parentId: a.parentId })),
          },
        });
      }
      return this.dependantView(em, { organismeCode, today }, dependantId);
    });
  }

  /** A parent's dependants (every attachment, past ones too), if the caller reaches the parent; each read audited. */
  async dependantsOf(actor: Actor, parentId: string): Promise<ParentDependantView[]> {
    const scope = this.scope(actor);
    if (!isUuid(parentId)) throw beneficiaryNotFound();
    return this.tx.run(async (em) => {
      const parent = await this.beneficiaries.find(scope, parentId, em);
      if (!parent) throw beneficiaryNotFound();
      const rows = await this.attachments.dependantsOf(em, parentId);
      if (rows.length > 0) {
        await this.audit.record(
          em,
          actor,
          ...rows.map((r) => ({
            action: 'dependant.read',
            entityType: BENEFICIARY_ENTITY,
            entityId: r.dependantId,
            organismeCode: scope.organismeCode ?? parent.affiliation?.organismeCode ?? null,
            details: { by: 'parent', parentId },
          })),
        );
      }
      return rows.map((r) => ({ dependant: identityView(r.dependant), attachment: attachmentView(r, scope.today) }));
    });
  }

  /** One dependant the caller reaches, with its attachments to the caller's insured; audited. */
  async getDependant(actor: Actor, id: string): Promise<DependantView> {
    const scope = this.scope(actor);
    if (!isUuid(id)) throw dependantNotFound();
    return this.tx.run(async (em) => {
      const view = await this.dependantView(em, scope, id);
      await this.audit.record(em, actor, {
        action: 'dependant.read',
        entityType: BENEFICIARY_ENTITY,
        entityId: id,
        organismeCode: scope.organismeCode,
        details: { by: 'id' },
      });
      return view;
    });
  }

  /**
   * Corrects a dependant's identity traits or address (a parent's fund; optimistic: the version read). A birth date
   * must still agree with a definitive NIR. Both parents' cards follow the register (their dependants record).
   */
  async updateDependant(actor: Actor, id: string, dto: UpdateBeneficiaryDto): Promise<DependantView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    if (!isUuid(id)) throw dependantNotFound();
    const { version, ...fields } = dto;
    const change = orThrow(checkIdentityChange(fields, today));
    const scope = { organismeCode, today };
    return this.tx.run(async (em) => {
      const d = await this.attachments.findDependant(em, scope, id, true);
      if (!d) throw dependantNotFound();
      if (d.version !== version) throw RegisterErrors.VERSION_CONFLICT(d.version);
      const changed = IDENTITY_FIELDS.filter(
        (k) => change[k] !== undefined && JSON.stringify(change[k]) !== JSON.stringify(d[k]),
      );
      if (changed.length > 0) {
        if (change.birthDate !== undefined && d.nir !== null)
          orThrow(checkNirBirthDate(d.nir, change.birthDate, 'birthDate'));
        await this.beneficiaries.updateIdentity(
          em,
          id,
          Object.fromEntries(changed.map((k) => [k, change[k]])) as Partial<IdentityFields>,
        );
        await this.audit.record(em, actor, {
          action: 'dependant.updated',
          entityType: BENEFICIARY_ENTITY,
          entityId: id,
          organismeCode,
          details: { fields: changed, version: version + 1 },
        });
      }
      return this.dependantView(em, scope, id);
    });
  }

  /** Sets the rights the parent's regime gives the dependant on an attachment the caller manages (not ended). */
  async setRights(actor: Actor, attachmentId: string, dto: AttachmentRightsDto): Promise<AttachmentView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    if (!/^\d{1,18}$/.test(attachmentId)) throw attachmentNotFound();
    const rights = checkRights(dto);
    return this.tx.run(async (em) => {
      const a = await this.attachments.findManaged(em, { organismeCode, today }, attachmentId, true);
      if (!a) throw attachmentNotFound();
      if (a.validTo !== null && a.validTo <= today) throw RegisterErrors.ATTACHMENT_ENDED();
      await this.attachments.setRights(em, attachmentId, rights.coverage, rights.aldPeriods);
      await this.audit.record(em, actor, {
        action: 'dependant.rights_changed',
        entityType: BENEFICIARY_ENTITY,
        entityId: a.dependantId,
        organismeCode,
        details: { attachmentId, parentId: a.parentId },
      });
      return attachmentView({ ...a, ...rights }, today);
    });
  }

  /** Ends an attachment the caller manages on `validTo` (not in the past): the child leaves that parent's cards. */
  async end(actor: Actor, attachmentId: string, dto: EndAttachmentDto): Promise<AttachmentView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    if (!/^\d{1,18}$/.test(attachmentId)) throw attachmentNotFound();
    return this.tx.run(async (em) => {
      const a = await this.attachments.findManaged(em, { organismeCode, today }, attachmentId, true);
      if (!a) throw attachmentNotFound();
      if (a.validTo !== null && a.validTo <= today) throw RegisterErrors.ATTACHMENT_ENDED();
      const period = checkAttachmentPeriod({ validFrom: a.validFrom, validTo: dto.validTo }, a.validFrom, today);
      if (!period.ok) throw RegisterErrors.ATTACHMENT_DATES_INVALID(period.fault.message, period.fault.field);
      if (period.validTo! < today)
        throw RegisterErrors.ATTACHMENT_DATES_INVALID('validTo cannot be in the past', 'validTo');
      await this.attachments.end(em, attachmentId, period.validTo!);
      await this.audit.record(em, actor, {
        action: 'dependant.detached',
        entityType: BENEFICIARY_ENTITY,
        entityId: a.dependantId,
        organismeCode,
        details: { attachmentId, parentId: a.parentId, validTo: period.validTo },
      });
      await this.events.append(em, {
        organismeCode,
        type: FundEventType.DependantDetached,
        subjectType: 'beneficiary',
        subjectId: a.dependantId,
        data: { dependantId: a.dependantId, parentId: a.parentId, attachmentId, validTo: period.validTo },
      });
      return attachmentView({ ...a, validTo: period.validTo }, today);
    });
  }

  /**
   * Gives a dependant its NIR once known (it had none, or a temporary one): the same person, the same attachments,
   * no new card for anyone (the parents' cards' dependants record follows the register). Each current parent's fund
   * gets a `dependant.nir_set` event (never the number).
   */
  async setNir(actor: Actor, dependantId: string, dto: DependantNirDto): Promise<DependantView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    if (!isUuid(dependantId)) throw dependantNotFound();
    const nir = orThrow(checkNirField(dto.nir));
    const scope = { organismeCode, today };
    return this.tx.run(async (em) => {
      const d = await this.attachments.findDependant(em, scope, dependantId, true);
      if (!d) throw dependantNotFound();
      if (d.nir !== null && !d.nirTemporary) throw RegisterErrors.NIR_ALREADY_DEFINITIVE();
      if (d.nir === nir.nir) throw RegisterErrors.NIR_UNCHANGED();
      orThrow(checkNirBirthDate(nir.nir, d.birthDate, 'nir'));
      if (await this.beneficiaries.nirTaken(em, nir.nir, dependantId)) throw RegisterErrors.NIR_TAKEN();
      await this.beneficiaries.updateNir(em, dependantId, nir.nir, nir.temporary);
      await this.audit.record(em, actor, {
        action: 'dependant.nir_set',
        entityType: BENEFICIARY_ENTITY,
        entityId: dependantId,
        organismeCode,
        details: { nirTemporary: nir.temporary, hadNir: d.nir !== null },
      });
      const orgs = new Set((await this.attachments.currentParents(em, dependantId, today)).map((p) => p.organismeCode));
      for (const org of orgs) {
        if (org === null) continue;
        await this.events.append(em, {
          organismeCode: org,
          type: FundEventType.DependantNirSet,
          subjectType: 'beneficiary',
          subjectId: dependantId,
          data: { dependantId, nirTemporary: nir.temporary },
        });
      }
      return this.dependantView(em, scope, dependantId);
    });
  }

  /**
   * The dependants each moving parent carries on the move's date (MutationsService, in its transaction): they follow
   * the parent to the new fund (or stay with the other parent's too), and the events of the move name them.
   */
  async dependantsFollowingIn(
    em: EntityManager,
    moves: Array<{ parentId: string; day: string }>,
  ): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const r of await this.attachments.dependantsOn(em, moves)) {
      const list = out.get(r.parentId) ?? [];
      if (!list.includes(r.dependantId)) list.push(r.dependantId);
      out.set(r.parentId, list);
    }
    return out;
  }

  /**
   * One line of an attachments import (AttachmentImportsService), in the import's transaction: the parent must be
   * an insured of the importing organisme today (else PARENT_NOT_MANAGED, whether or not the NIR exists), the
   * dependant is found by NIR or registered (with the parent's address), and the attachment is written under the
   * same rules as the API's. A refusal undoes only this line (a savepoint) and is rethrown as a DomainError.
   */
  async importLine(
    em: EntityManager,
    organismeCode: string,
    today: string,
    line: AttachmentImportRow,
  ): Promise<{ dependantId: string; attachmentId: string; created: boolean }> {
    return this.attachments.inSavepoint(em, async () => {
      const [parent] = (await this.attachments.insuredByNir(em, [line.parentNir], today)).filter(
        (p) => p.organismeCode === organismeCode,
      );
      if (!parent) throw RegisterErrors.PARENT_NOT_MANAGED();
      const { id: dependantId, created } = await this.registerDependant(em, {
        ...line.dependant,
        addressLines: parent.addressLines,
      });
      const attachmentId = await this.addAttachment(em, {
        dependantId,
        parentId: parent.id,
        validFrom: line.validFrom,
        validTo: line.validTo,
        coverage: line.coverage,
        aldPeriods: line.aldPeriods,
      });
      return { dependantId, attachmentId, created };
    });
  }

  /**
   * The dependant a new attachment names by identity: a new register entry, or the person already holding that
   * NIR when they are a dependant only (same birth date; an insured in their own right is attached by id only).
   */
  private async registerDependant(em: EntityManager, input: DependantInput): Promise<{ id: string; created: boolean }> {
    const id = await this.beneficiaries.insertDependant(em, input);
    if (id) return { id, created: true };
    const known = await this.attachments.personByNir(em, input.nir!);
    if (!known) throw RegisterErrors.BENEFICIARY_CONFLICT();
    if (known.insured) throw RegisterErrors.DEPENDANT_INSURED();
    if (known.birthDate !== input.birthDate) throw RegisterErrors.DEPENDANT_IDENTITY_MISMATCH();
    return { id: known.id, created: false };
  }

  /** Inserts an attachment under both people's locks, within the most dependants a parent's cards carry. */
  private async addAttachment(
    em: EntityManager,
    a: { dependantId: string; parentId: string; validFrom: string; validTo: string | null } & Rights,
  ): Promise<string> {
    if (a.dependantId === a.parentId) throw RegisterErrors.ATTACHMENT_SELF();
    await this.attachments.lockPeople(em, [a.dependantId, a.parentId]);
    const max = this.config.dependantsMaxPerCard;
    if ((await this.attachments.countOverlapping(em, a.parentId, a.validFrom, a.validTo)) >= max)
      throw RegisterErrors.DEPENDANTS_LIMIT(max);
    return this.attachments.add(em, a);
  }

  private async dependantView(em: EntityManager, scope: FamilyScope, id: string): Promise<DependantView> {
    const d = await this.attachments.findDependant(em, scope, id);
    if (!d) throw dependantNotFound();
    const { managed, others } = await this.attachments.attachmentsOf(em, scope, id);
    return {
      ...identityView(d),
      addressLines: d.addressLines,
      version: d.version,
      attachments: managed.map((a) => attachmentView(a, scope.today)),
      otherParents: others,
    };
  }

  /** A fund sees its organisme's families; an operator sees every family. */
  private scope(actor: Actor): FamilyScope {
    const today = this.clock.today();
    if (actor.kind === 'operator' || actor.kind === 'system' || actor.kind === 'cli')
      return { organismeCode: null, today };
    return { organismeCode: fundOrganisme(actor), today };
  }
}

function fundOrganisme(actor: Actor): string {
  if (actor.kind !== 'fund' || !actor.organismeCode) throw PlatformErrors.FUND_ONLY();
  return actor.organismeCode;
}

/** The rights as the chip's `coverage` and `ald_periods` records hold them (422 CARD_DATA_INVALID otherwise). */
function checkRights(dto: { coverage?: unknown[]; aldPeriods?: unknown[] }): Rights {
  return {
    coverage: validateRecord('coverage', dto.coverage ?? []) as unknown[],
    aldPeriods: validateRecord('ald_periods', dto.aldPeriods ?? []) as unknown[],
  };
}

function identityView(d: DependantRow) {
  return {
    id: d.id,
    nir: d.nir === null ? null : d.nir.trim(),
    nirTemporary: d.nirTemporary,
    firstName: d.firstName,
    birthName: d.birthName,
    usageName: d.usageName,
    birthDate: d.birthDate,
    birthRank: d.birthRank,
  };
}

function attachmentView(a: AttachmentRow, today: string): AttachmentView {
  return {
    id: a.id,
    dependantId: a.dependantId,
    parentId: a.parentId,
    validFrom: a.validFrom,
    validTo: a.validTo,
    current: a.validFrom <= today && (a.validTo === null || a.validTo > today),
    coverage: a.coverage,
    aldPeriods: a.aldPeriods,
  };
}
