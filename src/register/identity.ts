/**
 * Identity traits as on the card request form: first name 45 characters, birth name 63, usage name 42;
 * the capitals of French civil status (accented ones included), hyphens, apostrophes and spaces only.
 * Input is trimmed, inner runs of spaces collapsed and put in upper case before it is checked.
 */
export const NAME_LIMITS = { firstName: 45, birthName: 63, usageName: 42 } as const;
export const ADDRESS_MAX_LINES = 6;
export const ADDRESS_LINE_MAX = 38;

const CIVIL_NAME = /^[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ](?:[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ' -]*[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ'])?$/;
const ADDRESS_LINE = /^[0-9A-Za-zÀ-ÖØ-öø-ÿŒœ'’ ,.\-/()°]*$/;

export type IdentityErrorCode = 'NAME_INVALID_CHARACTERS' | 'NAME_TOO_LONG' | 'NAME_EMPTY' | 'ADDRESS_INVALID';

export function normaliseName(raw: string): string {
  return String(raw ?? '')
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/’/g, "'")
    .toLocaleUpperCase('fr-FR');
}

export function checkName(
  field: keyof typeof NAME_LIMITS,
  raw: string,
): { ok: true; value: string } | { ok: false; code: IdentityErrorCode; message: string } {
  const value = normaliseName(raw);
  if (!value) return { ok: false, code: 'NAME_EMPTY', message: `${field} is empty` };
  if (value.length > NAME_LIMITS[field])
    return { ok: false, code: 'NAME_TOO_LONG', message: `${field} is longer than ${NAME_LIMITS[field]} characters` };
  if (!CIVIL_NAME.test(value) || /--|''| {2}/.test(value)) {
    return {
      ok: false,
      code: 'NAME_INVALID_CHARACTERS',
      message: `${field} accepts capitals (accented too), hyphens, apostrophes and spaces only`,
    };
  }
  return { ok: true, value };
}

/** Up to 6 lines of 38 characters (AFNOR XP Z10-011 style); empty lines are dropped, at least one must remain. */
export function checkAddress(
  lines: unknown,
): { ok: true; value: string[] } | { ok: false; code: IdentityErrorCode; message: string } {
  if (!Array.isArray(lines)) return { ok: false, code: 'ADDRESS_INVALID', message: 'the address is a list of lines' };
  const value = lines
    .map((l) =>
      String(l ?? '')
        .trim()
        .replace(/\s+/g, ' '),
    )
    .filter((l) => l.length > 0);
  if (value.length === 0 || value.length > ADDRESS_MAX_LINES)
    return { ok: false, code: 'ADDRESS_INVALID', message: `the address has 1 to ${ADDRESS_MAX_LINES} lines` };
  const bad = value.findIndex((l) => l.length > ADDRESS_LINE_MAX || !ADDRESS_LINE.test(l));
  if (bad >= 0)
    return {
      ok: false,
      code: 'ADDRESS_INVALID',
      message: `address line ${bad + 1} must be at most ${ADDRESS_LINE_MAX} letters, digits, spaces or punctuation`,
    };
  return { ok: true, value };
}
