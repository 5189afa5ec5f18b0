import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../platform/database/transactions.js';
import { CardAction } from '../cards/card-action.enum.js';
import { formatSerial, parseSerial } from '../cards/card-serial.js';
import { CardState, OppositionReason } from '../cards/card-state.enum.js';
import { cardNotFound, CardsService, type OppositionStanding } from '../cards/cards.service.js';
import type { CardView } from '../cards/dto/card.dto.js';
import { AppConfig } from '../config/app-config.js';
import { FundEventType } from '../events/event-types.js';
import { FundEventsService } from '../events/fund-events.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { OppositionErrors } from './opposition.errors.js';
import { DECLARABLE_REASONS, OppositionView } from './dto/opposition.dto.js';

/**
 * Declared reasons, and `surplus` (reconciliation's): a fund or an operator may take back a surplus opposition that
 * hit the wrong card within the same window (docs/reconciliation.md).
 */
const WITHDRAWABLE_REASONS: readonly OppositionReason[] = [...DECLARABLE_REASONS, OppositionReason.Surplus];
const withdrawable = (reason: OppositionReason | null) => !!reason && WITHDRAWABLE_REASONS.includes(reason);

/**
 * Opposition declarations by funds and operators. The card moves through CardsService (transition table, audit);
 * the change log the lists are built from is written by the database trigger on `card`, for these declarations
 * and for the system's own oppositions alike.
 */
@Injectable()
export class OppositionService {
  constructor(
    private readonly tx: Transactions,
    private readonly cards: CardsService,
    private readonly events: FundEventsService,
    private readonly config: AppConfig,
  ) {}

  /** Opposes the card; declaring an opposed card again changes nothing and answers the existing opposition. */
  declare(
    actor: Actor,
    serial: string,
    reason: OppositionReason,
  ): Promise<{ opposition: OppositionView; created: boolean }> {
    return this.tx.run(async (em) => {
      const card = await this.lock(em, actor, serial);
      if (card.state === CardState.Opposed) return { opposition: this.view(card), created: false };
      const v = await this.cards.transitionIn(em, actor, serial, CardAction.Oppose, { reason });
      await this.events.append(em, {
        organismeCode: v.organismeCode,
        type: FundEventType.CardOpposed,
        subjectType: 'card',
        subjectId: v.id,
        data: { cardId: v.id, serial: v.serial, reason },
      });
      return { opposition: this.view(await this.lock(em, actor, serial)), created: true };
    });
  }

  /** Withdraws a declaration made in error, within OPPOSITION_WITHDRAWAL_HOURS: the card returns to its previous state. */
  withdraw(actor: Actor, serial: string): Promise<CardView> {
    return this.tx.run(async (em) => {
      const card = await this.lock(em, actor, serial);
      if (card.state !== CardState.Opposed) throw OppositionErrors.CARD_NOT_OPPOSED(card.state);
      if (!withdrawable(card.oppositionReason)) {
        throw OppositionErrors.OPPOSITION_NOT_WITHDRAWABLE(card.oppositionReason);
      }
      if (card.tooLate) {
        throw OppositionErrors.OPPOSITION_WITHDRAWAL_TOO_LATE(
          this.config.oppositionWithdrawalHours,
          card.stateChangedAt,
          card.withdrawableUntil,
        );
      }
      // Once a replacement is on its way (ordered with the declaration, or later), the old card stays opposed:
      // withdrawing would leave the holder two usable cards. A surplus card withdrawn returns awaiting
      // reconciliation (it never left that state), outside "one usable card per holder" beside the kept card.
      if (card.replaced && card.oppositionReason !== OppositionReason.Surplus) {
        throw OppositionErrors.OPPOSITION_CARD_REPLACED(formatSerial(card.serial));
      }
      return this.cards.transitionIn(em, actor, serial, CardAction.WithdrawOpposition);
    });
  }

  async get(actor: Actor, serial: string): Promise<OppositionView> {
    return this.tx.run(async (em) => {
      const card = await this.lock(em, actor, serial, false);
      if (card.state !== CardState.Opposed) throw OppositionErrors.OPPOSITION_NOT_FOUND();
      return this.view(card);
    });
  }

  /** The card, locked, if the caller may reach it (a fund: its organisme's cards only); else CARD_NOT_FOUND. */
  private async lock(em: EntityManager, actor: Actor, serial: string, forUpdate = true): Promise<OppositionStanding> {
    const dbSerial = parseSerial(serial);
    if (!dbSerial) throw cardNotFound();
    const card = await this.cards.oppositionStandingIn(
      em,
      actor,
      dbSerial,
      this.config.oppositionWithdrawalHours,
      forUpdate,
    );
    if (!card) throw cardNotFound();
    return card;
  }

  private view(c: OppositionStanding): OppositionView {
    return {
      serial: formatSerial(c.serial),
      cardId: c.id,
      state: c.state,
      reason: c.oppositionReason!,
      opposedAt: c.stateChangedAt,
      withdrawableUntil: withdrawable(c.oppositionReason) && !c.tooLate ? c.withdrawableUntil : null,
    };
  }
}
