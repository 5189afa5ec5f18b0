import { Injectable } from '@nestjs/common';
import { Transactions } from '../platform/database/transactions.js';
import { formatSerial, parseSerial } from '../cards/card-serial.js';
import { CardState } from '../cards/card-state.enum.js';
import { isBlocked } from '../cards/card-transitions.js';
import { CARD_AUDIT_ENTITY, cardNotFound, CardsService } from '../cards/cards.service.js';
import { AppConfig } from '../config/app-config.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { SigningService } from '../platform/crypto/signing.service.js';
import { UpdateErrors } from './update.errors.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { ackMessage, proofMessage, sealRecords, type SealedRecord, verifyCardSignature } from './card-crypto.js';
import { recordOrder } from './card-records.js';
import type { KioskCheck } from './dto/kiosk.dto.js';
import type { Kiosk2Confirm, KioskFetch } from './dto/kiosk2.dto.js';
import { KioskChallenges } from './kiosk-challenges.service.js';
import { KioskGuard } from './kiosk-guard.service.js';
import { endOfParisDay, protocol1Required, replacementRequired } from './kiosk-protocols.js';
import { KioskRepository } from './kiosk.repository.js';
import { UpToDateCards } from './up-to-date-cards.service.js';
import { signReceipt, type ReceiptResult, type SignedReceipt } from './receipts.js';
import { KioskExchangeStatus } from './card-update.entity.js';

export const KIOSK_PROTOCOL_2 = 'kiosk/2';
type P = typeof KIOSK_PROTOCOL_2;

type NothingToDo = { protocol: P; action: 'nothing_to_do'; serial: string; version: number; receipt: SignedReceipt };
type Blocked = { protocol: P; action: 'blocked'; serial: string; state: CardState; receipt: SignedReceipt };

export type Check2Answer =
  | NothingToDo
  | Blocked
  | { protocol: P; action: 'update_available'; serial: string; challenge: string; expiresAt: string; kioskId: string };

export type FetchAnswer =
  | {
      protocol: P;
      action: 'update';
      serial: string;
      exchangeId: string;
      fromVersion: number;
      targetVersion: number;
      ephemeralKey: string;
      records: SealedRecord[];
    }
  | NothingToDo
  | Blocked;

export interface Confirm2Answer {
  protocol: P;
  result: 'updated' | 'failed';
  serial: string;
  version: number;
  missingRecords: string[];
  receipt: SignedReceipt;
}

const exchangeNotFound = UpdateErrors.KIOSK_EXCHANGE_NOT_FOUND;
const CHALLENGE_ERRORS = {
  KIOSK_CHALLENGE_INVALID: UpdateErrors.KIOSK_CHALLENGE_INVALID,
  KIOSK_CHALLENGE_EXPIRED: UpdateErrors.KIOSK_CHALLENGE_EXPIRED,
};
const challengeUsed = UpdateErrors.KIOSK_CHALLENGE_USED;
const proofInvalid = UpdateErrors.KIOSK_PROOF_INVALID;
const ackInvalid = UpdateErrors.KIOSK_ACK_INVALID;

/** A card's public keys as its check read them, kept for the fetch that redeems the challenge. */
interface CheckedCard {
  cardId: string;
  auth: Buffer;
  enc: Buffer;
}
/** An exchange a fetch of this instance opened, kept for its confirm: what the confirm's read would answer. */
interface OpenedExchange {
  cardId: string;
  /** The serial as stored (parseSerial). */
  serial: string;
  kioskId: string;
  records: string[];
  auth: Buffer;
}

/**
 * What one request of an exchange read, for the next request on this instance (insertion-ordered, bounded, with an
 * expiry): spares the fetch and the confirm a read each. Only a shortcut: an entry missing (another instance, evicted,
 * expired) means reading the database as before, and every write re-checks under the card's lock what the entry says.
 */
