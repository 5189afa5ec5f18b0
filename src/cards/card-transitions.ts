import { CardsErrors } from './cards.errors.js';
import { CardAction } from './card-action.enum.js';
import { CardState } from './card-state.enum.js';

/** Target of `withdraw_opposition`: the state the card held before it was opposed, and no other. */
export const PREVIOUS_STATE = 'previous_state' as const;

export interface CardTransition {
  /** The states the action may start from. */
  readonly from: readonly CardState[];
  /** The state it leads to (or the remembered pre-opposition state). */
  readonly to: CardState | typeof PREVIOUS_STATE;
  /** `oppose` needs an OppositionReason; no other action takes one. */
  readonly needsReason: boolean;
}

const S = CardState;

/**
 * THE card life cycle: every allowed move, and nothing else. Pure data; documented in docs/card-states.md.
 * `cancelled` and `destroyed` appear in no `from` list: they are terminal.
 * An opposed card leaves opposition only by `withdraw_opposition` (back to exactly its previous state) or `destroy`.
 */
export const CARD_TRANSITIONS: Readonly<Record<CardAction, CardTransition>> = Object.freeze({
  [CardAction.StartPersonalisation]: { from: [S.Ordered], to: S.InPersonalisation, needsReason: false },
  [CardAction.Cancel]: { from: [S.Ordered], to: S.Cancelled, needsReason: false },
  [CardAction.Ship]: { from: [S.InPersonalisation], to: S.Shipped, needsReason: false },
  [CardAction.Spoil]: { from: [S.InPersonalisation], to: S.Destroyed, needsReason: false },
  [CardAction.Activate]: { from: [S.Shipped], to: S.Active, needsReason: false },
  // From active too: a card reported shipped is active at once, and the post may bring it back days later.
  [CardAction.ReturnUndeliverable]: { from: [S.Shipped, S.Active], to: S.ReturnedUndeliverable, needsReason: false },
  [CardAction.Reship]: { from: [S.ReturnedUndeliverable], to: S.Shipped, needsReason: false },
  [CardAction.Oppose]: { from: [S.Shipped, S.Active, S.ReturnedUndeliverable], to: S.Opposed, needsReason: true },
  [CardAction.WithdrawOpposition]: { from: [S.Opposed], to: PREVIOUS_STATE, needsReason: false },
  [CardAction.Destroy]: { from: [S.Opposed, S.ReturnedUndeliverable], to: S.Destroyed, needsReason: false },
});

/** States no action leaves. */
export const TERMINAL_CARD_STATES: readonly CardState[] = Object.values(CardState).filter(
  (s) => !Object.values(CARD_TRANSITIONS).some((t) => t.from.includes(s)),
);

/**
 * States in which a presented card may be accepted by a kiosk or pharmacy software: it has left the vendor
 * and is neither opposed, returned, cancelled nor destroyed. Any other state means "refuse this card".
 */
export const USABLE_CARD_STATES: readonly CardState[] = [S.Shipped, S.Active];

/** Cards that count as "a card already held": live or on their way to the holder (a new order is refused). */
export const LIVE_CARD_STATES: readonly CardState[] = [S.Ordered, S.InPersonalisation, S.Shipped, S.Active];

/**
 * States of cards that follow their holder to a new managing organisme (change of fund, regime transfer): cards
 * still in use or on their way; cards out of use stay where they ended.
 */
export const MOVABLE_CARD_STATES: readonly CardState[] = [
  S.Ordered,
  S.InPersonalisation,
  S.Shipped,
  S.Active,
  S.ReturnedUndeliverable,
];

export const isBlocked = (state: CardState): boolean => !USABLE_CARD_STATES.includes(state);

export interface CardStateSnapshot {
  state: CardState;
  /** The state before opposition (set only while opposed). */
  previousState: CardState | null;
}

/** The state `action` leads to from `card`, or null when the table does not allow it. Pure. */
export function nextCardState(card: CardStateSnapshot, action: CardAction): CardState | null {
  const t = CARD_TRANSITIONS[action];
  if (!t || !t.from.includes(card.state)) return null;
  if (t.to !== PREVIOUS_STATE) return t.to;
  // Withdrawal restores exactly the state opposition came from; without a known one there is nothing to restore.
  const previous = card.previousState;
  return previous && CARD_TRANSITIONS[CardAction.Oppose].from.includes(previous) ? previous : null;
}

/** The actions the table allows from this card (for error details and the documentation). */
export function allowedCardActions(card: CardStateSnapshot): CardAction[] {
  return (Object.keys(CARD_TRANSITIONS) as CardAction[]).filter((a) => nextCardState(card, a) !== null);
}

/** Like nextCardState, but refuses an illegal move with 409 CARD_TRANSITION_NOT_ALLOWED naming the state and action. */
export function assertCardTransition(card: CardStateSnapshot, action: CardAction): CardState {
  const to = nextCardState(card, action);
  if (to === null) {
    throw CardsErrors.CARD_TRANSITION_NOT_ALLOWED({
      state: card.state,
      action,
      allowedActions: allowedCardActions(card),
    });
  }
  return to;
}
