import { defineErrors } from '../platform/errors/catalogue.js';

/** The emission chain's errors: card requests (step 1), orders (step 4), the pipeline, vendors. */
export const EmissionErrors = defineErrors('emission', {
  REQUEST_NOT_FOUND: {
    status: 404,
    description:
      "No such card request among the caller's organisme's (another fund's request answers the same); check the id.",
    message: "No such card request among your organisme's; check the id (GET /v1/card-requests lists them)",
  },
  REQUEST_TOO_YOUNG: {
    status: 422,
    description:
      "The beneficiary is under `minAge`: CARD_MIN_AGE for an insured, 12 for a dependant (on a parent's fund's request); younger children are on a parent's card.",
    message: (minAge: number) => ({
      message: `A card of one's own starts at ${minAge} for this person; younger children are on a parent's card`,
      details: { minAge },
    }),
  },
  REQUEST_ACTIVE_CARD_EXISTS: {
    status: 409,
    description: 'A first card was asked for a holder who has a card in use; ask for a replacement with its reason.',
    message: 'The holder already has a card in use (shipped or active): choose the reason of its replacement',
  },
  REQUEST_ALREADY_OPEN: {
    status: 409,
    description: 'The beneficiary already has an open card request; cancel it or let it finish.',
    message: 'The beneficiary already has an open card request; cancel it or let it finish',
  },
  REQUEST_NOT_CANCELLABLE: {
    status: 409,
    description: 'The request went too far to be cancelled (`requestStatus`).',
    message: (requestStatus: string) => ({
      message: `A request in status ${requestStatus} cannot be cancelled`,
      details: { requestStatus },
    }),
  },
  REQUEST_NOT_AWAITING_PHOTO: {
    status: 409,
    description: 'The request takes a photo only in form_sent or photo_rejected (`requestStatus`).',
    message: (requestStatus: string) => ({
      message: `The request is in status ${requestStatus}; it takes a photo only in form_sent or photo_rejected`,
      details: { requestStatus },
    }),
  },
  FORM_NUMBERS_EXHAUSTED: {
    status: 503,
    description:
      'Every form number is held (numbers come back as requests close, `reuseDays`); retry later, nothing was written.',
    message: (reuseDays: number) => ({
      message:
        `Every 8-digit form number is held by an open request or by one closed less than ${reuseDays} days ago ` +
        '(FORM_NUMBER_REUSE_DAYS); numbers come back as requests close. Retry later; nothing was written',
      details: { reuseDays },
    }),
  },
  ORDER_NOT_AUTOMATIC: {
    status: 409,
    description: 'The request is ordered by its fund, not automatically (internal step).',
    message: 'This request is ordered by its fund',
  },
  ORDER_REQUEST_NOT_READY: {
    status: 409,
    description: 'A card is ordered for a request whose photo is available (`requestStatus` says where it is).',
    message: (requestStatus: string) => ({
      message: `A card is ordered for a request whose photo is available; this one is ${requestStatus}`,
      details: { requestStatus },
    }),
  },
  ORDER_NOT_AFFILIATED: {
    status: 409,
    description: 'The insured is no longer affiliated to this organisme in the register; the new fund orders the card.',
    message: 'The insured is not currently affiliated to this organisme in the register',
  },
  ORDER_PHOTO_MISSING: {
    status: 409,
    description: 'The request has no accepted photo ready for the card; wait for the photo step.',
    message: 'The request has no accepted photo ready for the card',
  },
  ORDER_PHOTO_TOO_OLD: {
    status: 409,
    description: 'The photo is older than PHOTO_MAX_AGE_DAYS (`receivedAt`, `maxAgeDays`); a new photo is needed.',
    message: (receivedAt: Date | string, maxAgeDays: number) => ({
      message: `The photo was received more than ${maxAgeDays} days ago; a new one is needed`,
      details: { receivedAt, maxAgeDays },
    }),
  },
  ORDER_ACTIVE_CARD_EXISTS: {
    status: 409,
    description:
      'The insured holds a card (any regime, `states`) that this request does not replace; oppose or replace it first.',
    message: (states: string[]) => ({
      message: 'The insured already holds a card (in any regime) that this request does not replace',
      details: { states },
    }),
  },
  PIPELINE_REQUEST_NOT_FOUND: {
    status: 404,
    description: 'No card request has this id; list them from the pipeline.',
    message: "No card request has this id; check it against GET /v1/pipeline/stuck or the fund's request",
  },
  PIPELINE_NOTHING_TO_RETRY: {
    status: 409,
    description:
      'The request waits on the insured, the fund or the vendor, or is closed (`waitingOn`): nothing to re-run.',
    message: (requestStatus: string, waitingOn: string | null) => ({
      message: `Nothing to re-run for a request ${requestStatus} (waiting on ${waitingOn})`,
      details: { requestStatus, waitingOn },
    }),
  },
  PIPELINE_CANNOT_CANCEL: {
    status: 409,
    description: 'The request went too far to be cancelled here (`cancellable` lists the statuses that can be).',
    message: (requestStatus: string, cancellable: readonly string[]) => ({
      message: `A request ${requestStatus} can no longer be cancelled here`,
      details: { requestStatus, cancellable },
    }),
  },
  PIPELINE_SINCE_INVALID: {
    status: 400,
    description: '`since` is not a valid date; send an ISO 8601 date or instant.',
    message: 'since is not a valid date',
  },
  PIPELINE_CURSOR_INVALID: {
    status: 400,
    description: '`after` is not a cursor this list gave; pass back the `next` of a previous page.',
    message: 'after is not a cursor this list issued; pass back the `next` of a previous page',
  },
  VENDOR_NOT_FOUND: {
    status: 404,
    description: 'No vendor profile for this partner id; create it with POST /v1/vendors.',
    message: 'This partner has no vendor profile; GET /v1/vendors lists them, POST /v1/vendors creates one',
  },
  VENDOR_PARTNER_KIND: {
    status: 422,
    description: "Only a partner of kind personalisation_vendor can be a vendor (`kind` is the partner's).",
    message: (kind: string) => ({
      message: 'Only a partner of kind personalisation_vendor can be a vendor',
      details: { kind },
    }),
  },
  VENDOR_EXISTS: {
    status: 409,
    description: 'This partner already has a vendor profile; PATCH it.',
    message: 'This partner already has a vendor profile; PATCH it',
  },
  VENDOR_LOGIN_TAKEN: {
    status: 409,
    description: 'Another vendor has this SFTP login; choose another.',
    message: 'Another vendor has this login',
  },
  VENDOR_DEFAULT_TAKEN: {
    status: 409,
    description: 'Another vendor is the default (`partnerId`); unset it first.',
    message: (partnerId: string) => ({
      message: 'Another vendor is the default; unset it first',
      details: { partnerId },
    }),
  },
  VENDOR_REGIME_TAKEN: {
    status: 409,
    description: 'A regime is served by one vendor only (`taken`); take it from the other vendor first.',
    message: (taken: unknown[]) => ({ message: 'A regime is served by one vendor only', details: { taken } }),
  },
  AGE_RECIPIENT_INVALID: {
    status: 422,
    description: 'Not an age X25519 recipient ("age1" and 58 characters, as `age-keygen -y key.txt` prints it).',
    message: 'Expected an age X25519 recipient: "age1" and 58 characters, as `age-keygen -y key.txt` prints it',
  },
  AGE_RECIPIENT_TAKEN: {
    status: 409,
    description: 'Another vendor has this age recipient: each vendor has its own key pair.',
    message: 'Another vendor has this recipient: each vendor has its own age key pair',
  },
  SSH_KEY_NOT_FOUND: {
    status: 404,
    description: 'This vendor has no SSH key with this id; read the vendor to see its keys.',
    message: 'This vendor has no SSH key with this id; GET /v1/vendors lists its keys',
  },
});