class Recent<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  set(key: string, value: V, now = Date.now()): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, until: now + this.ttlMs });
  }

  /** The entry, removed (each is used once), or undefined when unknown or expired. */
  take(key: string, now = Date.now()): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    return e.until > now ? e.value : undefined;
  }
}
/** Enough for a fleet's exchanges in flight on one instance; an entry is 300 bytes or so. */
const RECENT_MAX = 16_384;
/** An exchange's confirm follows its fetch within seconds (the card writes its records); later ones read. */
const OPENED_TTL_MS = 10 * 60_000;

/**
 * Kiosk protocol 2 (docs/formats/kiosk-protocol-2.md): the card proves it is in the reader, and only the card can
 * read its records. check answers only what is not secret (and a challenge); fetch, given the card's signed proof,
 * opens the exchange and answers the records sealed to the card; confirm moves the version on the card's signed
 * acknowledgement. The kiosk only relays.
 */
@Injectable()
export class Kiosk2Service {
  private readonly v1Until: string;
  private readonly v1EndsAt: number;
  /** Challenge digest (hex) → the card's keys its check read; kept while the challenge is valid. */
  private readonly checked: Recent<CheckedCard>;
  /** Exchange id → what its fetch knew (kiosk/2 exchanges this instance opened). */
  private readonly opened = new Recent<OpenedExchange>(RECENT_MAX, OPENED_TTL_MS);

  constructor(
    private readonly tx: Transactions,
    private readonly repo: KioskRepository,
    private readonly cards: CardsService,
    private readonly audit: AuditService,
    private readonly signing: SigningService,
    private readonly challenges: KioskChallenges,
    private readonly guard: KioskGuard,
    private readonly upToDate: UpToDateCards,
    config: AppConfig,
  ) {
    this.v1Until = config.kioskV1Until;
    this.v1EndsAt = endOfParisDay(config.kioskV1Until);
    this.checked = new Recent<CheckedCard>(RECENT_MAX, config.kioskChallengeSeconds * 1000);
  }

  /**
   * Whether the chip needs rewriting, without asking the card anything: a card up to date in this instance's memory
   * (UpToDateCards) is answered without the database; any other, the same single indexed read as kiosk/1 and no
   * write. When something is pending, a fresh challenge (one HMAC) and nothing else.
   */
  async check(actor: Actor, dto: KioskCheck): Promise<Check2Answer> {
    this.guard.admit(actor);
    const serial = parseSerial(dto.serial);
    if (!serial) throw cardNotFound();
    const shown = formatSerial(serial);
    // Up to date in memory (UpToDateCards): target ≤ confirmed version ≤ version read, no round trip.
    const known = dto.writeInProgress ? undefined : this.upToDate.version(serial);
    if (known !== undefined && known <= dto.readVersion) {
      this.upToDate.answered();
      return this.nothingToDo(actor, shown, known, false);
    }
    const mark = this.upToDate.mark();
    const card = await this.repo.findForCheck(serial);
    if (!card) throw cardNotFound();
    if (!card.hasKey) throw this.keyless();
    if (isBlocked(card.state)) return this.blocked(actor, shown, card.state, card.dataVersion, false);
    if (card.targetVersion <= card.dataVersion) this.upToDate.remember(serial, card.dataVersion, mark);
    const readVersion = dto.writeInProgress ? 0 : dto.readVersion;
    if (card.targetVersion <= Math.min(card.dataVersion, readVersion))
      return this.nothingToDo(actor, shown, card.dataVersion, false);
    const kioskId = actor.partnerId ?? '';
    const c = this.challenges.issue(shown, kioskId);
    this.guard.challengeIssued(actor, serial, c);
    if (card.authPublicKey && card.encPublicKey)
      this.checked.set(c.digest.toString('hex'), { cardId: card.id, auth: card.authPublicKey, enc: card.encPublicKey });
    return {
      protocol: KIOSK_PROTOCOL_2,
      action: 'update_available',
      serial: shown,
      challenge: c.challenge,
      expiresAt: new Date(c.expiresAt).toISOString(),
      kioskId,
    };
  }

