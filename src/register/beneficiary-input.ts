import { checkAddress, checkName, type NAME_LIMITS } from './identity.js';
import { nirAgreesWithBirthDate, validateNir } from './nir.js';
import type { BeneficiaryInputCode } from './register.errors.js';

/**
 * The rules shared by the REST endpoints and the bulk import: one place decides what a valid insured person is,
 * and both answer with the same stable codes. Error messages name fields and rules only, never the values.
 */
export interface BeneficiaryInput {
  nir: string;
  nirTemporary: boolean;
  firstName: string;
  birthName: string;
  usageName: string | null;
  birthDate: string;
  birthRank: number;
  addressLines: string[];
  affiliatedFrom: string;
}

/** Identity traits and address, what a fund may change on an existing beneficiary. */
export type IdentityFields = Pick<
  BeneficiaryInput,
  'firstName' | 'birthName' | 'usageName' | 'birthDate' | 'birthRank' | 'addressLines'
>;
export const IDENTITY_FIELDS: (keyof IdentityFields)[] = [
  'firstName',
  'birthName',
  'usageName',
  'birthDate',
  'birthRank',
  'addressLines',
];

export interface InputError {
  code: BeneficiaryInputCode;
  /** The field in camelCase (`addressLines[2]` for one address line); each file format maps it to its own column name. */
  field: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: InputError };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = (code: BeneficiaryInputCode, field: string, message: string): Checked<never> => ({
  ok: false,
  error: { code, field, message },
});

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const EARLIEST_BIRTH = '1880-01-01';

// Built once: a formatter with a time zone costs far more to make than to use, and "today" is asked on hot paths (orders).
const PARIS_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Paris',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's date in metropolitan France, YYYY-MM-DD: the day affiliations open and close on. */
export function parisToday(now: Date = new Date()): string {
  return PARIS_DATE.format(now);
}

export function isIsoDate(raw: unknown): raw is string {
  if (typeof raw !== 'string') return false;
  const m = ISO_DATE.exec(raw);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1000 && date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

export function checkNirField(raw: unknown): Checked<{ nir: string; temporary: boolean }> {
  if (typeof raw !== 'string') return fail('NIR_FORMAT', 'nir', 'the NIR is a text of 15 characters');
  const r = validateNir(raw);
  return r.ok ? ok({ nir: r.nir, temporary: r.temporary }) : fail(r.code, 'nir', r.message);
}

/** A definitive NIR holding a real month must agree with the birth date (see nirAgreesWithBirthDate). */
export function checkNirBirthDate(nir: string, birthDate: string, field: string): Checked<true> {
  return nirAgreesWithBirthDate(nir, birthDate)
    ? ok(true)
    : fail(
        'NIR_BIRTH_DATE_MISMATCH',
        field,
        "the NIR's year and month (characters 2 to 5) must be those of birthDate; correct whichever is wrong",
      );
}

export function checkNameField(field: keyof typeof NAME_LIMITS, raw: unknown): Checked<string> {
  if (typeof raw !== 'string') return fail('NAME_EMPTY', field, `${field} is required`);
  const r = checkName(field, raw);
  return r.ok ? ok(r.value) : fail(r.code, field, r.message);
}

/** The usage name is optional: absent, null or blank means none. */
export function checkUsageName(raw: unknown): Checked<string | null> {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return ok(null);
  return checkNameField('usageName', raw);
}

export function checkBirthDate(raw: unknown, today: string): Checked<string> {
  if (!isIsoDate(raw)) return fail('DATE_INVALID', 'birthDate', 'birthDate must be a calendar date YYYY-MM-DD');
  if (raw > today) return fail('DATE_INVALID', 'birthDate', 'birthDate cannot be in the future');
  if (raw < EARLIEST_BIRTH) return fail('DATE_INVALID', 'birthDate', `birthDate cannot be before ${EARLIEST_BIRTH}`);
  return ok(raw);
}

/** A date of death: never in the future, never before birth; null takes back a date recorded in error. */
export function checkDiedOn(raw: unknown, birthDate: string, today: string): Checked<string | null> {
  if (raw === null) return ok(null);
  if (!isIsoDate(raw)) return fail('DATE_INVALID', 'diedOn', 'diedOn must be a calendar date YYYY-MM-DD, or null');
  if (raw > today) return fail('DATE_INVALID', 'diedOn', 'diedOn cannot be in the future');
  if (raw < birthDate) return fail('DATE_INVALID', 'diedOn', 'diedOn cannot be before the birth date');
  return ok(raw);
}

/** The start of the affiliation: today when absent; never in the future, never before birth. */
export function checkAffiliatedFrom(raw: unknown, birthDate: string, today: string): Checked<string> {
  if (raw === undefined || raw === null || raw === '') return ok(today < birthDate ? birthDate : today);
  if (!isIsoDate(raw))
    return fail('DATE_INVALID', 'affiliatedFrom', 'affiliatedFrom must be a calendar date YYYY-MM-DD');
  if (raw > today) return fail('DATE_INVALID', 'affiliatedFrom', 'affiliatedFrom cannot be in the future');
  if (raw < birthDate) return fail('DATE_INVALID', 'affiliatedFrom', 'affiliatedFrom cannot be before the birth date');
  return ok(raw);
}

/** Birth rank among same-day births of the same mother (twins): 1 to 9, 1 when absent. */
export function checkBirthRank(raw: unknown): Checked<number> {
  if (raw === undefined || raw === null || raw === '') return ok(1);
  const n = typeof raw === 'string' && /^\d{1,2}$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 9) {
    return fail('BIRTH_RANK_INVALID', 'birthRank', 'birthRank is a whole number from 1 to 9');
  }
  return ok(n);
}

