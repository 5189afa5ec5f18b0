import { defineErrors } from '../platform/errors/catalogue.js';

const inExchange = (message: string) => (exchangeId: string) => ({ message, details: { exchangeId } });
const proofRefused = (description: string, message: string) => ({ status: 403, description, message });

/** The online updates' errors: chip records, the kiosk protocols and their guard, mutations and regime transfers. */
export const UpdateErrors = defineErrors('update', {
  CARD_RECORD_NOT_FOUND: {
    status: 404,
    description: 'The card has no record of this type yet; PUT it first.',
    message: (recordType: string) => `No ${recordType} record for this card`,
  },
  CARD_RECORD_TYPE_UNKNOWN: {
    status: 422,
    description: 'Not a record type of the chip (`known` lists them).',
    message: (known: readonly string[]) => ({ message: 'Unknown record type', details: { known: [...known] } }),
  },
  CARD_RECORD_FROM_REGISTER: {
    status: 409,
    description:
      'This record is written from the register, not by funds (`recordType`); change the beneficiary instead.',
    message: (recordType: string) => ({
      message:
        recordType === 'dependants'
          ? 'The dependants record is written from the register, not by funds: attach, detach or change the rights of the ' +
            "holder's dependants in the register (their attachments); every card in use of each parent concerned follows, as a pending update"
          : `The ${recordType} record is written from the register, not by funds: change the beneficiary (PATCH /v1/beneficiaries/{id} for names and ` +
            'birth date, POST /v1/beneficiaries/{id}/nir-change for the NIR, POST /v1/beneficiaries/{id}/mutations for a change of fund); ' +
            'every card of the insured in use follows, as a pending update',
      details: { recordType },
    }),
  },
  CARD_DATA_INVALID: {
    status: 422,
    description:
      'The record has faults (`errors`: every field and how to fix it); correct them and send the whole record again.',
    message: (recordType: string, errors: unknown[], faultCount: number, listed: number) => ({
      message: `The ${recordType} record has ${faultCount} fault(s); see errors`,
      details: { recordType, errors, ...(faultCount > listed ? { faultCount } : {}) },
    }),
  },
  CARD_NOT_UPDATABLE: {
    status: 409,
    description: "The card takes no data updates in its state (`state`); update the holder's current card.",
    message: (state: string) => ({
      message: `A ${state} card takes no data updates; update the holder's current card`,
      details: { state },
    }),
  },
  KIOSK_EXCHANGE_NOT_FOUND: {
    status: 404,
    description:
      "No such exchange for this kiosk (another kiosk's exchange answers the same); check again to open one.",
    message: 'No exchange of this kiosk has this id; check the card again to open one',
  },
  KIOSK_CONFIRM_INVALID: {
    status: 400,
    description:
      "A confirm names writtenRecords (with the card's cardAck on kiosk/2), or says aborted: true, not both.",
    message: (protocol: 1 | 2, why: 'missing' | 'both') =>
      protocol === 1
        ? why === 'missing'
          ? 'A confirm names writtenRecords, or says aborted: true'
          : 'A confirm is either writtenRecords or aborted, not both'
        : why === 'missing'
          ? "A confirm names writtenRecords with the card's cardAck, or says aborted: true"
          : 'A confirm is either writtenRecords with cardAck, or aborted, not both',
  },
  KIOSK_EXCHANGE_CARD_MISMATCH: {
    status: 409,
    description: 'The exchange was issued for another card (`exchangeId`); confirm with the serial it was issued for.',
    message: inExchange('This exchange was issued for another card'),
  },
  KIOSK_EXCHANGE_ALREADY_CONFIRMED: {
    status: 409,
    description: 'The exchange was already confirmed (`exchangeId`); nothing to do.',
    message: inExchange('This exchange was already confirmed'),
  },
  KIOSK_EXCHANGE_SUPERSEDED: {
    status: 409,
    description: 'A newer exchange was issued for this card (`exchangeId`); check again.',
    message: inExchange('A newer exchange was issued for this card; check again'),
  },
  KIOSK_EXCHANGE_ALREADY_FINISHED: {
    status: 409,
    description: 'The exchange already ended without an update (`exchangeId`); check again.',
    message: inExchange('This exchange already ended without an update'),
  },
  KIOSK_PROTOCOL_2_REQUIRED: {
    status: 409,
    description: 'The card has its own keys: it is updated with kiosk/2 only (/v2/kiosk/check).',
    message:
      'This card has its own keys: it is updated with kiosk protocol 2 only (/v2/kiosk/check, docs/formats/kiosk-protocol-2.md)',
  },
  KIOSK_PROTOCOL_1_REQUIRED: {
    status: 409,
    description: 'The card has no keys: update it with kiosk/1 until KIOSK_V1_UNTIL (`kioskV1Until`).',
    message: (until: string) => ({
      message: `This card has no keys (made before kiosk protocol 2): update it with kiosk/1 (/v1/kiosk/check) until ${until}`,
      details: { kioskV1Until: until },
    }),
  },
  KIOSK_CARD_REPLACEMENT_REQUIRED: {
    status: 409,
    description:
      'The card has no keys and kiosk/1 closed (`kioskV1Until`): it cannot be updated; the holder asks their fund for a new card.',
    message: (until: string) => ({
      message: `This card has no keys and kiosk/1 closed after ${until}: it cannot be updated any more; the holder must ask their fund for a new card`,
      details: { kioskV1Until: until },
    }),
  },
  KIOSK_CHALLENGE_INVALID: proofRefused(
    'The challenge is not one answered to this kiosk for this card; check again for a fresh one.',
    'The challenge is not one this system answered to this kiosk for this card (altered, or for another card or kiosk); check again',
  ),
  KIOSK_CHALLENGE_EXPIRED: proofRefused(
    'The challenge expired (KIOSK_CHALLENGE_SECONDS); check again for a fresh one.',
    'The challenge expired (KIOSK_CHALLENGE_SECONDS); check again for a fresh one',
  ),
  KIOSK_CHALLENGE_USED: proofRefused(
    'The challenge already opened an exchange; check again for a fresh one.',
    'This challenge already opened an exchange; check again for a fresh one',
  ),
  KIOSK_PROOF_INVALID: proofRefused(
    "The proof is not the card's signature of the challenge and what was read; the card must sign them in the reader.",
    "The proof is not this card's signature of the challenge, serial, version read, write flag and kiosk id: the card must sign them in the reader",
  ),
  KIOSK_ACK_INVALID: proofRefused(
    "cardAck is not the card's signature of the exchange and records written; nothing changed, the exchange stays open.",
    "cardAck is not this card's signature of the exchange, serial and records written; nothing changed and the exchange stays open",
  ),
  KIOSK_SLOWED_DOWN: {
    status: 429,
    description:
      'The kiosk key asked about too many cards without their proof: retry after `Retry-After` seconds, only with the card in the reader.',
    message: (retryAfterSeconds: number) => ({
      message:
        "This API key asked about too many cards without the card's proof: it is slowed down; retry after Retry-After seconds, only with the card in the reader",
      details: { retryAfterSeconds },
    }),
  },
  API_KEY_SUSPENDED: {
    status: 403,
    description:
      'The kiosk key is suspended (too many cards asked about without proof, KIOSK_UNPROVEN_SUSPEND); an operator must lift it.',
    message:
      "This API key is now suspended: it asked about too many cards without the card's proof (KIOSK_UNPROVEN_SUSPEND within an hour); an operator must lift the suspension",
  },
  BENEFICIARY_NOT_AFFILIATED: {
    status: 409,
    description: 'The beneficiary has no current affiliation to change.',
    message: 'The beneficiary has no current affiliation to change',
  },
  MUTATION_DATE_INVALID: {
    status: 422,
    description:
      "`effectiveDate` is not a real date, or is before today (or before the current affiliation's start); send a later one.",
    message: (why: { today?: string; currentFrom?: string } | null) => ({
      message:
        why === null
          ? 'effectiveDate is not a real date'
          : why.currentFrom !== undefined
            ? 'effectiveDate must be today or later and after the start of the current affiliation'
            : 'effectiveDate must be today or later',
      details: { field: 'effectiveDate', ...(why ?? {}) },
    }),
  },
  MUTATION_SAME_ORGANISME: {
    status: 422,
    description: 'The insured would move to the organisme they are already in (`field`, `organismeCodes`).',
    message: (field: 'toOrganismeCode' | 'mappings', organismeCodes?: string[]) => ({
      message:
        field === 'mappings'
          ? 'A mapping moves insured to their own organisme'
          : 'The insured is already affiliated to this organisme',
      details: { field, ...(organismeCodes ? { organismeCodes } : {}) },
    }),
  },
  MUTATION_PENDING: {
    status: 409,
    description: 'The current affiliation already ends: a change of fund is pending.',
    message: 'The current affiliation already ends: a change of fund is pending',
  },
  REGIME_TRANSFER_NOT_FOUND: {
    status: 404,
    description: 'No regime transfer has this id.',
    message: 'No regime transfer has this id; GET /v1/regime-transfers lists them',
  },
  REGIME_TRANSFER_SOURCE_DUPLICATE: {
    status: 422,
    description: 'A source organisme appears more than once in the mappings (`organismeCodes`); give each once.',
    message: (organismeCodes: string[]) => ({
      message: 'Each source organisme may appear once',
      details: { field: 'mappings', organismeCodes },
    }),
  },
  REGIME_TRANSFER_CHAINED: {
    status: 422,
    description: 'An organisme is both a source and a target of one transfer (`organismeCodes`); make two transfers.',
    message: (organismeCodes: string[]) => ({
      message: 'An organisme cannot be both a source and a target of one transfer',
      details: { field: 'mappings', organismeCodes },
    }),
  },
  REGIME_TRANSFER_SOURCE_BUSY: {
    status: 409,
    description: 'A source organisme is already in a transfer not yet in force (`transferIds`).',
    message: (organismeCodes: string[], transferIds: string[]) => ({
      message: 'A source organisme is already in a transfer not yet in force',
      details: { organismeCodes, transferIds },
    }),
  },
  REGIME_TRANSFER_NOT_FAILED: {
    status: 409,
    description: "Only a failed transfer can be resumed (`status` is this one's).",
    message: (status: string) => ({ message: 'Only a failed transfer can be resumed', details: { status } }),
  },
});
