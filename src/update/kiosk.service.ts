import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { formatSerial, parseSerial } from '../cards/card-serial.js';
import { CardState } from '../cards/card-state.enum.js';
import { isBlocked } from '../cards/card-transitions.js';
import { CARD_AUDIT_ENTITY, cardNotFound } from '../cards/cards.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { SigningService } from '../platform/crypto/signing.service.js';
import { run } from '../platform/database/sql.js';
import { badRequest, conflict, DomainError } from '../platform/errors/domain-error.js';
import { recordOrder } from './card-records.js';
import type { KioskCheckDto, KioskConfirmDto } from './dto/kiosk.dto.js';
import { signReceipt, type SignedReceipt } from './receipts.js';
import { KioskExchangeStatus } from './update.entities.js';

export const KIOSK_PROTOCOL = 'kiosk/1';

export interface RecordToWrite { recordType: string; version: number; content: unknown }

export type CheckAnswer =
  | { protocol: typeof KIOSK_PROTOCOL; action: 'nothing_to_do'; serial: string; version: number; receipt: SignedReceipt }
  | { protocol: typeof KIOSK_PROTOCOL; action: 'blocked'; serial: string; state: CardState; receipt: SignedReceipt }
  | { protocol: typeof KIOSK_PROTOCOL; action: 'update'; serial: string; exchangeId: string; fromVersion: number; targetVersion: number; records: RecordToWrite[] };

export interface ConfirmAnswer {
  protocol: typeof KIOSK_PROTOCOL;
  result: 'updated' | 'failed';
  serial: string;
  version: number;
  /** On a partial confirm: the records of the exchange the kiosk did not report written. */
  missingRecords: string[];
  receipt: SignedReceipt;
}

interface CardRow { id: string; state: CardState; organisme_code: string; data_version: number; target_version: number }

const exchangeNotFound = () => new DomainError('KIOSK_EXCHANGE_NOT_FOUND', 404, 'Exchange not found');

/** The kiosk side of online updates (protocol kiosk/1, docs/formats/kiosk-protocol.md). */
@Injectable()
export class KioskService {
  constructor(private readonly dataSource: DataSource, private readonly audit: AuditService, private readonly signing: SigningService) {}

