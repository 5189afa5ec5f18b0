import { BusinessMetrics } from '../../platform/metrics/business-metrics.js';
import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../../platform/database/transactions.js';
import { CardAction } from '../../cards/card-action.enum.js';
import { formatSerial } from '../../cards/card-serial.js';
import { CardState, OppositionReason } from '../../cards/card-state.enum.js';
import { CARD_TRANSITIONS } from '../../cards/card-transitions.js';
import { CardsService } from '../../cards/cards.service.js';
import { FundEventType, type NewFundEvent } from '../../events/event-types.js';
import { FundEventsService } from '../../events/fund-events.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { failpoint } from '../../platform/failpoint.js';
import { SftpFolders } from '../../platform/sftp/sftp-folders.js';
import { SFTP_MAX_UPLOAD_BYTES } from '../../platform/sftp/sftp-session.js';
import { BatchFileService } from '../personalisation/batch-file.service.js';
import { CardRequestsService, type RequestMove } from '../requests/card-requests.service.js';
import { RequestStatus } from '../requests/request-status.enum.js';
import { VENDOR_INBOX, VENDOR_OUTBOX } from '../vendors/vendor-folders.js';
import {
  buildRejectFile,
  parseReturnFile,
  rejectFileName,
  type LineProblem,
  type RetVersion,
  type ReturnLine,
} from './return-file.js';
import { ReturnFileRepository, type LockedReturnFile, type ReturnedCard } from './return-file.repository.js';
import { RECEIVED_AREA, vendorActor } from './return-intake.service.js';
import { ReturnLineStatus } from './return-line-status.enum.js';
import { ReturnFileStatus } from './vendor-return-file.entity.js';

/** A vendor cannot have personalised a card before its file existed (a little clock skew allowed). */
const BATCH_SKEW_MS = 5 * 60_000;
const OPPOSABLE = CARD_TRANSITIONS[CardAction.Oppose].from;

interface Accepted {
  line: ReturnLine;
  card: ReturnedCard;
}

export interface IngestOutcome {
  status: ReturnFileStatus;
  applied: number;
  rejected: number;
  rejectFile: string | null;
}

/**
 * Step 6: one return file, in one transaction. The whole file refused (nothing applied) when its frame is
 * wrong; otherwise each line checked against the card it names (this vendor's, in a state the transition table
 * lets move) and the good ones applied set-based, status by status:
 *  SHIPPED       card ship + activate (chip id, dates, and with ret/2 the chip's public keys into card_key), the
 *                replaced card opposed (`replaced`) first, request completed;
 *  FAILED        card spoil, a new card ordered for the same request (new serial in a later batch), request ordered;
 *  UNDELIVERABLE card (ship +) return_undeliverable, request reopened to photo_available for the fund to re-order.
 * Bad lines go to REJ_<name> in the vendor's outbox with their number, code and message.
 */
