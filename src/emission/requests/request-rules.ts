import { RequestStatus } from './request-status.enum.js';

/** Completed years between a birth date and a day (both YYYY-MM-DD); born on 29 February, one is a year older on 1 March. */
export function ageOn(birthDate: string, day: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [ty, tm, td] = day.split('-').map(Number);
  let age = ty - by;
  if (tm < bm || (tm === bm && td < bd)) age--;
  return age;
}

/** From this age a parent's fund may open a card of their own for a dependant (CARD_MIN_AGE: automatically). */
export const OWN_CARD_ON_REQUEST_AGE = 12;

/** The day `years` before `day` (YYYY-MM-DD); 29 February falls back to the 28th in a common year. */
export function yearsBefore(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number);
  const year = y - years;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const dd = m === 2 && d === 29 && !leap ? 28 : d;
  return `${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
}

/** The day `days` after `day` (YYYY-MM-DD). */
export function daysAfter(day: string, days: number): string {
  const t = new Date(`${day}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + days);
  return t.toISOString().slice(0, 10);
}

/** A fund may cancel while nothing has been ordered yet: after that a card exists and follows its own life cycle. */
export const CANCELLABLE = [
  RequestStatus.FormSent,
  RequestStatus.PhotoReceived,
  RequestStatus.PhotoRejected,
  RequestStatus.PhotoAvailable,
];

/** YYYY-MM-DD → dd/mm/yyyy, as printed on French forms. */
export function frenchDate(isoDay: string): string {
  const [y, m, d] = isoDay.split('-');
  return `${d}/${m}/${y}`;
}
