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
}