  /**
   * Whether the chip needs rewriting. The common case (chip up to date) is one indexed read by serial and no write.
   * Records changed after min(confirmed version, version read) are sent, so an interrupted or unconfirmed write
   * is simply replayed: rewriting a whole record twice is harmless.
   */
  async check(actor: Actor, dto: KioskCheckDto): Promise<CheckAnswer> {
    const serial = parseSerial(dto.serial);
    if (!serial) throw cardNotFound();
    const shown = formatSerial(serial);
    const { rows } = await run<CardRow>(this.dataSource.manager,
      `SELECT c.id, c.state, c.organisme_code, c.data_version, coalesce(u.target_version, 0) AS target_version
         FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id WHERE c.serial = $1`, [serial]);
    const card = rows[0];
    if (!card) throw cardNotFound();
    if (isBlocked(card.state)) {
      return { protocol: KIOSK_PROTOCOL, action: 'blocked', serial: shown, state: card.state, receipt: this.receipt(actor, shown, 'blocked', card.data_version) };
    }
    if (card.target_version <= Math.min(card.data_version, dto.readVersion)) {
      return { protocol: KIOSK_PROTOCOL, action: 'nothing_to_do', serial: shown, version: card.data_version, receipt: this.receipt(actor, shown, 'nothing_to_do', card.data_version) };
    }
    return this.dataSource.transaction(async (em) => {
      const { rows: locked } = await run<CardRow>(em,
        `SELECT c.id, c.state, c.organisme_code, c.data_version, coalesce(u.target_version, 0) AS target_version
           FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id WHERE c.id = $1 FOR UPDATE OF c`, [card.id]);
      const c = locked[0];
      const base = Math.min(c.data_version, dto.readVersion);
      const { rows: recs } = await run<{ record_type: string; version: number; content: unknown }>(em,
        `SELECT record_type, version, content FROM card_data_record WHERE card_id = $1 AND version > $2`, [c.id, base]);
      if (isBlocked(c.state) || recs.length === 0) {
        const result = isBlocked(c.state) ? 'blocked' : 'nothing_to_do';
        return result === 'blocked'
          ? { protocol: KIOSK_PROTOCOL, action: 'blocked' as const, serial: shown, state: c.state, receipt: this.receipt(actor, shown, 'blocked', c.data_version) }
          : { protocol: KIOSK_PROTOCOL, action: 'nothing_to_do' as const, serial: shown, version: c.data_version, receipt: this.receipt(actor, shown, 'nothing_to_do', c.data_version) };
      }
      recs.sort((a, b) => recordOrder(a.record_type) - recordOrder(b.record_type));
      // An exchange still open for this card is superseded: its confirm would come out of order.
      await run(em, `UPDATE kiosk_exchange SET status = 'superseded', finished_at = now() WHERE card_id = $1 AND status = 'issued'`, [c.id]);
      const { rows: [ex] } = await run<{ id: string }>(em,
        `INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [c.id, actor.partnerId, base, c.target_version, recs.map((r) => `${r.record_type}@${r.version}`)]);
      return {
        protocol: KIOSK_PROTOCOL, action: 'update' as const, serial: shown, exchangeId: ex.id, fromVersion: base, targetVersion: c.target_version,
        records: recs.map((r) => ({ recordType: r.record_type, version: r.version, content: r.content })),
      };
    });
  }

  /**
   * Ends an exchange: the confirmed version moves to the exchange's target only when every record of the exchange
   * is reported written. Each exchange ends once (the status moves out of `issued` under a row lock).
   */
  async confirm(actor: Actor, dto: KioskConfirmDto): Promise<ConfirmAnswer> {
    if (!dto.aborted && !dto.writtenRecords) {
      throw badRequest('KIOSK_CONFIRM_INVALID', 'A confirm names writtenRecords, or says aborted: true');
    }
    if (dto.aborted && dto.writtenRecords) {
      throw badRequest('KIOSK_CONFIRM_INVALID', 'A confirm is either writtenRecords or aborted, not both');
    }
    const serial = parseSerial(dto.serial);
    return this.dataSource.transaction(async (em) => {
      const { rows: [found] } = await run<{ card_id: string }>(em,
        `SELECT card_id FROM kiosk_exchange WHERE id = $1 AND kiosk_partner_id = $2`, [dto.exchangeId, actor.partnerId]);
      if (!found) throw exchangeNotFound();
      // Card first, then exchange: the same lock order as a check issuing an exchange.
      const { rows: [card] } = await run<CardRow & { serial: string }>(em,
        `SELECT id, serial::text AS serial, state, organisme_code, data_version, 0 AS target_version FROM card WHERE id = $1 FOR UPDATE`, [found.card_id]);
      const { rows: [ex] } = await run<{ id: string; status: KioskExchangeStatus; target_version: number; records: string[] }>(em,
        `SELECT id, status, target_version, records FROM kiosk_exchange WHERE id = $1 FOR UPDATE`, [dto.exchangeId]);
      const shown = formatSerial(card.serial);
      if (serial !== card.serial) {
        throw conflict('KIOSK_EXCHANGE_CARD_MISMATCH', 'This exchange was issued for another card', { exchangeId: ex.id });
      }
      if (ex.status === KioskExchangeStatus.Confirmed) throw conflict('KIOSK_EXCHANGE_ALREADY_CONFIRMED', 'This exchange was already confirmed', { exchangeId: ex.id });
      if (ex.status === KioskExchangeStatus.Superseded) {
        throw conflict('KIOSK_EXCHANGE_SUPERSEDED', 'A newer exchange was issued for this card; check again', { exchangeId: ex.id });
      }
      if (ex.status === KioskExchangeStatus.Failed) throw conflict('KIOSK_EXCHANGE_ALREADY_FINISHED', 'This exchange already ended without an update', { exchangeId: ex.id });

      const written = new Set(dto.writtenRecords ?? []);
      const missing = dto.aborted ? ex.records : ex.records.filter((r) => !written.has(r));
      const audit = { entityType: CARD_AUDIT_ENTITY, entityId: card.id, organismeCode: card.organisme_code };
      if (missing.length > 0) {
        await run(em, `UPDATE kiosk_exchange SET status = 'failed', finished_at = now(), command_may_have_reached_card = $2 WHERE id = $1`,
          [ex.id, dto.aborted ? (dto.commandMayHaveReachedCard ?? true) : true]);
        await this.audit.record(em, actor, { ...audit, action: 'card.data_write_failed', details: { serial: shown, exchangeId: ex.id, aborted: !!dto.aborted, missing } });
        return { protocol: KIOSK_PROTOCOL, result: 'failed', serial: shown, version: card.data_version, missingRecords: missing, receipt: this.receipt(actor, shown, 'failed', card.data_version, ex.id) };
      }
      const { rows: [upd] } = await run<{ data_version: number }>(em,
        `UPDATE card SET data_version = GREATEST(data_version, $2), version = version + 1 WHERE id = $1 RETURNING data_version`, [card.id, ex.target_version]);
      await run(em, `UPDATE card_update_state SET data_updated_at = now() WHERE card_id = $1`, [card.id]);
      await run(em, `UPDATE kiosk_exchange SET status = 'confirmed', finished_at = now() WHERE id = $1`, [ex.id]);
      await this.audit.record(em, actor, {
        ...audit, action: 'card.data_written', details: { serial: shown, exchangeId: ex.id, from: card.data_version, to: upd.data_version, records: ex.records },
      });
      return { protocol: KIOSK_PROTOCOL, result: 'updated', serial: shown, version: upd.data_version, missingRecords: [], receipt: this.receipt(actor, shown, 'updated', upd.data_version, ex.id) };
    });
  }

  private receipt(actor: Actor, serial: string, result: 'updated' | 'nothing_to_do' | 'blocked' | 'failed', version: number, exchangeId?: string): SignedReceipt {
    return signReceipt(this.signing, { exchangeId, serial, result, version, kioskPartnerId: actor.partnerId ?? '' });
  }
}
