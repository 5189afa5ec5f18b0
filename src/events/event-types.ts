/** The events funds follow (feed and webhooks). Data holds ids, codes and states only: never a NIR, a name or a photo. */
export enum FundEventType {
  RequestFormSent = 'request.form_sent',
  RequestReminder = 'request.reminder',
  RequestExpired = 'request.expired',
  RequestCancelled = 'request.cancelled',
  PhotoReceived = 'request.photo_received',
  PhotoRejected = 'request.photo_rejected',
  PhotoAvailable = 'request.photo_available',
  CardOrdered = 'card.ordered',
  CardInPersonalisation = 'card.in_personalisation',
  CardShipped = 'card.shipped',
  CardSpoiled = 'card.spoiled',
  CardUndeliverable = 'card.undeliverable',
  RequestReopened = 'request.reopened',
  CardOpposed = 'card.opposed',
  RequestNeedsReview = 'request.needs_review',
  BeneficiaryMutatedOut = 'beneficiary.mutated_out',
  BeneficiaryMutatedIn = 'beneficiary.mutated_in',
  BeneficiaryNirChanged = 'beneficiary.nir_changed',
  BeneficiaryDeathRecorded = 'beneficiary.death_recorded',
  KioskKeySuspended = 'kiosk.key_suspended',
  DependantBirthDeclared = 'dependant.birth_declared',
  DependantAttached = 'dependant.attached',
  DependantDetached = 'dependant.detached',
  DependantNirSet = 'dependant.nir_set',
}

export interface NewFundEvent {
  organismeCode: string;
  type: FundEventType;
  subjectType: 'card_request' | 'card' | 'beneficiary' | 'api_key';
  subjectId: string;
  data: Record<string, unknown>;
}
