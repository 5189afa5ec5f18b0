import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../platform/database/transactions.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { RegisterErrors } from './register.errors.js';
import {
  BeneficiaryInput,
  Checked,
  checkBeneficiary,
  checkDiedOn,
  checkIdentityChange,
  checkNirBirthDate,
  checkNirField,
  IDENTITY_FIELDS,
  IdentityFields,
} from './beneficiary-input.js';
import { BeneficiaryRepository, nirTaken, Scope, type AffiliationMove } from './beneficiary.repository.js';
import { RegisterClock } from './register-clock.js';
import type {
  AffiliationView,
  BeneficiaryPage,
  BeneficiaryView,
  CreateBeneficiaryDto,
  DeathView,
  UpdateBeneficiaryDto,
} from './dto/beneficiary.dto.js';
import { isUuid } from '../platform/validation/ids.js';
import { FundEventType } from '../events/event-types.js';
import { FundEventsService } from '../events/fund-events.service.js';

/** The one answer for "not yours", "unknown" and "malformed" alike: nothing confirms that a beneficiary exists. */
export const beneficiaryNotFound = RegisterErrors.BENEFICIARY_NOT_FOUND;

export const BENEFICIARY_ENTITY = 'beneficiary';

/** The inter-regime register seen by one fund (its current insured) or by an operator (everyone). */
@Injectable()
export class BeneficiariesService {
  constructor(
    private readonly tx: Transactions,
    private readonly repo: BeneficiaryRepository,
    private readonly audit: AuditService,
    private readonly clock: RegisterClock,
    private readonly events: FundEventsService,
  ) {}

