import { defineErrors } from '../platform/errors/catalogue.js';

/** The events module's errors: the fund event feed and webhooks. */
export const EventsErrors = defineErrors('events', {
  EVENT_CURSOR_INVALID: {
    status: 400,
    description: '`after` is not a cursor this feed gave; pass back the `next` of a previous answer.',
    message: 'after is not a cursor this feed issued; pass back the `next` of a previous answer',
  },
  EVENTS_CURSOR_EXPIRED: {
    status: 410,
    description:
      'Events after this cursor were deleted by the retention (EVENT_RETENTION_DAYS); resume from `oldestCursor` (or without `after`) and reconcile.',
    message: (oldestCursor: string) => ({
      message:
        'events after this cursor were deleted by the retention (EVENT_RETENTION_DAYS); resume from oldestCursor (or without `after`) and reconcile what may have been missed',
      details: { oldestCursor },
    }),
  },
  EVENT_ORGANISME_REQUIRED: {
    status: 400,
    description: 'An operator reads the feed of one organisme at a time; send `organismeCode`.',
    message: 'organismeCode is required: the feed is read one organisme at a time',
  },
  WEBHOOK_NOT_FOUND: {
    status: 404,
    description: "No such webhook subscription among the caller's organisme's; list them with GET /v1/webhooks.",
    message: 'No webhook subscription of your organisme has this id; GET /v1/webhooks lists them',
  },
  WEBHOOK_FUND_ONLY: {
    status: 403,
    description: 'Only a fund subscribes to its own events.',
    message: 'Only a fund subscribes to its own events',
  },
  WEBHOOK_LIMIT_REACHED: {
    status: 409,
    description: 'The organisme holds the most active webhooks allowed; delete one first.',
    message: (max: number) => `An organisme holds at most ${max} active webhooks; delete one first`,
  },
  WEBHOOK_TARGET_PRIVATE: {
    status: 400,
    description:
      'The webhook host is, or resolves to, a private, loopback or link-local address; webhooks call public addresses only.',
    message:
      'url: the host is, or resolves to, a private, loopback or link-local address; webhooks call public addresses only',
  },
  WEBHOOK_TARGET_UNRESOLVED: {
    status: 400,
    description: 'The webhook host does not resolve from the back-office; register it once its DNS name resolves.',
    message: 'url: the host does not resolve from the back-office; register the webhook once its DNS name resolves',
  },
});