@Injectable()
export class ReturnIngestService {
  private readonly logger = new Logger('emission.returns');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: ReturnFileRepository,
    private readonly progress: CardRequestsService,
    private readonly batches: BatchFileService,
    private readonly cards: CardsService,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
    private readonly folders: SftpFolders,
    private readonly metrics: BusinessMetrics,
  ) {}

  async ingest(returnFileId: string): Promise<IngestOutcome | null> {
    const outcome = await this.tx.run(async (em) => {
      const rf = await this.repo.lock(em, returnFileId);
      // Unknown, or already done (a retry, a re-injection): nothing happens twice.
      if (!rf || rf.status !== ReturnFileStatus.Received) return null;
      const actor = vendorActor(rf.vendorPartnerId);
      const parsed = parseReturnFile(await this.content(rf), rf.vendorLogin);
      if (!parsed.ok) {
        const p = parsed.problem;
        await this.repo.finish(em, rf.id, {
          status: ReturnFileStatus.Refused,
          lineCount: 0,
          appliedCount: 0,
          rejectedCount: 0,
          failure: `${p.code}: ${p.message}`,
          rejectLines: [p],
        });
        const rejectFile = await this.writeRejects(rf, 'REFUSED', [p]);
        await this.audit.record(em, actor, {
          action: 'vendor_return_file.refuse',
          entityType: 'vendor_return_file',
          entityId: rf.id,
          details: { code: p.code, line: p.line },
        });
        return { status: ReturnFileStatus.Refused, applied: 0, rejected: 0, rejectFile };
      }
      const cards = await this.repo.lockCards(
        em,
        rf.vendorPartnerId,
        parsed.lines.map((l) => l.serial),
      );
      const { accepted, problems } = await this.check(em, parsed.version, parsed.lines, cards);
      const keys = await this.apply(em, actor, accepted);
      failpoint('emission.mid-return-ingestion');
      const allProblems = [...parsed.problems, ...problems].sort((a, b) => a.line - b.line);
      await this.repo.finish(em, rf.id, {
        status: ReturnFileStatus.Ingested,
        lineCount: parsed.dataLines,
        appliedCount: accepted.length,
        rejectedCount: allProblems.length,
        failure: null,
        rejectLines: allProblems,
      });
      await this.audit.record(em, actor, {
        action: 'vendor_return_file.ingest',
        entityType: 'vendor_return_file',
        entityId: rf.id,
        details: {
          format: `ret/${parsed.version}`,
          lines: parsed.dataLines,
          applied: accepted.length,
          rejected: allProblems.length,
          cardKeys: keys,
        },
      });
      // Written before the commit: if the commit fails the job reruns and writes the same file again.
      const rejectFile = allProblems.length ? await this.writeRejects(rf, 'INGESTED', allProblems) : null;
      return { status: ReturnFileStatus.Ingested, applied: accepted.length, rejected: allProblems.length, rejectFile };
    });
    if (outcome) {
      this.logger.log({ msg: 'return file processed', returnFileId, ...outcome });
      // Counted after the commit: a rolled-back ingestion is retried and counted then.
      this.metrics.returnFiles.inc({ outcome: outcome.status === ReturnFileStatus.Refused ? 'refused' : 'ingested' });
      this.metrics.returnFileRejectedLines.inc(outcome.status === ReturnFileStatus.Refused ? 1 : outcome.rejected);
    }
    return outcome;
  }

  /** The kept copy; else the inbox file if it still holds these bytes (a crash between registering and keeping). */
  private async content(rf: LockedReturnFile): Promise<Buffer> {
    const kept = await this.folders.readKept(rf.vendorLogin, RECEIVED_AREA, rf.sha256, SFTP_MAX_UPLOAD_BYTES);
    if (kept) return kept;
    const inbox = await this.folders.read(rf.vendorLogin, VENDOR_INBOX, rf.fileName, SFTP_MAX_UPLOAD_BYTES);
    if (inbox && createHash('sha256').update(inbox.data).digest('hex') === rf.sha256) return inbox.data;
    throw new Error(`return file ${rf.id}: content not found`);
  }

  /**
   * Each syntactically good line against the database: the card, the format of its batch (a card of a perso/2 file
   * needs its keys), its state, the holder's other usable card, keys another card already holds.
   */
  private async check(
    em: EntityManager,
    version: RetVersion,
    lines: ReturnLine[],
    cards: ReturnedCard[],
  ): Promise<{ accepted: Accepted[]; problems: LineProblem[] }> {
    const bySerial = new Map(cards.map((c) => [c.serial, c]));
    // One usable card per holder (a unique index): a line that would make a second one is refused, not the whole file.
    const active = await this.cards.usableCardsOfIn(
      em,
      cards.map((c) => c.beneficiaryId),
    );
    // A key is one chip's (unique indexes too): one already held by a card is a bad line, not a failed file.
    const held = await this.cards.keysHeldIn(
      em,
      lines.flatMap((l) => (l.authPublicKey && l.encPublicKey ? [l.authPublicKey, l.encPublicKey] : [])),
    );
    const activating = new Set<string>();
    const accepted: Accepted[] = [];
    const problems: LineProblem[] = [];
    const refuse = (l: ReturnLine, code: string, message: string) => problems.push({ line: l.line, code, message });
    for (const l of lines) {
      const card = bySerial.get(l.serial);
      if (!card) {
        refuse(l, 'SERIAL_UNKNOWN', `No card ${l.serial12} was sent to you`);
        continue;
      }
      // Without keys the card could never prove its presence to a kiosk: only cards of clear-text perso/1 files may
      // come back without them.
      if (version === 1 && card.batchPersoVersion !== 1) {
        refuse(
          l,
          'CARD_KEYS_REQUIRED',
          `Card ${l.serial12} came in a perso/2 file: report it in a ret/2 file, with its chip's public keys when SHIPPED`,
        );
        continue;
      }
      if (l.personalisedAt.getTime() < new Date(card.batchCreatedAt).getTime() - BATCH_SKEW_MS) {
        refuse(l, 'DATE_BEFORE_BATCH', 'personalised-at is before the personalisation file was produced');
        continue;
      }
      // The post may bring a card back after it was reported shipped (and so became active).
      const allowed =
        l.status === ReturnLineStatus.Undeliverable
          ? card.state === CardState.InPersonalisation ||
            card.state === CardState.Shipped ||
            card.state === CardState.Active
          : card.state === CardState.InPersonalisation;
      if (!allowed) {
        refuse(l, 'TRANSITION_NOT_ALLOWED', `Card ${l.serial12} is ${card.state}: ${l.status} does not apply`);
        continue;
      }
      if (
        l.authPublicKey &&
        l.encPublicKey &&
        (held.has(l.authPublicKey.toString('hex')) || held.has(l.encPublicKey.toString('hex')))
      ) {
        refuse(
          l,
          'CARD_KEY_DUPLICATE',
          `A public key reported for card ${l.serial12} is already another card's (every chip has its own keys)`,
        );
        continue;
      }
      if (l.status === ReturnLineStatus.Shipped) {
        const others = (active.get(card.beneficiaryId) ?? []).filter((id) => id !== card.replacedCardId);
        if (others.length || activating.has(card.beneficiaryId)) {
          refuse(
            l,
            'HOLDER_HAS_ACTIVE_CARD',
            `The holder of card ${l.serial12} has another card in use (shipped or active); an operator must look`,
          );
          continue;
        }
        activating.add(card.beneficiaryId);
      }
      accepted.push({ line: l, card });
    }
    return { accepted, problems };
  }

  /** Applies the accepted lines; returns how many cards received their keys. */
  private async apply(em: EntityManager, actor: Actor, accepted: Accepted[]): Promise<number> {
    if (accepted.length === 0) return 0;
    const of = (s: ReturnLineStatus) => accepted.filter((a) => a.line.status === s);
    const shipped = of(ReturnLineStatus.Shipped);
    const failed = of(ReturnLineStatus.Failed);
    const undeliverable = of(ReturnLineStatus.Undeliverable);
    const events: NewFundEvent[] = [];
    const moves: RequestMove[] = [];
    const ids = (xs: Accepted[]) => xs.map((a) => a.card.id);
    const event = (a: Accepted, type: FundEventType, data: Record<string, unknown> = {}): NewFundEvent => ({
      organismeCode: a.card.organismeCode,
      type,
      subjectType: 'card',
      subjectId: a.card.id,
      data: { cardId: a.card.id, serial: formatSerial(a.card.serial), requestId: a.card.requestId, ...data },
    });

    // The chip's keys land in the transaction that ships the card: an active card of a perso/2 file always has them.
    const keys = shipped
      .filter((a) => a.line.authPublicKey && a.line.encPublicKey)
      .map((a) => ({ cardId: a.card.id, authPublicKey: a.line.authPublicKey!, encPublicKey: a.line.encPublicKey! }));
    await this.cards.recordKeysIn(em, keys);

    // The card a new one replaces leaves before the new one is activated (one active card per holder).
    const replacedIds = shipped.map((a) => a.card.replacedCardId).filter((x): x is string => !!x);
    const replaced = (await this.cards.lockStatesIn(em, replacedIds)).filter((c) => OPPOSABLE.includes(c.state));
    const opposed = await this.cards.transitionManyByIdIn(
      em,
      actor,
      replaced.map((c) => c.id),
      CardAction.Oppose,
      { reason: OppositionReason.Replaced },
    );
    for (const c of opposed) {
      const by = shipped.find((a) => a.card.replacedCardId === c.id)!;
      events.push({
        organismeCode: by.card.organismeCode,
        type: FundEventType.CardOpposed,
        subjectType: 'card',
        subjectId: c.id,
        data: {
          cardId: c.id,
          serial: c.serial,
          reason: OppositionReason.Replaced,
          requestId: by.card.requestId,
          cardOrganismeCode: c.organismeCode,
        },
      });
    }

    const notYetShipped = undeliverable.filter((a) => a.card.state === CardState.InPersonalisation);
    // Each card's row is rewritten once per return, whatever the number of steps it takes (audited step by step),
    // with what the vendor reported about it (chip id, when personalised, when mailed).
    const facts = (xs: Accepted[]) =>
      xs.map((a) => ({
        cardId: a.card.id,
        chipId: a.line.chipId,
        personalisedAt: a.line.personalisedAt,
        shippedAt: a.line.shippedAt,
      }));
    await this.cards.transitionPathManyByIdIn(em, actor, ids(shipped), [CardAction.Ship, CardAction.Activate], {
      facts: facts(shipped),
    });
    await this.cards.transitionPathManyByIdIn(
      em,
      actor,
      ids(notYetShipped),
      [CardAction.Ship, CardAction.ReturnUndeliverable],
      { facts: facts(notYetShipped) },
    );
    const alreadyShipped = undeliverable.filter((a) => a.card.state !== CardState.InPersonalisation);
    await this.cards.transitionManyByIdIn(em, actor, ids(alreadyShipped), CardAction.ReturnUndeliverable, {
      facts: facts(alreadyShipped),
    });
    await this.cards.transitionManyByIdIn(em, actor, ids(failed), CardAction.Spoil, { facts: facts(failed) });

    for (const a of shipped) {
      events.push(event(a, FundEventType.CardShipped, { shippedAt: a.line.shippedAt, chipId: a.line.chipId }));
      if (a.card.requestId) moves.push({ id: a.card.requestId, status: RequestStatus.Completed });
    }
    for (const a of failed) {
      // A spoiled card is made again for the same request: a new card, a new serial in a later batch.
      const remade =
        a.card.requestStatus === RequestStatus.InPersonalisation
          ? await this.cards.issue(em, actor, {
              beneficiaryId: a.card.beneficiaryId,
              organismeCode: a.card.organismeCode,
            })
          : null;
      events.push(
        event(a, FundEventType.CardSpoiled, { failureCode: a.line.failureCode, newCardId: remade?.id ?? null }),
      );
      if (remade) moves.push({ id: a.card.requestId!, status: RequestStatus.Ordered, cardId: remade.id });
    }
    for (const a of undeliverable) {
      events.push(event(a, FundEventType.CardUndeliverable));
      if (
        a.card.requestId &&
        (a.card.requestStatus === RequestStatus.InPersonalisation || a.card.requestStatus === RequestStatus.Completed)
      ) {
        moves.push({ id: a.card.requestId, status: RequestStatus.PhotoAvailable });
        events.push({
          organismeCode: a.card.organismeCode,
          type: FundEventType.RequestReopened,
          subjectType: 'card_request',
          subjectId: a.card.requestId,
          data: {
            requestId: a.card.requestId,
            cardId: a.card.id,
            status: RequestStatus.PhotoAvailable,
            reason: 'undeliverable',
          },
        });
      }
    }
    // Requests a fund closed meanwhile stay as they are; the card changes all the same.
    await this.progress.moveIn(em, moves, [RequestStatus.InPersonalisation, RequestStatus.Completed]);
    await this.events.append(em, ...events);
    await this.batches.markReturnedIn(em, [...new Set(accepted.map((a) => a.card.batchId))]);
    return keys.length;
  }

  private async writeRejects(
    rf: LockedReturnFile,
    outcome: 'INGESTED' | 'REFUSED',
    problems: LineProblem[],
  ): Promise<string> {
    const name = rejectFileName(rf.fileName);
    await this.folders.publish(
      rf.vendorLogin,
      VENDOR_OUTBOX,
      name,
      buildRejectFile({ originalName: rf.fileName, sha256: rf.sha256, outcome, producedAt: rf.receivedAt, problems }),
    );
    return name;
  }
}