  /** Registers an insured person of the caller's organisme and opens their affiliation. */
  async create(actor: Actor, dto: CreateBeneficiaryDto): Promise<BeneficiaryView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    const input = orThrow(checkBeneficiary(dto, today));
    return this.tx.run(async (em) => {
      let id = await this.repo.insert(em, input);
      let reaffiliated = false;
      if (!id) {
        // The NIR is known: the beneficiary row is locked while its affiliations are examined.
        id = await this.reaffiliate(em, input, organismeCode, today);
        reaffiliated = true;
      }
      const affiliationId = await this.repo.insertAffiliation(em, id, organismeCode, input.affiliatedFrom);
      await this.audit.record(em, actor, {
        action: reaffiliated ? 'beneficiary.reaffiliated' : 'beneficiary.created',
        entityType: BENEFICIARY_ENTITY,
        entityId: id,
        organismeCode,
        details: { affiliationId, nirTemporary: input.nirTemporary },
      });
      return (await this.repo.find({ organismeCode, today }, id, em))!;
    });
  }

  /**
   * A NIR already in the register may join this organisme only when no other one holds it now: its identity is
   * then taken over from the request. Refusals say which case it is and reveal nothing else.
   */
  private async reaffiliate(
    em: EntityManager,
    input: BeneficiaryInput,
    organismeCode: string,
    today: string,
  ): Promise<string> {
    const s = await this.repo.standing(em, input.nir, organismeCode, today);
    if (!s) throw RegisterErrors.BENEFICIARY_CONFLICT();
    if (s.mine) throw RegisterErrors.BENEFICIARY_EXISTS(s.id);
    if (s.elsewhere) throw RegisterErrors.BENEFICIARY_AFFILIATED_ELSEWHERE();
    if (s.lastEnd && input.affiliatedFrom < s.lastEnd) {
      throw RegisterErrors.AFFILIATION_OVERLAP('affiliatedFrom', 'previous');
    }
    const { nir: _nir, nirTemporary: _t, affiliatedFrom: _a, ...identity } = input;
    await this.repo.updateIdentity(em, s.id, identity);
    return s.id;
  }

  /**
   * "Close one affiliation, open the next", for every path that moves holders between organismes (a change of fund,
   * a regime transfer), in the caller's transaction, which has locked the current affiliations: each ends on `date`
   * and the new one opens on it. A concurrent change is refused with AFFILIATION_OVERLAP (roll back).
   */
  moveAffiliationsIn(em: EntityManager, moves: AffiliationMove[], toOrganisme: string, date: string): Promise<void> {
    return this.repo.moveAffiliations(em, moves, toOrganisme, date);
  }

  /**
   * Gives a beneficiary a new NIR in the caller's transaction (which holds its lock): not its current one
   * (NIR_UNCHANGED), consistent with the birth date, held by nobody else (NIR_TAKEN, also when taken meanwhile).
   * The register's trigger rewrites the identity record of its cards (a pending online update).
   */
  async changeNirIn(em: EntityManager, id: string, nir: { nir: string; temporary: boolean }): Promise<void> {
    const before = await this.repo.nirOf(em, id);
    if (!before) throw beneficiaryNotFound();
    if (before.nir === nir.nir) throw RegisterErrors.NIR_UNCHANGED();
    orThrow(checkNirBirthDate(nir.nir, before.birthDate, 'newNir'));
    if (await this.repo.nirTaken(em, nir.nir, id)) throw nirTaken();
    await this.repo.updateNir(em, id, nir.nir, nir.temporary);
  }

  /**
   * The beneficiary as a fund of `organismeCode` reaches it on `today` (null: as an operator), locked in the
   * caller's transaction (another module's step that depends on the register, e.g. a card request). Null when out
   * of reach. Not audited here: the caller's own audit entry says why it was read.
   */
  lockVisibleIn(em: EntityManager, scope: Scope, id: string): Promise<BeneficiaryView | null> {
    return this.repo.find(scope, id, em, true);
  }

  /** Reads one beneficiary and leaves an access trail. */
  async get(actor: Actor, id: string): Promise<BeneficiaryView> {
    const scope = this.scope(actor);
    if (!isUuid(id)) throw beneficiaryNotFound();
    return this.tx.run(async (em) => {
      const b = await this.repo.find(scope, id, em);
      if (!b) throw beneficiaryNotFound();
      await this.recordRead(em, actor, b, 'id');
      return b;
    });
  }

  /** Finds a beneficiary by NIR (sent in a body, never in a URL) and leaves an access trail. */
  async lookup(actor: Actor, rawNir: string): Promise<BeneficiaryView> {
    const scope = this.scope(actor);
    const nir = orThrow(checkNirField(rawNir));
    return this.tx.run(async (em) => {
      const b = await this.repo.findByNir(scope, nir.nir, em);
      if (!b) throw beneficiaryNotFound();
      await this.recordRead(em, actor, b, 'nir');
      return b;
    });
  }

  /** Changes identity traits and address under optimistic locking; a change that changes nothing writes nothing. */
  async update(actor: Actor, id: string, dto: UpdateBeneficiaryDto): Promise<BeneficiaryView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    if (!isUuid(id)) throw beneficiaryNotFound();
    const { version, ...fields } = dto;
    const change = orThrow(checkIdentityChange(fields, today));
    return this.tx.run(async (em) => {
      const scope = { organismeCode, today };
      const current = await this.repo.find(scope, id, em, true);
      if (!current) throw beneficiaryNotFound();
      if (current.version !== version) {
        throw RegisterErrors.VERSION_CONFLICT(current.version);
      }
      const changed = changedFields(current, change);
      if (changed.length === 0) return current;
      if (change.birthDate !== undefined) orThrow(checkNirBirthDate(current.nir, change.birthDate, 'birthDate'));
      const patch = Object.fromEntries(changed.map((k) => [k, change[k]])) as Partial<IdentityFields>;
      await this.repo.updateIdentity(em, id, patch);
      await this.audit.record(em, actor, {
        action: 'beneficiary.updated',
        entityType: BENEFICIARY_ENTITY,
        entityId: id,
        organismeCode,
        details: { fields: changed, version: version + 1 },
      });
      return (await this.repo.find(scope, id, em))!;
    });
  }

  /**
   * A fund records the date of death of one of its current insured (null takes back a date recorded in error):
   * audited, with the fund's event; recording the same date again writes nothing. Reconciliation opposes the
   * deceased holders' cards.
   */
  async recordDeath(actor: Actor, id: string, raw: unknown): Promise<DeathView> {
    const organismeCode = fundOrganisme(actor);
    const today = this.clock.today();
    if (!isUuid(id)) throw beneficiaryNotFound();
    return this.tx.run(async (em) => {
      const current = await this.repo.find({ organismeCode, today }, id, em, true);
      if (!current) throw beneficiaryNotFound();
      const diedOn = orThrow(checkDiedOn(raw === undefined ? '' : raw, current.birthDate, today));
      const changed = await this.repo.setDiedOn(em, id, diedOn);
      if (changed) {
        await this.audit.record(em, actor, {
          action: diedOn ? 'beneficiary.death_recorded' : 'beneficiary.death_withdrawn',
          entityType: BENEFICIARY_ENTITY,
          entityId: id,
          organismeCode,
          details: {},
        });
        await this.events.append(em, {
          organismeCode,
          type: FundEventType.BeneficiaryDeathRecorded,
          subjectType: 'beneficiary',
          subjectId: id,
          data: { beneficiaryId: id, deceased: diedOn !== null },
        });
      }
      return { beneficiaryId: id, diedOn, changed };
    });
  }

  async list(actor: Actor, q: { after?: string; limit?: number; organismeCode?: string }): Promise<BeneficiaryPage> {
    const scope = this.scope(actor);
    if (q.organismeCode) {
      if (actor.kind !== 'operator') throw RegisterErrors.ORGANISME_FILTER_NOT_ALLOWED();
      scope.organismeCode = q.organismeCode;
    }
    const limit = q.limit ?? 100;
    const after = q.after === undefined ? null : decodeCursor(q.after);
    const items = await this.repo.list(scope, after, limit);
    return { items, next: items.length === limit ? encodeCursor(items[items.length - 1].id) : null };
  }

  async affiliations(actor: Actor, id: string): Promise<AffiliationView[]> {
    const scope = this.scope(actor);
    if (!isUuid(id)) throw beneficiaryNotFound();
    const rows = await this.repo.listAffiliations(scope, id);
    if (!rows) throw beneficiaryNotFound();
    return rows;
  }

  private recordRead(em: EntityManager, actor: Actor, b: BeneficiaryView, by: 'id' | 'nir'): Promise<void> {
    return this.audit.record(em, actor, {
      action: 'beneficiary.read',
      entityType: BENEFICIARY_ENTITY,
      entityId: b.id,
      organismeCode: actor.organismeCode ?? b.affiliation?.organismeCode ?? null,
      details: { by },
    });
  }

  /** A fund sees its organisme's current insured; an operator sees everyone. */
  private scope(actor: Actor): Scope {
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

/** Input rule failures are 422 with the rule's stable code and the field (never the value). */
export function orThrow<T>(r: Checked<T>): T {
  if (r.ok) return r.value;
  throw RegisterErrors[r.error.code](r.error.message, r.error.field);
}

function changedFields(current: BeneficiaryView, change: Partial<IdentityFields>): (keyof IdentityFields)[] {
  return IDENTITY_FIELDS.filter(
    (k) => change[k] !== undefined && JSON.stringify(change[k]) !== JSON.stringify(current[k]),
  );
}

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id)) throw PlatformErrors.CURSOR_INVALID();
  return id;
}
