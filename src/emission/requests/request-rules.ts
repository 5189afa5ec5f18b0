import { RequestStatus } from './request-status.enum.js';

/** Completed years between a birth date and a day (both YYYY-MM-DD); born on 29 February, one is a year older on 1 March. */
export function ageOn(birthDate: string, day: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [ty, tm, td] = day.split('-').map(Number);
  let age = ty - by;
  if (tm < bm || (tm === bm && td < bd)) age--;
  return age;
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
