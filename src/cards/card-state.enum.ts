export enum CardState {
  Ordered = 'ordered',
  InPersonalisation = 'in_personalisation',
  Shipped = 'shipped',
  Active = 'active',
  Opposed = 'opposed',
  ReturnedUndeliverable = 'returned_undeliverable',
  Cancelled = 'cancelled',
  Destroyed = 'destroyed',
}

export enum OppositionReason {
  Lost = 'lost',
  Stolen = 'stolen',
  Fraud = 'fraud',
  InvalidatedByRegime = 'invalidated_by_regime',
  HolderDeceased = 'holder_deceased',
  Replaced = 'replaced',
  Destroyed = 'destroyed',
  Undeliverable = 'undeliverable',
  /** A usable card opposed because its holder holds another one (reconciliation of a taken-over card base). */
  Surplus = 'surplus',
}

/** Where a card comes from: this system's emission chain, or the card base taken over from the system it replaces. */
export enum CardOrigin {
  Issued = 'issued',
  Imported = 'imported',
}
