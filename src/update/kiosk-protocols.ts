import { conflict, DomainError } from '../platform/errors/domain-error.js';

/**
 * What kiosk/1 and kiosk/2 share: which protocol a card takes. A card with keys (card_key) takes kiosk/2 only: on
 * kiosk/1 any kiosk key could read its records. A card without keys (made before kiosk/2, or imported) takes
 * kiosk/1 until KIOSK_V1_UNTIL, then none: it must be replaced.
 */

export const protocol2Required = (): DomainError => conflict('KIOSK_PROTOCOL_2_REQUIRED',
  'This card has its own keys: it is updated with kiosk protocol 2 only (/v2/kiosk/check, docs/formats/kiosk-protocol-2.md)');

export const protocol1Required = (until: string): DomainError => conflict('KIOSK_PROTOCOL_1_REQUIRED',
  `This card has no keys (made before kiosk protocol 2): update it with kiosk/1 (/v1/kiosk/check) until ${until}`, { kioskV1Until: until });

export const replacementRequired = (until: string): DomainError => conflict('KIOSK_CARD_REPLACEMENT_REQUIRED',
  `This card has no keys and kiosk/1 closed after ${until}: it cannot be updated any more; the holder must ask their fund for a new card`,
  { kioskV1Until: until });

const PARIS = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });

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
