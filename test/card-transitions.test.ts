import { describe, expect, it } from 'vitest';
import { ALL_CARD_ACTIONS, CardAction } from '../src/cards/card-action.enum.js';
import { CardState } from '../src/cards/card-state.enum.js';
import {
  allowedCardActions,
  assertCardTransition,
  CARD_TRANSITIONS,
  isBlocked,
  nextCardState,
  TERMINAL_CARD_STATES,
} from '../src/cards/card-transitions.js';
import { DomainError } from '../src/platform/errors/domain-error.js';

const S = CardState;
const A = CardAction;
const ALL_STATES = Object.values(CardState);
const OPPOSABLE = [S.Shipped, S.Active, S.ReturnedUndeliverable];

/**
 * The documented table (docs/card-states.md), written out independently of the code under test:
 * [from, action, to]. `withdraw_opposition` is listed per remembered previous state.
 */
const DOCUMENTED: Array<[CardState, CardAction, CardState]> = [
  [S.Ordered, A.StartPersonalisation, S.InPersonalisation],
  [S.Ordered, A.Cancel, S.Cancelled],
  [S.InPersonalisation, A.Ship, S.Shipped],
  [S.InPersonalisation, A.Spoil, S.Destroyed],
  [S.Shipped, A.Activate, S.Active],
  [S.Shipped, A.ReturnUndeliverable, S.ReturnedUndeliverable],
  [S.Active, A.ReturnUndeliverable, S.ReturnedUndeliverable],
  [S.ReturnedUndeliverable, A.Reship, S.Shipped],
  [S.Shipped, A.Oppose, S.Opposed],
  [S.Active, A.Oppose, S.Opposed],
  [S.ReturnedUndeliverable, A.Oppose, S.Opposed],
  [S.Opposed, A.Destroy, S.Destroyed],
  [S.ReturnedUndeliverable, A.Destroy, S.Destroyed],
];

/** Every (state, previous state, action) a card can be asked: previous is only meaningful while opposed. */
function* matrix(): Generator<{ state: CardState; previousState: CardState | null; action: CardAction }> {
  for (const state of ALL_STATES) {
    const previous = state === S.Opposed ? [null, ...ALL_STATES] : [null];
    for (const previousState of previous) for (const action of ALL_CARD_ACTIONS) yield { state, previousState, action };
  }
}

function expected(state: CardState, previousState: CardState | null, action: CardAction): CardState | null {
  if (state === S.Opposed && action === A.WithdrawOpposition) {
    return previousState && OPPOSABLE.includes(previousState) ? previousState : null;
  }
  return DOCUMENTED.find(([f, a]) => f === state && a === action)?.[2] ?? null;
}

describe('card transition table', () => {
  const cases = [...matrix()];

  it('covers every state and every action', () => {
    expect(ALL_STATES).toHaveLength(8);
    expect(ALL_CARD_ACTIONS).toHaveLength(10);
    expect(Object.keys(CARD_TRANSITIONS).sort()).toEqual([...ALL_CARD_ACTIONS].sort());
    expect(cases.length).toBe(7 * 10 + 9 * 10);
  });

  it.each(cases)('$state (previous $previousState) + $action', ({ state, previousState, action }) => {
    const want = expected(state, previousState, action);
    const card = { state, previousState };
    expect(nextCardState(card, action)).toBe(want);
    if (want === null) {
      let err: unknown;
      try {
        assertCardTransition(card, action);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DomainError);
      const d = err as DomainError;
      expect(d.code).toBe('CARD_TRANSITION_NOT_ALLOWED');
      expect(d.status).toBe(409);
      expect(d.message).toContain(state);
      expect(d.message).toContain(action);
      expect(d.details).toMatchObject({ state, action });
    } else {
      expect(assertCardTransition(card, action)).toBe(want);
    }
  });

  it('allows exactly the documented moves, no more', () => {
    const allowed = new Set(
      cases.filter((c) => nextCardState(c, c.action) !== null).map((c) => `${c.state}/${c.action}`),
    );
    const documented = new Set([...DOCUMENTED.map(([f, a]) => `${f}/${a}`), `${S.Opposed}/${A.WithdrawOpposition}`]);
    expect([...allowed].sort()).toEqual([...documented].sort());
  });

  it('makes cancelled and destroyed terminal', () => {
    expect([...TERMINAL_CARD_STATES].sort()).toEqual([S.Cancelled, S.Destroyed].sort());
    for (const state of TERMINAL_CARD_STATES) expect(allowedCardActions({ state, previousState: null })).toEqual([]);
  });

  it('never reactivates an opposed card except by withdrawal to its previous state', () => {
    for (const previousState of [null, ...ALL_STATES]) {
      const card = { state: S.Opposed, previousState };
      for (const action of ALL_CARD_ACTIONS) {
        const to = nextCardState(card, action);
        if (to === S.Active) {
          expect(action).toBe(A.WithdrawOpposition);
          expect(previousState).toBe(S.Active);
        }
      }
    }
  });

  it('asks a reason for opposition only', () => {
    for (const action of ALL_CARD_ACTIONS) expect(CARD_TRANSITIONS[action].needsReason).toBe(action === A.Oppose);
  });

  it('refuses an unknown action name', () => {
    expect(nextCardState({ state: S.Ordered, previousState: null }, 'reactivate' as CardAction)).toBeNull();
  });

  it('blocks every state but shipped and active', () => {
    for (const state of ALL_STATES) expect(isBlocked(state)).toBe(state !== S.Shipped && state !== S.Active);
  });
});
