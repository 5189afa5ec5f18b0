/**
 * The NIR (French social security number): 13 characters + a 2-digit key, key = 97 - (NIR mod 97),
 * where Corsican departments 2A and 2B count as 19 and 18. First digit 1 or 2 (sex); 7 or 8 mark a
 * temporary number (NIA/NIR d'attente), accepted and flagged.
 */
export type NirErrorCode = 'NIR_FORMAT' | 'NIR_SEX_INVALID' | 'NIR_MONTH_INVALID' | 'NIR_KEY_MISMATCH';

/**
 * The birth month positions a NIR may hold: 01-12 a real month; 20-42 and 50-99 occur for people born abroad
 * or whose birth month is unknown. 00, 13-19 and 43-49 are never issued.
 */
export function isNirMonth(mm: number): boolean {
  return (mm >= 1 && mm <= 12) || (mm >= 20 && mm <= 42) || (mm >= 50 && mm <= 99);
}

export type NirResult =
  { ok: true; nir: string; temporary: boolean; sex: 1 | 2 | null } | { ok: false; code: NirErrorCode; message: string };

const SHAPE = /^([1278])(\d{2})(\d{2})(\d{2}|2A|2B)(\d{3})(\d{3})(\d{2})$/;

/** The 13 characters as a number, Corsica rule applied. */
function numericBody(body13: string): bigint {
  const dept = body13.slice(5, 7);
  const patched =
    dept === '2A'
      ? body13.slice(0, 5) + '19' + body13.slice(7)
      : dept === '2B'
        ? body13.slice(0, 5) + '18' + body13.slice(7)
        : body13;
  return BigInt(patched);
}

/** The 2-digit key of a 13-character body (digits, or 2A/2B in the department position). */
export function nirKey(body13: string): string {
  const key = 97n - (numericBody(body13.toUpperCase()) % 97n);
  return key.toString().padStart(2, '0');
}

/** Validates and normalises a NIR given with or without spaces; returns the 15-character form. */
export function validateNir(input: string): NirResult {
  const nir = String(input ?? '')
    .replace(/[\s.]/g, '')
    .toUpperCase();
  if (/^[0-9A-Z]{15}$/.test(nir) && !/^[1278]/.test(nir)) {
    return {
      ok: false,
      code: 'NIR_SEX_INVALID',
      message: 'the first digit must be 1 or 2 (or 7/8 for a temporary number)',
    };
  }
  const m = SHAPE.exec(nir);
  if (!m)
    return {
      ok: false,
      code: 'NIR_FORMAT',
      message: 'a NIR is 13 characters (digits, 2A or 2B for Corsica) followed by a 2-digit key',
    };
  const [, first, , month] = m;
  const mm = Number(month);
  if (!isNirMonth(mm)) {
    return {
      ok: false,
      code: 'NIR_MONTH_INVALID',
      message: 'the birth month (characters 4-5) must be 01 to 12, 20 to 42 or 50 to 99',
    };
  }
  const body = nir.slice(0, 13);
  if (nirKey(body) !== nir.slice(13))
    return { ok: false, code: 'NIR_KEY_MISMATCH', message: 'the key does not match the 13 first characters' };
  const temporary = first === '7' || first === '8';
  return { ok: true, nir, temporary, sex: temporary ? null : (Number(first) as 1 | 2) };
}

/**
 * Whether a NIR agrees with a birth date (YYYY-MM-DD): its characters 2-3 are the year's last two digits and 4-5
 * the month. Checked only where the NIR holds a real month (01-12) and is definitive: a month of 20-42 or 50-99
 * says the date was unknown when the number was given, and a temporary number (7/8) is not yet tied to the
 * civil-status record, so neither is compared.
 */
export function nirAgreesWithBirthDate(nir: string, birthDate: string): boolean {
  if (!/^[12]/.test(nir)) return true;
  const mm = Number(nir.slice(3, 5));
  if (mm < 1 || mm > 12) return true;
  return nir.slice(1, 3) === birthDate.slice(2, 4) && nir.slice(3, 5) === birthDate.slice(5, 7);
}

/** For logs and lists seen by people who need not the whole number: sex digit and key only. */
export function maskNir(nir: string): string {
  return `${nir.slice(0, 1)}${'*'.repeat(Math.max(0, nir.length - 3))}${nir.slice(-2)}`;
}
