import { EventsErrors } from './events.errors.js';

/** A position in one organisme's feed: the (transaction id, event id) of the last event read. */
export interface EventCursor {
  txId: string;
  id: string;
}

export const START_CURSOR: EventCursor = { txId: '0', id: '0' };

const BIGINT_MAX = 9223372036854775807n;
const CURSOR_TEXT = /^(\d{1,19})\.(\d{1,19})$/;

/** Opaque to funds (base64url of `txId.id`): they only hand back the `next` they were given. */
export function encodeCursor(c: EventCursor): string {
  return Buffer.from(`${c.txId}.${c.id}`, 'utf8').toString('base64url');
}

/** Absent = from the start; anything that is not a cursor we could have issued is refused (400 EVENT_CURSOR_INVALID). */
export function decodeCursor(raw: string | undefined): EventCursor {
  if (raw === undefined || raw === '') return START_CURSOR;
  const invalid = EventsErrors.EVENT_CURSOR_INVALID;
  if (raw.length > 64 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  const m = CURSOR_TEXT.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!m || BigInt(m[1]) > BIGINT_MAX || BigInt(m[2]) > BIGINT_MAX) throw invalid();
  // Canonical form only: a re-encoding must give back exactly what was sent (no leading zeros, no padding tricks).
  const c = { txId: BigInt(m[1]).toString(), id: BigInt(m[2]).toString() };
  if (encodeCursor(c) !== raw) throw invalid();
  return c;
}
