import { Injectable } from '@nestjs/common';
import { Transactions } from '../platform/database/transactions.js';
import { formatSerial, parseSerial } from '../cards/card-serial.js';
import { CardState } from '../cards/card-state.enum.js';
import { isBlocked } from '../cards/card-transitions.js';
import { CARD_AUDIT_ENTITY, cardNotFound, CardsService } from '../cards/cards.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { SigningService } from '../platform/crypto/signing.service.js';
import { UpdateErrors } from './update.errors.js';
import { recordOrder } from './card-records.js';
import type { KioskCheck, KioskConfirmDto } from './dto/kiosk.dto.js';
import { AppConfig } from '../config/app-config.js';
import { endOfParisDay, protocol2Required, replacementRequired } from './kiosk-protocols.js';
import { KioskRepository } from './kiosk.repository.js';
import { signReceipt, type SignedReceipt } from './receipts.js';
import { KioskExchangeStatus } from './card-update.entity.js';

export const KIOSK_PROTOCOL = 'kiosk/1';

export interface RecordToWrite {
  recordType: string;
  version: number;
  content: unknown;
}

export type CheckAnswer =
  | {
      protocol: typeof KIOSK_PROTOCOL;
      action: 'nothing_to_do';
      serial: string;
      version: number;
      receipt: SignedReceipt;
    }
  | { protocol: typeof KIOSK_PROTOCOL; action: 'blocked'; serial: string; state: CardState; receipt: SignedReceipt }
  | {
      protocol: typeof KIOSK_PROTOCOL;
      action: 'update';
      serial: string;
      exchangeId: string;
      fromVersion: number;
      targetVersion: number;
      records: RecordToWrite[];
    };

export interface ConfirmAnswer {
  protocol: typeof KIOSK_PROTOCOL;
  result: 'updated' | 'failed';
  serial: string;
  version: number;
  /** On a partial confirm: the records of the exchange the kiosk did not report written. */
  missingRecords: string[];
  receipt: SignedReceipt;
}

const exchangeNotFound = UpdateErrors.KIOSK_EXCHANGE_NOT_FOUND;

/**
 * The kiosk side of online updates (protocol kiosk/1, docs/formats/kiosk-protocol.md), for cards without keys only
 * and until KIOSK_V1_UNTIL: a card with keys takes kiosk/2 (Kiosk2Service), where only the card reads its records.
 */
@Injectable()
export class KioskService {
  private readonly v1Until: string;
  private readonly v1EndsAt: number;

  constructor(
    private readonly tx: Transactions,
    private readonly repo: KioskRepository,
    private readonly cards: CardsService,
    private readonly audit: AuditService,
    private readonly signing: SigningService,
    config: AppConfig,
  ) {
    this.v1Until = config.kioskV1Until;
    this.v1EndsAt = endOfParisDay(config.kioskV1Until);
  }

  /**
   * Whether the chip needs rewriting. The common case (chip up to date) is one indexed read by serial and no write.
   * Records changed after min(confirmed version, version read) are sent, so an interrupted or unconfirmed write
   * is simply replayed: rewriting a whole record twice is harmless.
   */
  async check(actor: Actor, dto: KioskCheck): Promise<CheckAnswer> {
    const serial = parseSerial(dto.serial);
    if (!serial) throw cardNotFound();
    const shown = formatSerial(serial);
    const card = await this.repo.findForCheck(serial);
    if (!card) throw cardNotFound();
    if (card.hasKey) throw protocol2Required();
    if (Date.now() >= this.v1EndsAt) throw replacementRequired(this.v1Until);
    if (isBlocked(card.state)) return this.blocked(actor, shown, card.state, card.dataVersion);
    // An interrupted write leaves the chip untrustworthy whatever version it reads: everything is sent again.
    const readVersion = dto.writeInProgress ? 0 : dto.readVersion;
    if (card.targetVersion <= Math.min(card.dataVersion, readVersion))
      return this.nothingToDo(actor, shown, card.dataVersion);
    // Something is pending: issue an exchange (one statement, under the card's row lock; it re-reads the card).
    // The records go to the kiosk: the same statement audits the disclosure (card.data_sent).
    const issued = await this.repo.issueExchange(
      card.id,
      { partnerId: actor.partnerId ?? '', kind: actor.kind, requestId: actor.requestId },
      readVersion,
    );
    if (!issued || issued === 'challenge_used') throw cardNotFound();
    // Keys arrived since the read (the statement checked again under the card's lock and issued nothing).
    if (issued.hasKey) throw protocol2Required();
    if (isBlocked(issued.state)) return this.blocked(actor, shown, issued.state, issued.dataVersion);
    if (!issued.exchangeId || !issued.records) return this.nothingToDo(actor, shown, issued.dataVersion);
    const records = issued.records.sort((a, b) => recordOrder(a.recordType) - recordOrder(b.recordType));
    return {
      protocol: KIOSK_PROTOCOL,
      action: 'update',
      serial: shown,
      exchangeId: issued.exchangeId,
      fromVersion: issued.base,
      targetVersion: issued.targetVersion,
      records,
    };
  }

