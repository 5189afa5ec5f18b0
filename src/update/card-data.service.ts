import { CardState } from '../cards/card-state.enum.js';
import { type CardDataCardRow, CardDataRepository } from './card-data.repository.js';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../platform/database/transactions.js';
import { formatSerial, parseSerial } from '../cards/card-serial.js';
import { CARD_AUDIT_ENTITY, cardNotFound } from '../cards/cards.service.js';
import { tenantScope, type Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { beneficiaryNotFound } from '../register/beneficiaries.service.js';
import { RegisterClock } from '../register/register-clock.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { UpdateErrors } from './update.errors.js';
import { recordFromRegister, recordOrder, REGISTER_RECORD_TYPES, validateRecord } from './card-records.js';
import { isUuid } from '../platform/validation/ids.js';

export interface CardRecordView {
  recordType: string;
  version: number;
  updatedAt: Date;
  content: unknown;
}

export interface CardUpdatesView {
  /** Null for a card ordered and not yet personalised. */
  serial: string | null;
  state: CardState;
  confirmedVersion: number;
  targetVersion: number;
  /** Record types changed after the confirmed version, in write order. */
  pendingRecordTypes: string[];
  /** When a kiosk last confirmed writing the chip (null: never). */
  lastUpdatedAt: Date | null;
  records: Array<{ recordType: string; version: number; updatedAt: Date }>;
}

export interface BeneficiaryUpdatesView {
  beneficiaryId: string;
  cards: CardUpdatesView[];
}

export interface PutRecordResult {
  serial: string;
  recordType: string;
  changed: boolean;
  version: number;
  targetVersion: number;
}

export interface StaleCardView {
  serial: string;
  confirmedVersion: number;
  targetVersion: number;
  lastUpdatedAt: Date | null;
  personalisedAt: Date | null;
}
export interface StalePageView {
  items: StaleCardView[];
  next: string | null;
}

/** Only funds are scoped: a fund reaches the cards of its organisme (another fund's card = CARD_NOT_FOUND). */
const scope = tenantScope;

const FINISHED_STATES: CardState[] = [CardState.Opposed, CardState.Destroyed, CardState.Cancelled];

/** The fund side of online updates: the current content of each chip record and the card's target version. */
@Injectable()
export class CardDataService {
  constructor(
    private readonly tx: Transactions,
    private readonly audit: AuditService,
    private readonly records: CardDataRepository,
    private readonly clock: RegisterClock,
  ) {}

  private async card(em: EntityManager, actor: Actor, serial: string, lock: boolean): Promise<CardDataCardRow> {
    const db = parseSerial(serial);
    if (!db) throw cardNotFound();
    const card = await this.records.findCard(em, db, scope(actor), lock);
    if (!card) throw cardNotFound();
    return card;
  }

  /**
   * Stores a whole record and, when its content really changed, raises the card's target version; the record
   * takes that version. One transaction with its audit entry; a refused record writes nothing. The identity and
   * organisme records are the register's (409 CARD_RECORD_FROM_REGISTER).
   */
  async putRecord(actor: Actor, serial: string, recordType: string, body: unknown): Promise<PutRecordResult> {
    // Said first, whatever the body: the caller must go to the register, not fix the record.
    if ((REGISTER_RECORD_TYPES as readonly string[]).includes(recordType)) throw recordFromRegister(recordType);
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('content' in body)) {
      throw PlatformErrors.VALIDATION_FAILED([
        { field: 'content', messages: ['content is required: the body is {"content": <the whole record>}'] },
      ]);
    }
    const content = validateRecord(recordType, (body as { content: unknown }).content);
    return this.tx.run(async (em) => {
      const card = await this.card(em, actor, serial, true);
      // A card that will never be presented again gets no updates: they would sit pending forever.
      if (FINISHED_STATES.includes(card.state)) {
        throw UpdateErrors.CARD_NOT_UPDATABLE(card.state);
      }
      const next = await this.records.writeRecord(em, card.id, recordType, content);
      if (next === null) {
        const version = (await this.records.recordVersion(em, card.id, recordType))!;
        return {
          serial: formatSerial(canonical(serial)),
          recordType,
          changed: false,
          version,
          targetVersion: card.targetVersion,
        };
      }
      await this.audit.record(em, actor, {
        action: 'card.data_changed',
        entityType: CARD_AUDIT_ENTITY,
        entityId: card.id,
        organismeCode: card.organismeCode,
        details: { serial: formatSerial(canonical(serial)), recordType, version: next },
      });
      return { serial: formatSerial(canonical(serial)), recordType, changed: true, version: next, targetVersion: next };
    });
  }

  async getRecord(actor: Actor, serial: string, recordType: string): Promise<CardRecordView> {
    const em = this.tx.manager;
    const card = await this.card(em, actor, serial, false);
    const row = await this.records.readRecord(em, card.id, recordType);
    if (!row) throw badRequestNotFound(recordType);
    return { recordType, version: row.version, updatedAt: row.updatedAt, content: row.content };
  }

  /** What the chip still lacks, and when it was last written. */
  async updates(actor: Actor, serial: string): Promise<CardUpdatesView> {
    const em = this.tx.manager;
    return this.view(em, await this.card(em, actor, serial, false));
  }

  /**
   * The same, per insured: every card of the beneficiary the caller manages, newest first (the active one, and
   * older ones it still manages). A beneficiary the fund does not manage is 404, as in the register.
   */
  async beneficiaryUpdates(actor: Actor, beneficiaryId: string): Promise<BeneficiaryUpdatesView> {
    const em = this.tx.manager;
    if (
      !isUuid(beneficiaryId) ||
      !(await this.records.beneficiaryVisible(em, beneficiaryId, scope(actor), this.clock.today()))
    ) {
      throw beneficiaryNotFound();
    }
    const cards = await this.records.findBeneficiaryCards(em, beneficiaryId, scope(actor));
    return { beneficiaryId, cards: await Promise.all(cards.map((c) => this.view(em, c))) };
  }

  private async view(em: EntityManager, card: CardDataCardRow): Promise<CardUpdatesView> {
    const rows = await this.records.recordVersions(em, card.id);
    rows.sort((a, b) => recordOrder(a.recordType) - recordOrder(b.recordType));
    return {
      serial: card.serial === null ? null : formatSerial(card.serial),
      state: card.state,
      confirmedVersion: card.dataVersion,
      targetVersion: card.targetVersion,
      pendingRecordTypes: rows.filter((r) => r.version > card.dataVersion).map((r) => r.recordType),
      lastUpdatedAt: card.dataUpdatedAt,
      records: rows.map((r) => ({ recordType: r.recordType, version: r.version, updatedAt: r.updatedAt })),
    };
  }

  /**
   * Usable cards (active or shipped) whose chip has not been written for more than `months` months (never updated
   * online: since personalisation), by serial, resuming after `after`.
   */
  async stale(actor: Actor, q: { months: number; after?: string; limit?: number }): Promise<StalePageView> {
    const limit = q.limit ?? 100;
    const after = q.after === undefined ? '0' : parseSerial(q.after);
    if (after === null) throw PlatformErrors.CURSOR_INVALID();
    const rows = await this.records.stale(this.tx.manager, scope(actor), q.months, after, limit);
    const items = rows.map((r) => ({
      serial: formatSerial(r.serial),
      confirmedVersion: r.dataVersion,
      targetVersion: r.targetVersion,
      lastUpdatedAt: r.dataUpdatedAt,
      personalisedAt: r.personalisedAt,
    }));
    return { items, next: items.length === limit ? items[items.length - 1].serial : null };
  }
}

const canonical = (serial: string): string => parseSerial(serial)!;
const badRequestNotFound = UpdateErrors.CARD_RECORD_NOT_FOUND;
