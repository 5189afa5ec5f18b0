import { UpdateErrors } from './update.errors.js';
import { isRealDate } from '../platform/validation/ids.js';
import { textFault, textFaultMessage } from '../platform/validation/text.js';
import { checkAddress } from '../register/identity.js';

/**
 * The whole records a Vitale chip holds, in the order a kiosk writes them. A record is always rewritten whole;
 * validation answers the canonical content (only the known fields, in a fixed order) or throws CARD_DATA_INVALID
 * listing every fault of the record (field and how to fix it, never the value).
 *
 * `identity`, `organisme` and `dependants` are not written by funds: the database writes them from the register
 * (the beneficiary's NIR and civil status, the card's managing organisme, the holder's attached dependants) when the
 * card is issued (dependants: when its chip's keys are recorded) and on every register change (migrations
 * ChipRecordsFromRegister, DependantsChipRecord). Their content:
 *   identity   {nir, firstName, birthName, usageName, birthDate, birthRank}
 *   organisme  {code, regimeCode, caisseCode, centreCode} (the 9-digit code and its 2 + 3 + 4 parts)
 *   dependants [{identity, coverage, aldPeriods, attachedFrom, attachedTo}], one entry per attachment of the holder
 *              not yet ended, by birth date then birth rank: `identity` as above (nir null for a newborn without
 *              one), `coverage` and `aldPeriods` the `coverage` and `ald_periods` contents the holder's regime gives
 *              the child, `attachedFrom` YYYY-MM-DD, `attachedTo` YYYY-MM-DD or null. Only on cards with keys.
 */