  /**
   * The card's proof opens the exchange. Every refusal (challenge not ours, for another card or kiosk, expired or
   * already used; a proof that is not the card's) happens before anything is written, or in the one statement
   * that writes, which then writes nothing.
   */
  async fetch(actor: Actor, dto: KioskFetch): Promise<FetchAnswer> {
    this.guard.admit(actor);
    const serial = parseSerial(dto.serial);
    if (!serial) throw cardNotFound();
    const shown = formatSerial(serial);
    const kioskId = actor.partnerId ?? '';
    const challenge = this.challenges.verify(dto.challenge, shown, kioskId);
    if (!challenge.ok) {
      await this.guard.refused(actor, serial, 'challenge_invalid');
      throw CHALLENGE_ERRORS[challenge.code]();
    }
    const signed = proofMessage({
      challenge: dto.challenge,
      serial: shown,
      readVersion: dto.readVersion,
      writeInProgress: dto.writeInProgress,
      kioskId,
    });
    const proof = Buffer.from(dto.proof, 'base64');
    // As kiosk/1: an interrupted write makes the chip untrustworthy whatever it reads; everything is sent again.
    const readVersion = dto.writeInProgress ? 0 : dto.readVersion;
    const issue = (card: { id: string; authPublicKey: Buffer; encPublicKey: Buffer }) =>
      this.repo.issueExchange(
        card.id,
        { partnerId: kioskId, kind: actor.kind, requestId: actor.requestId },
        readVersion,
        challenge.digest,
        { auth: card.authPublicKey, enc: card.encPublicKey },
        serial,
      );
    // The card and keys this challenge's check read (this instance, moments ago) spare a read when the proof verifies
    // with them; the issue opens the exchange only if they are still this serial's card's keys. Anything else (no
    // such check here, a proof that does not verify, keys or card changed since) reads the card and answers as ever.
    const checked = this.checked.take(challenge.digest.toString('hex'));
    let card: { id: string; authPublicKey: Buffer; encPublicKey: Buffer } | undefined;
    let issued: Awaited<ReturnType<typeof issue>>;
    if (checked && verifyCardSignature(checked.auth, signed, proof)) {
      card = { id: checked.cardId, authPublicKey: checked.auth, encPublicKey: checked.enc };
      issued = await issue(card);
      if (issued !== 'challenge_used' && !issued?.hasKey) card = undefined; // wrote nothing: read below
    }
    if (!card) {
      const read = await this.repo.findForFetch(serial);
      if (!read) throw cardNotFound();
      if (!read.authPublicKey || !read.encPublicKey) throw this.keyless();
      if (!verifyCardSignature(read.authPublicKey, signed, proof)) {
        await this.guard.refused(actor, serial, 'proof_invalid');
        throw proofInvalid();
      }
      card = { id: read.id, authPublicKey: read.authPublicKey, encPublicKey: read.encPublicKey };
      issued = await issue(card);
    }
    if (issued === 'challenge_used') {
      await this.guard.refused(actor, serial, 'challenge_invalid');
      throw challengeUsed();
    }
    this.guard.proven(actor, serial);
    if (!issued) throw cardNotFound();
    if (!issued.hasKey) throw this.keyless();
    if (isBlocked(issued.state)) return this.blocked(actor, shown, issued.state, issued.dataVersion, true);
    if (!issued.exchangeId || !issued.records) return this.nothingToDo(actor, shown, issued.dataVersion, true);
    const records = issued.records.sort((a, b) => recordOrder(a.recordType) - recordOrder(b.recordType));
    this.opened.set(issued.exchangeId, {
      cardId: card.id,
      serial,
      kioskId,
      records: records.map((r) => `${r.recordType}@${r.version}`),
      auth: card.authPublicKey,
    });
    const sealed = sealRecords(card.encPublicKey, { serial: shown, exchangeId: issued.exchangeId }, records);
    return {
      protocol: KIOSK_PROTOCOL_2,
      action: 'update',
      serial: shown,
      exchangeId: issued.exchangeId,
      fromVersion: issued.base,
      targetVersion: issued.targetVersion,
      ephemeralKey: sealed.ephemeralKey,
      records: sealed.records,
    };
  }

