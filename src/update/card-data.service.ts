import { CardState } from '../cards/card-state.enum.js';
import { CardDataRepository } from './card-data.repository.js';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { formatSerial, parseSerial } from '../cards/card-serial.js';
import { CARD_AUDIT_ENTITY, cardNotFound } from '../cards/cards.service.js';
import { tenantScope, type Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { run } from '../platform/database/sql.js';
import { badRequest, DomainError } from '../platform/errors/domain-error.js';
import { recordOrder, validateRecord } from './card-records.js';

export interface CardRecordView { recordType: string; version: number; updatedAt: Date; content: unknown }

export interface CardUpdatesView {
  serial: string;
  confirmedVersion: number;
  targetVersion: number;
  /** Record types changed after the confirmed version, in write order. */
  pendingRecordTypes: string[];
  /** When a kiosk last confirmed writing the chip (null: never). */
  lastUpdatedAt: Date | null;
  records: Array<{ recordType: string; version: number; updatedAt: Date }>;
}

export interface PutRecordResult { serial: string; recordType: string; changed: boolean; version: number; targetVersion: number }

export interface StaleCardView { serial: string; confirmedVersion: number; targetVersion: number; lastUpdatedAt: Date | null; personalisedAt: Date | null }
export interface StalePageView { items: StaleCardView[]; next: string | null }

/** Only funds are scoped: a fund reaches the cards of its organisme (another fund's card = CARD_NOT_FOUND). */
const scope = tenantScope;

interface CardRow { id: string; state: CardState; organisme_code: string; data_version: number; target_version: number; data_updated_at: Date | null }

const FINISHED_STATES: CardState[] = [CardState.Opposed, CardState.Destroyed, CardState.Cancelled];

/** The fund side of online updates: the current content of each chip record and the card's target version. */
@Injectable()
export class CardDataService {
  constructor(private readonly dataSource: DataSource, private readonly audit: AuditService, private readonly records: CardDataRepository) {}

  private async card(em: EntityManager, actor: Actor, serial: string, lock: boolean): Promise<CardRow> {
    const db = parseSerial(serial);
    if (!db) throw cardNotFound();
    const s = scope(actor);
    const { rows } = await run<CardRow>(em,
      `SELECT c.id, c.state, c.organisme_code, c.data_version, coalesce(u.target_version, 0) AS target_version, u.data_updated_at
         FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id
        WHERE c.serial = $1 AND ($2::char(9) IS NULL OR c.organisme_code = $2)${lock ? ' FOR UPDATE OF c' : ''}`, [db, s]);
    if (!rows[0]) throw cardNotFound();
    return rows[0];
  }

  /**
   * Stores a whole record and, when its content really changed, raises the card's target version; the record
   * takes that version. One transaction with its audit entry; a refused record writes nothing.
   */
  async putRecord(actor: Actor, serial: string, recordType: string, body: unknown): Promise<PutRecordResult> {
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('content' in body)) {
      throw badRequest('CARD_DATA_INVALID', 'The body is {"content": <the whole record>}');
    }
    const content = validateRecord(recordType, (body as { content: unknown }).content);
    return this.dataSource.transaction(async (em) => {
      const card = await this.card(em, actor, serial, true);
      // A card that will never be presented again gets no updates: they would sit pending forever.
      if (FINISHED_STATES.includes(card.state)) {
        throw new DomainError('CARD_NOT_UPDATABLE', 409, `A ${card.state} card takes no data updates; update the holder's current card`, { state: card.state });
      }
      const next = await this.records.writeRecord(em, card.id, recordType, content);
      if (next === null) {
        const version = (await this.records.recordVersion(em, card.id, recordType))!;
        return { serial: formatSerial(canonical(serial)), recordType, changed: false, version, targetVersion: card.target_version };
      }
      await this.audit.record(em, actor, {
        action: 'card.data_changed', entityType: CARD_AUDIT_ENTITY, entityId: card.id, organismeCode: card.organisme_code,
        details: { serial: formatSerial(canonical(serial)), recordType, version: next },
      });
      return { serial: formatSerial(canonical(serial)), recordType, changed: true, version: next, targetVersion: next };
    });
  }

  async getRecord(actor: Actor, serial: string, recordType: string): Promise<CardRecordView> {
    const em = this.dataSource.manager;
    const card = await this.card(em, actor, serial, false);
    const { rows } = await run<{ content: unknown; version: number; updated_at: Date }>(em,
      `SELECT content, version, updated_at FROM card_data_record WHERE card_id = $1 AND record_type = $2`, [card.id, recordType]);
    if (!rows[0]) throw badRequestNotFound(recordType);
    return { recordType, version: rows[0].version, updatedAt: rows[0].updated_at, content: rows[0].content };
  }

  /** What the chip still lacks, and when it was last written. */
  async updates(actor: Actor, serial: string): Promise<CardUpdatesView> {
    const em = this.dataSource.manager;
    const card = await this.card(em, actor, serial, false);
    const { rows } = await run<{ record_type: string; version: number; updated_at: Date }>(em,
      `SELECT record_type, version, updated_at FROM card_data_record WHERE card_id = $1`, [card.id]);
    rows.sort((a, b) => recordOrder(a.record_type) - recordOrder(b.record_type));
    return {
      serial: formatSerial(canonical(serial)),
      confirmedVersion: card.data_version,
      targetVersion: card.target_version,
      pendingRecordTypes: rows.filter((r) => r.version > card.data_version).map((r) => r.record_type),
      lastUpdatedAt: card.data_updated_at,
      records: rows.map((r) => ({ recordType: r.record_type, version: r.version, updatedAt: r.updated_at })),
    };
  }

  /**
   * Usable cards (active or shipped) whose chip has not been written for more than `months` months (never updated
   * online: since personalisation), by serial, resuming after `after`.
   */
  async stale(actor: Actor, q: { months: number; after?: string; limit?: number }): Promise<StalePageView> {
    const limit = q.limit ?? 100;
    const after = q.after === undefined ? '0' : parseSerial(q.after);
    if (after === null) throw badRequest('INVALID_CURSOR', 'after must be a 12-digit serial');
    const { rows } = await run<{ serial: string; data_version: number; target_version: number; data_updated_at: Date | null; personalised_at: Date | null }>(
      this.dataSource.manager,
      `SELECT c.serial::text AS serial, c.data_version, coalesce(u.target_version, 0) AS target_version, u.data_updated_at, c.personalised_at
         FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id
        WHERE ($1::char(9) IS NULL OR c.organisme_code = $1) AND c.state IN ('active', 'shipped') AND c.serial > $2::bigint
          AND coalesce(u.data_updated_at, c.personalised_at, c.created_at) < now() - make_interval(months => $3::int)
        ORDER BY c.serial LIMIT $4`, [scope(actor), after, q.months, limit]);
    const items = rows.map((r) => ({
      serial: formatSerial(r.serial), confirmedVersion: r.data_version, targetVersion: r.target_version,
      lastUpdatedAt: r.data_updated_at, personalisedAt: r.personalised_at,
    }));
    return { items, next: items.length === limit ? items[items.length - 1].serial : null };
  }
}

const canonical = (serial: string): string => parseSerial(serial)!;
const badRequestNotFound = (recordType: string) => new DomainError('CARD_RECORD_NOT_FOUND', 404, `No ${recordType} record for this card`);
