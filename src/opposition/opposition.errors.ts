import { defineErrors } from '../platform/errors/catalogue.js';

/** The opposition module's errors: declarations and withdrawals, the lists and their distribution. */
export const OppositionErrors = defineErrors('opposition', {
  OPPOSITION_NOT_FOUND: {
    status: 404,
    description: 'The card is not in opposition.',
    message: 'The card is not in opposition',
  },
  CARD_NOT_OPPOSED: {
    status: 409,
    description: "Only an opposed card has an opposition to withdraw (`state` is the card's).",
    message: (state: string) => ({ message: 'The card is not in opposition', details: { state } }),
  },
  OPPOSITION_NOT_WITHDRAWABLE: {
    status: 409,
    description: 'The opposition was set by the system (`reason`), not declared by the fund: it cannot be withdrawn.',
    message: (reason: string | null) => ({
      message: `An opposition for the reason ${reason} was set by the system and cannot be withdrawn`,
      details: { reason },
    }),
  },
  OPPOSITION_WITHDRAWAL_TOO_LATE: {
    status: 409,
    description:
      'An opposition is withdrawn only within OPPOSITION_WITHDRAWAL_HOURS of its declaration (`withdrawableUntil`).',
    message: (hours: number, opposedAt: unknown, withdrawableUntil: unknown) => ({
      message: `An opposition can be withdrawn only within ${hours} hours of its declaration`,
      details: { opposedAt, withdrawableUntil },
    }),
  },
  OPPOSITION_CARD_REPLACED: {
    status: 409,
    description: 'A replacement card was ordered for this holder (`serial`); the opposition stays.',
    message: (serial: string) => ({
      message: 'A replacement card was ordered for this holder; the opposition stays',
      details: { serial },
    }),
  },
  OPPOSITION_LIST_NOT_FOUND: {
    status: 404,
    description: 'No opposition list has this number; GET /v1/opposition-lists gives the numbers there are.',
    message: 'No opposition list has this number: GET /v1/opposition-lists gives the numbers there are',
  },
  OPPOSITION_LIST_NOT_YET_PRODUCED: {
    status: 404,
    description:
      'No list of this kind was produced yet (`nextScheduledAt` says when the scheduled job will); an operator can produce one now.',
    message: (kind: string, when: string, next: Date | null) => ({
      message:
        `No ${kind} opposition list has been produced yet: ${when} by the scheduled job (OPPOSITION_LIST_CRON, Paris time)` +
        `${next ? `, next on ${next.toISOString()}` : ''}. An operator can produce one now: POST /v1/opposition-lists {"kind":"${kind}"}.`,
      details: { kind, nextScheduledAt: next?.toISOString() ?? null, produceNow: 'POST /v1/opposition-lists' },
    }),
  },
  OPPOSITION_LIST_FILE_MISSING: {
    status: 503,
    description:
      "The list's file is not available on this instance (being copied); retry, another instance may have it.",
    message: 'The list file is not available on this instance',
  },
  CONCENTRATOR_NOT_FOUND: {
    status: 404,
    description: 'No active pharmacy_software partner has this id.',
    message: 'No active pharmacy_software partner with this id',
  },
});