  /**
   * Ends an exchange opened by a fetch. The confirmed version moves only on the card's valid acknowledgement of
   * every record of the exchange; an invalid one changes nothing (the exchange stays open). An abort needs no
   * acknowledgement (the card was pulled) and moves nothing.
   */
  async confirm(actor: Actor, dto: Kiosk2Confirm): Promise<Confirm2Answer> {
    if (dto.aborted) {
      if (dto.writtenRecords || dto.cardAck) throw UpdateErrors.KIOSK_CONFIRM_INVALID(2, 'both');
    } else if (!dto.writtenRecords || !dto.cardAck) {
      throw UpdateErrors.KIOSK_CONFIRM_INVALID(2, 'missing');
    }
    const serial = parseSerial(dto.serial);
    if (!dto.aborted && serial) {
      const done = await this.confirmAcknowledged(actor, dto, serial);
      if (done) return done;
    }
    return this.tx.run(async (em) => {
      const locked = await this.repo.lockForConfirm(em, dto.exchangeId, actor.partnerId ?? '');
      if (!locked) throw exchangeNotFound();
      const { card, exchange: ex } = locked;
      const shown = formatSerial(card.serial);
      if (serial !== card.serial) throw UpdateErrors.KIOSK_EXCHANGE_CARD_MISMATCH(ex.id);
      if (!ex.kiosk2) throw protocol1Required(this.v1Until);
      if (ex.status === KioskExchangeStatus.Confirmed) throw UpdateErrors.KIOSK_EXCHANGE_ALREADY_CONFIRMED(ex.id);
      if (ex.status === KioskExchangeStatus.Superseded) throw UpdateErrors.KIOSK_EXCHANGE_SUPERSEDED(ex.id);
      if (ex.status === KioskExchangeStatus.Failed) throw UpdateErrors.KIOSK_EXCHANGE_ALREADY_FINISHED(ex.id);

      const written = dto.writtenRecords ?? [];
      if (!dto.aborted) {
        const ack = ackMessage({ exchangeId: ex.id, serial: shown, writtenRecords: written });
        if (
          !card.authPublicKey ||
          !verifyCardSignature(card.authPublicKey, ack, Buffer.from(dto.cardAck ?? '', 'base64'))
        )
          throw ackInvalid();
      }
      const done = new Set(written);
      const missing = (dto.aborted ? ex.records : ex.records.filter((r) => !done.has(r))).sort(
        (a, b) => recordOrder(a.split('@')[0]) - recordOrder(b.split('@')[0]),
      );
      const audit = { entityType: CARD_AUDIT_ENTITY, entityId: card.id, organismeCode: card.organismeCode };
      if (missing.length > 0) {
        await this.repo.markFailed(em, ex.id, dto.aborted ? (dto.commandMayHaveReachedCard ?? true) : true);
        await this.audit.record(em, actor, {
          ...audit,
          action: 'card.data_write_failed',
          details: {
            serial: shown,
            exchangeId: ex.id,
            aborted: !!dto.aborted,
            missing,
            protocol: KIOSK_PROTOCOL_2,
            cardAcknowledged: !dto.aborted,
          },
        });
        return {
          protocol: KIOSK_PROTOCOL_2,
          result: 'failed',
          serial: shown,
          version: card.dataVersion,
          missingRecords: missing,
          receipt: await this.receipt(actor, shown, 'failed', card.dataVersion, true, ex.id),
        };
      }
      const version = await this.cards.confirmKioskUpdateIn(em, card.id, ex.targetVersion);
      await this.repo.markConfirmed(em, ex.id, card.id);
      await this.audit.record(em, actor, {
        ...audit,
        action: 'card.data_written',
        details: {
          serial: shown,
          exchangeId: ex.id,
          from: card.dataVersion,
          to: version,
          records: ex.records,
          protocol: KIOSK_PROTOCOL_2,
          cardAcknowledged: true,
        },
      });
      return {
        protocol: KIOSK_PROTOCOL_2,
        result: 'updated',
        serial: shown,
        version,
        missingRecords: [],
        receipt: await this.receipt(actor, shown, 'updated', version, true, ex.id),
      };
    });
  }