  /**
   * Ends an exchange: the confirmed version moves to the exchange's target only when every record of the exchange
   * is reported written. Each exchange ends once (the status moves out of `issued` under a row lock).
   */
  async confirm(actor: Actor, dto: KioskConfirmDto): Promise<ConfirmAnswer> {
    if (!dto.aborted && !dto.writtenRecords) {
      throw UpdateErrors.KIOSK_CONFIRM_INVALID(1, 'missing');
    }
    if (dto.aborted && dto.writtenRecords) {
      throw UpdateErrors.KIOSK_CONFIRM_INVALID(1, 'both');
    }
    const serial = parseSerial(dto.serial);
    return this.tx.run(async (em) => {
      const locked = await this.repo.lockForConfirm(em, dto.exchangeId, actor.partnerId ?? '');
      if (!locked) throw exchangeNotFound();
      const { card, exchange: ex } = locked;
      const shown = formatSerial(card.serial);
      if (serial !== card.serial) {
        throw UpdateErrors.KIOSK_EXCHANGE_CARD_MISMATCH(ex.id);
      }
      // A kiosk/2 exchange moves only on the card's acknowledgement (/v2/kiosk/confirm). An exchange kiosk/1 issued
      // before the cut-off may still be confirmed after it: its records were sent already.
      if (ex.kiosk2) throw protocol2Required();
      if (ex.status === KioskExchangeStatus.Confirmed) throw UpdateErrors.KIOSK_EXCHANGE_ALREADY_CONFIRMED(ex.id);
      if (ex.status === KioskExchangeStatus.Superseded) {
        throw UpdateErrors.KIOSK_EXCHANGE_SUPERSEDED(ex.id);
      }
      if (ex.status === KioskExchangeStatus.Failed) throw UpdateErrors.KIOSK_EXCHANGE_ALREADY_FINISHED(ex.id);

      const written = new Set(dto.writtenRecords ?? []);
      // In write order, as the check answered them (the exchange row keeps them in no particular order).
      const missing = (dto.aborted ? ex.records : ex.records.filter((r) => !written.has(r))).sort(
        (a, b) => recordOrder(a.split('@')[0]) - recordOrder(b.split('@')[0]),
      );
      const audit = { entityType: CARD_AUDIT_ENTITY, entityId: card.id, organismeCode: card.organismeCode };
      if (missing.length > 0) {
        await this.repo.markFailed(em, ex.id, dto.aborted ? (dto.commandMayHaveReachedCard ?? true) : true);
        await this.audit.record(em, actor, {
          ...audit,
          action: 'card.data_write_failed',
          details: { serial: shown, exchangeId: ex.id, aborted: !!dto.aborted, missing },
        });
        return {
          protocol: KIOSK_PROTOCOL,
          result: 'failed',
          serial: shown,
          version: card.dataVersion,
          missingRecords: missing,
          receipt: await this.receipt(actor, shown, 'failed', card.dataVersion, ex.id),
        };
      }
      const version = await this.cards.confirmKioskUpdateIn(em, card.id, ex.targetVersion);
      await this.repo.markConfirmed(em, ex.id, card.id);
      await this.audit.record(em, actor, {
        ...audit,
        action: 'card.data_written',
        details: { serial: shown, exchangeId: ex.id, from: card.dataVersion, to: version, records: ex.records },
      });
      return {
        protocol: KIOSK_PROTOCOL,
        result: 'updated',
        serial: shown,
        version,
        missingRecords: [],
        receipt: await this.receipt(actor, shown, 'updated', version, ex.id),
      };
    });
  }

  private async blocked(actor: Actor, serial: string, state: CardState, version: number): Promise<CheckAnswer> {
    return {
      protocol: KIOSK_PROTOCOL,
      action: 'blocked',
      serial,
      state,
      receipt: await this.receipt(actor, serial, 'blocked', version),
    };
  }

  private async nothingToDo(actor: Actor, serial: string, version: number): Promise<CheckAnswer> {
    return {
      protocol: KIOSK_PROTOCOL,
      action: 'nothing_to_do',
      serial,
      version,
      receipt: await this.receipt(actor, serial, 'nothing_to_do', version),
    };
  }

  private receipt(
    actor: Actor,
    serial: string,
    result: 'updated' | 'nothing_to_do' | 'blocked' | 'failed',
    version: number,
    exchangeId?: string,
  ): Promise<SignedReceipt> {
    return signReceipt(this.signing, { exchangeId, serial, result, version, kioskPartnerId: actor.partnerId ?? '' });
  }
}
