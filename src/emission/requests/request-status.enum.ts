/** Where a card request stands; the steps of the emission chain (see docs/emission.md). */
export enum RequestStatus {
  /** Step 1: the pre-filled form is sent; waiting for the insured's photo. */
  FormSent = 'form_sent',
  /** Steps 2-3: a photo arrived and is being checked. */
  PhotoReceived = 'photo_received',
  /** The last photo was refused; waiting for a new one. */
  PhotoRejected = 'photo_rejected',
  /** Step 3 done: an accepted photo; waiting for the fund's order (or ordered automatically). */
  PhotoAvailable = 'photo_available',
  /** Step 4: the card is ordered; waiting for a personalisation batch. */
  Ordered = 'ordered',
  /** Step 5: in a personalisation file at the vendor. */
  InPersonalisation = 'in_personalisation',
  /** Step 6: shipped, the card is active. */
  Completed = 'completed',
  Expired = 'expired',
  Cancelled = 'cancelled',
}

/** Statuses in which a request waits for the insured's photo (and for which the form deadlines run). */
export const AWAITING_PHOTO = [RequestStatus.FormSent, RequestStatus.PhotoRejected];

export const OPEN_REQUEST_STATUSES = [
  RequestStatus.FormSent,
  RequestStatus.PhotoReceived,
  RequestStatus.PhotoRejected,
  RequestStatus.PhotoAvailable,
  RequestStatus.Ordered,
  RequestStatus.InPersonalisation,
];

export enum RequestReason {
  FirstCard = 'first_card',
  Lost = 'lost',
  Stolen = 'stolen',
  Damaged = 'damaged',
  IdentityChange = 'identity_change',
  NirChange = 'nir_change',
  Other = 'other',
}
