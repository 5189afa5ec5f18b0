/** The named actions that move a card between states (see card-transitions.ts and docs/card-states.md). */
export enum CardAction {
  StartPersonalisation = 'start_personalisation',
  Cancel = 'cancel',
  Ship = 'ship',
  Spoil = 'spoil',
  Activate = 'activate',
  ReturnUndeliverable = 'return_undeliverable',
  Reship = 'reship',
  Oppose = 'oppose',
  WithdrawOpposition = 'withdraw_opposition',
  Destroy = 'destroy',
}

export const ALL_CARD_ACTIONS = Object.values(CardAction);
