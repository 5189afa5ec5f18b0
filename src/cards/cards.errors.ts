import { defineErrors } from '../platform/errors/catalogue.js';

type Refused = { action: string; allowedFrom: readonly string[]; refused: number; total: number };

/** The cards module's errors: the card life cycle and the technical card database. */
export const CardsErrors = defineErrors('cards', {
  CARD_NOT_FOUND: {
    status: 404,
    description:
      "No card with this serial among those the caller may see (another fund's card answers the same); check the serial.",
    message: 'No card with this serial among those you may see; check the 12-digit serial',
  },
  CARD_TRANSITION_NOT_ALLOWED: {
    status: 409,
    description:
      "The card's state does not allow this action (`state`, `allowedActions`); read the card and act from its state (docs/card-states.md).",
    message: (t: { state: string; action: string; allowedActions: string[] } | Refused) =>
      'state' in t
        ? {
            message: `A card in state ${t.state} cannot take the action ${t.action}`,
            details: { state: t.state, action: t.action, allowedActions: t.allowedActions },
          }
        : {
            message: `${t.refused} of ${t.total} cards cannot take the action ${t.action}`,
            details: { action: t.action, allowedFrom: t.allowedFrom, refused: t.refused },
          },
  },
  CARD_TRANSITION_NOT_SET_BASED: {
    status: 409,
    description: 'An action applied one card at a time was asked for many cards at once (internal steps only).',
    message: (action: string, inPath: boolean) =>
      inPath ? `The action ${action} cannot be part of a path` : `The action ${action} is applied one card at a time`,
  },
  CARD_NOT_ASSIGNABLE: {
    status: 409,
    description:
      'Cards of a personalisation batch already have a serial or a batch, or left the state the batch takes (internal step).',
    message: (t: Refused) => ({
      message: `${t.refused} of ${t.total} cards already have a serial or a batch, or are no longer ${t.allowedFrom.join(' or ')}`,
      details: { action: t.action, allowedFrom: t.allowedFrom, refused: t.refused },
    }),
  },
  OPPOSITION_REASON_REQUIRED: {
    status: 422,
    description: 'Opposing a card needs a reason; send `reason` (lost, stolen, fraud, ...).',
    message: 'Opposing a card needs a reason (lost, stolen, fraud, ...)',
  },
  OPPOSITION_REASON_NOT_APPLICABLE: {
    status: 422,
    description: 'Only opposing takes a reason; send this action without `reason`.',
    message: (action: string) => `The action ${action} takes no reason`,
  },
  CARD_HOLDER_HAS_USABLE_CARD: {
    status: 409,
    description:
      'The holder already has another usable card (shipped or active); oppose or destroy that one first (one usable card per holder).',
    message:
      'The holder already has another usable card (shipped or active); oppose or destroy that one first (one usable card per holder)',
  },
  CARD_SERIALS_EXHAUSTED: {
    status: 503,
    description: 'No card serial is left in the range; the operators must widen it before batches can go on.',
    message: 'No card serial is left',
  },
  CARD_SERIAL_ALREADY_ISSUED: {
    status: 409,
    description: 'A card of the batch already had a serial (a batch built twice); the batch step retries on its own.',
    message: 'A card of the batch already had a serial',
  },
});