/** Address lines (empty ones dropped); on error, the field names the first faulty line as given. */
export function checkAddressField(raw: unknown): Checked<string[]> {
  const r = checkAddress(raw);
  if (r.ok) return ok(r.value);
  if (Array.isArray(raw)) {
    const bad = raw.findIndex((l) => String(l ?? '').trim() !== '' && !checkAddress([l]).ok);
    if (bad >= 0)
      return fail(
        r.code,
        `addressLines[${bad}]`,
        `address line ${bad + 1} must be at most 38 letters, digits, spaces or punctuation`,
      );
  }
  return fail(r.code, 'addressLines', r.message);
}

export interface RawBeneficiary {
  nir?: unknown;
  firstName?: unknown;
  birthName?: unknown;
  usageName?: unknown;
  birthDate?: unknown;
  birthRank?: unknown;
  addressLines?: unknown;
  affiliatedFrom?: unknown;
}

/** Validates and normalises a whole new beneficiary; stops at the first faulty field. */
export function checkBeneficiary(raw: RawBeneficiary, today: string): Checked<BeneficiaryInput> {
  const nir = checkNirField(raw.nir);
  if (!nir.ok) return nir;
  const firstName = checkNameField('firstName', raw.firstName);
  if (!firstName.ok) return firstName;
  const birthName = checkNameField('birthName', raw.birthName);
  if (!birthName.ok) return birthName;
  const usageName = checkUsageName(raw.usageName);
  if (!usageName.ok) return usageName;
  const birthDate = checkBirthDate(raw.birthDate, today);
  if (!birthDate.ok) return birthDate;
  const agrees = checkNirBirthDate(nir.value.nir, birthDate.value, 'nir');
  if (!agrees.ok) return agrees;
  const birthRank = checkBirthRank(raw.birthRank);
  if (!birthRank.ok) return birthRank;
  const addressLines = checkAddressField(raw.addressLines);
  if (!addressLines.ok) return addressLines;
  const affiliatedFrom = checkAffiliatedFrom(raw.affiliatedFrom, birthDate.value, today);
  if (!affiliatedFrom.ok) return affiliatedFrom;
  return ok({
    nir: nir.value.nir,
    nirTemporary: nir.value.temporary,
    firstName: firstName.value,
    birthName: birthName.value,
    usageName: usageName.value,
    birthDate: birthDate.value,
    birthRank: birthRank.value,
    addressLines: addressLines.value,
    affiliatedFrom: affiliatedFrom.value,
  });
}

/** Validates the fields present in a change (undefined = unchanged; usageName null = remove it). */
export function checkIdentityChange(
  raw: Partial<Record<keyof IdentityFields, unknown>>,
  today: string,
): Checked<Partial<IdentityFields>> {
  const out: Partial<IdentityFields> = {};
  if (raw.firstName !== undefined) {
    const r = checkNameField('firstName', raw.firstName);
    if (!r.ok) return r;
    out.firstName = r.value;
  }
  if (raw.birthName !== undefined) {
    const r = checkNameField('birthName', raw.birthName);
    if (!r.ok) return r;
    out.birthName = r.value;
  }
  if (raw.usageName !== undefined) {
    const r = checkUsageName(raw.usageName);
    if (!r.ok) return r;
    out.usageName = r.value;
  }
  if (raw.birthDate !== undefined) {
    const r = checkBirthDate(raw.birthDate, today);
    if (!r.ok) return r;
    out.birthDate = r.value;
  }
  if (raw.birthRank !== undefined) {
    const r = checkBirthRank(raw.birthRank);
    if (!r.ok) return r;
    out.birthRank = r.value;
  }
  if (raw.addressLines !== undefined) {
    const r = checkAddressField(raw.addressLines);
    if (!r.ok) return r;
    out.addressLines = r.value;
  }
  return ok(out);
}
