import { UpdateErrors } from './update.errors.js';

/**
 * What kiosk/1 and kiosk/2 share: which protocol a card takes. A card with keys (card_key) takes kiosk/2 only: on
 * kiosk/1 any kiosk key could read its records. A card without keys (made before kiosk/2, or imported) takes
 * kiosk/1 until KIOSK_V1_UNTIL, then none: it must be replaced.
 */

export const protocol2Required = UpdateErrors.KIOSK_PROTOCOL_2_REQUIRED;

export const protocol1Required = UpdateErrors.KIOSK_PROTOCOL_1_REQUIRED;

export const replacementRequired = UpdateErrors.KIOSK_CARD_REPLACEMENT_REQUIRED;

const PARIS = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  hourCycle: 'h23',
});

/** The instant a Europe/Paris calendar day (YYYY-MM-DD) ends: the next day's midnight there (UTC+1 or UTC+2). */
export function endOfParisDay(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  const nextUtcMidnight = Date.UTC(y, m - 1, d + 1);
  const next = new Date(nextUtcMidnight).toISOString().slice(0, 10);
  for (const offsetHours of [1, 2]) {
    const t = nextUtcMidnight - offsetHours * 3_600_000;
    const parts = Object.fromEntries(PARIS.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
    if (`${parts.year}-${parts.month}-${parts.day}` === next && parts.hour === '00') return t;
  }
  return nextUtcMidnight; // not reached: Paris midnight is always 1 or 2 hours before UTC's
}
