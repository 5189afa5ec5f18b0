/**
 * The NIR (French social security number): 13 characters + a 2-digit key, key = 97 - (NIR mod 97),
 * where Corsican departments 2A and 2B count as 19 and 18. First digit 1 or 2 (sex); 7 or 8 mark a
 * temporary number (NIA/NIR d'attente), accepted and flagged.
 */
export type NirErrorCode = 'NIR_FORMAT' | 'NIR_SEX_INVALID' | 'NIR_MONTH_INVALID' | 'NIR_KEY_MISMATCH';

export type NirResult =
  | { ok: true; nir: string; temporary: boolean; sex: 1 | 2 | null }
  | { ok: false; code: NirErrorCode; message: string };

const SHAPE = /^([1278])(\d{2})(\d{2})(\d{2}|2A|2B)(\d{3})(\d{3})(\d{2})$/;

/** The 13 characters as a number, Corsica rule applied. */
function numericBody(body13: string): bigint {
  const dept = body13.slice(5, 7);
  const patched = dept === '2A' ? body13.slice(0, 5) + '19' + body13.slice(7) : dept === '2B' ? body13.slice(0, 5) + '18' + body13.slice(7) : body13;
  return BigInt(patched);
}

/** The 2-digit key of a 13-character body (digits, or 2A/2B in the department position). */
export function nirKey(body13: string): string {
  const key = 97n - (numericBody(body13.toUpperCase()) % 97n);
  return key.toString().padStart(2, '0');
}

/** Validates and normalises a NIR given with or without spaces; returns the 15-character form. */
export function validateNir(input: string): NirResult {
  const nir = String(input ?? '').replace(/[\s.]/g, '').toUpperCase();
  if (/^[0-9A-Z]{15}$/.test(nir) && !/^[1278]/.test(nir)) {
    return { ok: false, code: 'NIR_SEX_INVALID', message: 'the first digit must be 1 or 2 (or 7/8 for a temporary number)' };
  }
  const m = SHAPE.exec(nir);
  if (!m) return { ok: false, code: 'NIR_FORMAT', message: 'a NIR is 13 characters (digits, 2A or 2B for Corsica) followed by a 2-digit key' };
  const [, first, , month] = m;
  const mm = Number(month);
  // Months 20-42 and 50-99 occur for people born abroad or whose birth month is unknown.
  if (mm === 0) return { ok: false, code: 'NIR_MONTH_INVALID', message: 'the birth month 00 does not exist' };
  const body = nir.slice(0, 13);
  if (nirKey(body) !== nir.slice(13)) return { ok: false, code: 'NIR_KEY_MISMATCH', message: 'the key does not match the 13 first characters' };
  const temporary = first === '7' || first === '8';
  return { ok: true, nir, temporary, sex: temporary ? null : (Number(first) as 1 | 2) };
}

/** For logs and lists seen by people who need not the whole number: sex digit and key only. */
export function maskNir(nir: string): string {
  return `${nir.slice(0, 1)}${'*'.repeat(Math.max(0, nir.length - 3))}${nir.slice(-2)}`;
}
