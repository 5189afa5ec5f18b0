/**
 * Form numbers: 8 digits printed on the pre-filled form and keyed in by the digitisation centre. The first 7
 * come from the sequence card_request_form_seq, the 8th is a Luhn check digit, so a single mistyped digit or
 * two swapped neighbours are refused at the door (FORM_NUMBER_INVALID) instead of reaching another request.
 *
 * The sequence gives about 9 million numbers ever. Once it is spent, a new request takes the number of the request
 * closed longest ago, if that was FORM_NUMBER_REUSE_DAYS or more ago; the old request then no longer holds it
 * (form_number_released_at). A number is held by one request at most (a unique index over held numbers), and a
 * request that can still receive a photo by its number always holds it (a check), so a number keyed in designates
 * one live request. With every number held, a new request is refused with 503 FORM_NUMBERS_EXHAUSTED.
 */
const FORM_NUMBER = /^\d{8}$/;

/** The Luhn digit to append to `payload` (digits only). */
export function luhnCheckDigit(payload: string): number {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) {
    // Counting from the right of the payload, every first, third, ... digit is doubled (the check digit comes after).
    let d = payload.charCodeAt(payload.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** The 8-digit form number for a 7-digit sequence value. */
export function makeFormNumber(sequence: number | string): string {
  const payload = String(sequence);
  if (!/^\d{7}$/.test(payload)) throw new Error('form sequence out of range');
  return payload + luhnCheckDigit(payload);
}

export function isValidFormNumber(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    FORM_NUMBER.test(value) &&
    luhnCheckDigit(value.slice(0, 7)) === value.charCodeAt(7) - 48
  );
}