export const RECORD_TYPES = [
  'identity',
  'organisme',
  'coverage',
  'ald_periods',
  'complementary',
  'maternity',
  'mentions',
  'dependants',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Written from the register only; a fund changes the beneficiary (or the card's fund), and the card follows. */
export const REGISTER_RECORD_TYPES: readonly RecordType[] = ['identity', 'organisme', 'dependants'];

export const isRecordType = (t: string): t is RecordType => (RECORD_TYPES as readonly string[]).includes(t);

/** More faults than this in one record are not listed one by one (the problem document stays small). */
export const MAX_LISTED_FAULTS = 50;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

interface Fault {
  field: string;
  messages: string[];
}

/** The faults of one record, collected field by field instead of stopping at the first. */
class Faults {
  readonly list: Fault[] = [];
  count = 0;

  add(field: string, message: string): undefined {
    this.count += 1;
    const known = this.list.find((f) => f.field === field);
    if (known) known.messages.push(message);
    else if (this.list.length < MAX_LISTED_FAULTS) this.list.push({ field, messages: [message] });
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object's known fields; unknown ones are a fault named by count (a caller's keys are never echoed). */
function obj(f: Faults, v: unknown, path: string, keys: string[]): Record<string, unknown> | undefined {
  if (!isObject(v)) return f.add(path, `${path} must be an object`);
  const extra = Object.keys(v).filter((k) => !keys.includes(k)).length;
  if (extra) f.add(path, `${path} has ${extra} unknown field(s); the fields are ${keys.join(', ')}`);
  return v;
}

function date(f: Faults, v: unknown, path: string): string | undefined {
  if (typeof v !== 'string' || !DATE.test(v) || !isRealDate(v))
    return f.add(path, `${path} must be a calendar date YYYY-MM-DD`);
  return v;
}

function period(
  f: Faults,
  o: Record<string, unknown>,
  path: string,
): { from: string | undefined; to: string | null | undefined } {
  const from = date(f, o.from, `${path}.from`);
  const to = o.to === null || o.to === undefined ? null : date(f, o.to, `${path}.to`);
  if (from !== undefined && typeof to === 'string' && to < from)
    f.add(`${path}.to`, `${path}.to must not be before ${path}.from`);
  return { from, to };
}

/** A code of a fixed alphabet (digits, capitals): the pattern says what is expected. */
function code(f: Faults, v: unknown, path: string, re: RegExp, what: string): string | undefined {
  if (typeof v !== 'string' || !re.test(v)) return f.add(path, `${path} must be ${what}`);
  return v;
}

/** Free text: the printable-text rule shared by every free-text field (src/platform/validation/text.ts). */
function text(f: Faults, v: unknown, path: string, max: number): string | undefined {
  const fault = textFault(v, max);
  if (fault) return f.add(path, textFaultMessage(path, fault, max));
  return v as string;
}

function list(f: Faults, v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) return f.add(path, `${path} must be a list`) ?? [];
  // A list too long is one fault, and its entries are not examined (the answer stays bounded).
  if (v.length > max) return f.add(path, `${path} has at most ${max} entries`) ?? [];
  return v;
}

type Validator = (f: Faults, v: unknown) => unknown;

const VALIDATORS: Record<Exclude<RecordType, 'identity' | 'organisme' | 'dependants'>, Validator> = {
  coverage: (f, v) =>
    list(f, v, 'coverage', 20).map((e, i) => {
      const p = `coverage[${i}]`;
      const o = obj(f, e, p, ['aldDigit', 'situation']);
      if (!o) return undefined;
      const aldDigit =
        Number.isInteger(o.aldDigit) && (o.aldDigit as number) >= 0 && (o.aldDigit as number) <= 6
          ? o.aldDigit
          : f.add(`${p}.aldDigit`, `${p}.aldDigit must be a whole number from 0 to 6`);
      return { aldDigit, situation: code(f, o.situation, `${p}.situation`, /^\d{4}$/, '4 digits') };
    }),
  ald_periods: (f, v) =>
    list(f, v, 'ald_periods', 30).map((e, i) => {
      const p = `ald_periods[${i}]`;
      const o = obj(f, e, p, ['from', 'to', 'aldCode']);
      if (!o) return undefined;
      return {
        ...period(f, o, p),
        aldCode: code(f, o.aldCode, `${p}.aldCode`, /^[0-9A-Z]{1,8}$/, '1 to 8 digits or capital letters'),
      };
    }),
  complementary: (f, v) => {
    const o = obj(f, v, 'complementary', ['css', 'amc']);
    if (!o) return undefined;
    let css: unknown = null;
    if (o.css !== null && o.css !== undefined) {
      const c = obj(f, o.css, 'complementary.css', ['from', 'to']);
      css = c ? period(f, c, 'complementary.css') : undefined;
    }
    let amc: unknown = null;
    if (o.amc !== null && o.amc !== undefined) {
      const a = obj(f, o.amc, 'complementary.amc', ['contract', 'from', 'to']);
      amc = a
        ? {
            contract: code(
              f,
              a.contract,
              'complementary.amc.contract',
              /^[0-9A-Za-z-]{1,20}$/,
              '1 to 20 letters, digits or hyphens',
            ),
            ...period(f, a, 'complementary.amc'),
          }
        : undefined;
    }
    return { css, amc };
  },
  maternity: (f, v) => {
    if (v === null) return null;
    const o = obj(f, v, 'maternity', ['date']);
    return o ? { date: date(f, o.date, 'maternity.date') } : undefined;
  },
  // The optional data Vitale 2 allows (docs/domain.md): each null when not on the chip.
  mentions: (f, v) => {
    const o = obj(f, v, 'mentions', [
      'organDonor',
      'declaredGp',
      'treatingDoctor',
      'emergencyContact',
      'address',
      'workAccidentRegime',
      'euStay',
    ]);
    if (!o) return undefined;
    const opt = <T>(k: string, read: (x: unknown) => T): T | null =>
      o[k] === undefined || o[k] === null ? null : read(o[k]);
    const bool = (k: string) =>
      opt(k, (x) => (typeof x === 'boolean' ? x : f.add(`mentions.${k}`, `mentions.${k} must be true, false or null`)));
    return {
      organDonor: bool('organDonor'),
      declaredGp: bool('declaredGp'),
      treatingDoctor: opt('treatingDoctor', (x) => text(f, x, 'mentions.treatingDoctor', 100)),
      emergencyContact: opt('emergencyContact', (x) => text(f, x, 'mentions.emergencyContact', 100)),
      address: opt('address', (x) => {
        const a = checkAddress(x);
        return a.ok ? a.value : f.add('mentions.address', `mentions.address: ${a.message}`);
      }),
      workAccidentRegime: opt('workAccidentRegime', (x) =>
        code(f, x, 'mentions.workAccidentRegime', /^\d{2}$/, '2 digits (a regime code)'),
      ),
      euStay: opt('euStay', (x) => {
        const e = obj(f, x, 'mentions.euStay', ['country', 'from', 'to']);
        return e
          ? {
              country: code(
                f,
                e.country,
                'mentions.euStay.country',
                /^[A-Z]{2}$/,
                'an ISO 3166 alpha-2 code (2 capitals)',
              ),
              ...period(f, e, 'mentions.euStay'),
            }
          : undefined;
      }),
    };
  },
};

export const recordFromRegister = UpdateErrors.CARD_RECORD_FROM_REGISTER;

/**
 * The canonical content of a record a fund may set, or 422 CARD_RECORD_TYPE_UNKNOWN / 409 CARD_RECORD_FROM_REGISTER /
 * 422 CARD_DATA_INVALID with `errors: [{field, messages}]` for every fault found.
 */
export function validateRecord(recordType: string, content: unknown): unknown {
  if (!isRecordType(recordType)) {
    throw UpdateErrors.CARD_RECORD_TYPE_UNKNOWN(RECORD_TYPES);
  }
  if (REGISTER_RECORD_TYPES.includes(recordType)) throw recordFromRegister(recordType);
  const faults = new Faults();
  const value = VALIDATORS[recordType as keyof typeof VALIDATORS](faults, content);
  if (faults.count > 0) {
    throw UpdateErrors.CARD_DATA_INVALID(recordType, faults.list, faults.count, MAX_LISTED_FAULTS);
  }
  return value;
}

/** The position of a record type in write order. */
export const recordOrder = (t: string): number => (RECORD_TYPES as readonly string[]).indexOf(t);
