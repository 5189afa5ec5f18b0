import { CardAction } from '../../cards/card-action.enum.js';
import { CardState } from '../../cards/card-state.enum.js';
import { CARD_TRANSITIONS } from '../../cards/card-transitions.js';
import { CANCELLABLE_STATUSES } from '../../emission/pipeline/pipeline-rules.js';
import type { RequestStatus } from '../../emission/requests/request-status.enum.js';
import { CANCELLABLE } from '../../emission/requests/request-rules.js';
import type { ConsoleRole } from '../../platform/auth/auth.decorators.js';

/**
 * Who may open each action page (its route's decorator takes these) and when the action applies: the pages of a
 * card, a request or an insured link to an action by these same rules, so a link leads to a form that can succeed.
 */
export const ACTION_ROLES = {
  opposition: ['operator', 'fund'],
  cancellation: ['operator', 'fund'],
  replacement: ['fund'],
  mutation: ['operator', 'fund'],
} as const satisfies Record<string, readonly ConsoleRole[]>;

export const mayDo = (kind: string, action: keyof typeof ACTION_ROLES): boolean =>
  (ACTION_ROLES[action] as readonly string[]).includes(kind);

/** A card an opposition may be declared on (the life cycle's `oppose`), or an opposed one (withdrawal, its state). */
export const oppositionApplies = (state: string): 'declare' | 'opposed' | null =>
  (CARD_TRANSITIONS[CardAction.Oppose].from as readonly string[]).includes(state)
    ? 'declare'
    : state === CardState.Opposed
      ? 'opposed'
      : null;

/** A fund cancels a request until the card is ordered; an operator until the vendor has it (the API's two routes). */
export const cancellableStatuses = (kind: string): readonly RequestStatus[] =>
  kind === 'operator' ? CANCELLABLE_STATUSES : CANCELLABLE;