  /**
   * The common confirm, in one or two round trips instead of a transaction of nine: the exchange and the card's key
   * as its fetch on this instance knew them, else read without a lock; the acknowledgement verified, then one
   * statement that writes only if the exchange is still open and this card's, and the key still the card's
   * (CardsService.confirmAcknowledgedKioskUpdate). Anything else (unknown, another card, kiosk/1,
   * finished, records missing, a signature that does not verify, a race lost) returns undefined, and the
   * transactional path below answers it, re-reading everything under the card's lock: its answers are unchanged.
   */
  private async confirmAcknowledged(
    actor: Actor,
    dto: Kiosk2Confirm,
    serial: string,
  ): Promise<Confirm2Answer | undefined> {
    const kioskId = actor.partnerId ?? '';
    // What this exchange's fetch knew (this instance), else the read; the statement below re-checks it all.
    const opened = this.opened.take(dto.exchangeId);
    const ex =
      opened && opened.kioskId === kioskId
        ? {
            cardId: opened.cardId,
            serial: opened.serial,
            kiosk2: true,
            status: KioskExchangeStatus.Issued,
            records: opened.records,
            authPublicKey: opened.auth,
          }
        : await this.repo.findForConfirm(dto.exchangeId, kioskId);
    if (!ex || ex.serial !== serial || !ex.kiosk2 || ex.status !== KioskExchangeStatus.Issued || !ex.authPublicKey)
      return undefined;
    const written = dto.writtenRecords ?? [];
    const acknowledged = new Set(written);
    if (!ex.records.every((r) => acknowledged.has(r))) return undefined;
    const shown = formatSerial(serial);
    const ack = ackMessage({ exchangeId: dto.exchangeId, serial: shown, writtenRecords: written });
    if (!verifyCardSignature(ex.authPublicKey, ack, Buffer.from(dto.cardAck ?? '', 'base64'))) return undefined;
    const done = await this.cards.confirmAcknowledgedKioskUpdate(
      dto.exchangeId,
      ex.cardId,
      written,
      { partnerId: kioskId, kind: actor.kind, requestId: actor.requestId },
      shown,
      ex.authPublicKey,
    );
    if (!done) return undefined;
    return {
      protocol: KIOSK_PROTOCOL_2,
      result: 'updated',
      serial: shown,
      version: done.version,
      missingRecords: [],
      receipt: await this.receipt(actor, shown, 'updated', done.version, true, dto.exchangeId),
    };
  }

  /** A card without keys: kiosk/1 until its cut-off, then replacement. */
  private keyless(): DomainError {
    return Date.now() < this.v1EndsAt ? protocol1Required(this.v1Until) : replacementRequired(this.v1Until);
  }

  private async blocked(
    actor: Actor,
    serial: string,
    state: CardState,
    version: number,
    proven: boolean,
  ): Promise<Blocked> {
    return {
      protocol: KIOSK_PROTOCOL_2,
      action: 'blocked',
      serial,
      state,
      receipt: await this.receipt(actor, serial, 'blocked', version, proven),
    };
  }

  private async nothingToDo(actor: Actor, serial: string, version: number, proven: boolean): Promise<NothingToDo> {
    return {
      protocol: KIOSK_PROTOCOL_2,
      action: 'nothing_to_do',
      serial,
      version,
      receipt: await this.receipt(actor, serial, 'nothing_to_do', version, proven),
    };
  }

  private receipt(
    actor: Actor,
    serial: string,
    result: ReceiptResult,
    version: number,
    cardPresenceProven: boolean,
    exchangeId?: string,
  ): Promise<SignedReceipt> {
    return signReceipt(this.signing, {
      exchangeId,
      serial,
      result,
      version,
      kioskPartnerId: actor.partnerId ?? '',
      cardPresenceProven,
    });
  }
}
