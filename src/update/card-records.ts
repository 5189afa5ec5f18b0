import { unprocessable } from '../platform/errors/domain-error.js';
import { checkAddress } from '../register/identity.js';
import { validateNir } from '../register/nir.js';

/**
 * The whole records a Vitale chip holds, in the order a kiosk writes them. A record is always rewritten whole;
 * validation answers the canonical content (only the known fields, in a fixed order) or throws CARD_DATA_INVALID.
 */
export const RECORD_TYPES = ['identity', 'organisme', 'coverage', 'ald_periods', 'complementary', 'maternity', 'mentions'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const isRecordType = (t: string): t is RecordType => (RECORD_TYPES as readonly string[]).includes(t);

const DATE = /^\d{4}-\d{2}-\d{2}$/;

class Invalid extends Error {}
const fail = (path: string, why: string): never => { throw new Invalid(`${path}: ${why}`); };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, path: string, keys: string[]): Record<string, unknown> {
  if (!isObject(v)) fail(path, 'must be an object');
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length) fail(path, `unknown field(s) ${extra.join(', ')}`);
  return o;
}

function date(v: unknown, path: string): string {
  if (typeof v !== 'string' || !DATE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)) || new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) !== v) {
    fail(path, 'must be a date YYYY-MM-DD');
  }
  return v as string;
}

function period(v: unknown, path: string, extra: string[] = []): Record<string, unknown> {
  const o = obj(v, path, ['from', 'to', ...extra]);
  const from = date(o.from, `${path}.from`);
  const to = o.to === null || o.to === undefined ? null : date(o.to, `${path}.to`);
  if (to !== null && to < from) fail(path, 'to is before from');
  return { from, to };
}

function str(v: unknown, path: string, max: number, re?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || (re && !re.test(v))) fail(path, re ? `must match ${re.source}` : `must be a text of 1 to ${max} characters`);
  return v as string;
}

function list(v: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(v)) fail(path, 'must be a list');
  if ((v as unknown[]).length > max) fail(path, `at most ${max} entries`);
  return v as unknown[];
}

const VALIDATORS: Record<RecordType, (v: unknown) => unknown> = {
  identity: (v) => {
    const o = obj(v, 'identity', ['nir', 'firstName', 'birthName', 'usageName', 'birthDate', 'birthRank']);
    const nir = validateNir(typeof o.nir === 'string' ? o.nir : '');
    if (!nir.ok) fail('identity.nir', nir.message);
    return {
      nir: nir.ok ? nir.nir : '',
      firstName: str(o.firstName, 'identity.firstName', 60),
      birthName: str(o.birthName, 'identity.birthName', 80),
      usageName: o.usageName === null || o.usageName === undefined ? null : str(o.usageName, 'identity.usageName', 80),
      birthDate: date(o.birthDate, 'identity.birthDate'),
      birthRank: o.birthRank === undefined ? 1 : (Number.isInteger(o.birthRank) && (o.birthRank as number) >= 1 && (o.birthRank as number) <= 9 ? o.birthRank : fail('identity.birthRank', 'must be 1 to 9')),
    };
  },
  // The chip holds the regime, caisse and centre codes: the 9-digit organisme code is their concatenation (2 + 3 + 4).
  organisme: (v) => {
    const o = obj(v, 'organisme', ['code', 'regimeCode', 'caisseCode', 'centreCode']);
    const code = str(o.code, 'organisme.code', 9, /^\d{9}$/);
    const parts = { regimeCode: code.slice(0, 2), caisseCode: code.slice(2, 5), centreCode: code.slice(5) };
    for (const [k, want] of Object.entries(parts)) {
      if (o[k] !== undefined && o[k] !== want) fail(`organisme.${k}`, `must be ${want} for organisme ${code} (or left out)`);
    }
    return { code, ...parts };
  },
  coverage: (v) => list(v, 'coverage', 20).map((e, i) => {
    const o = obj(e, `coverage[${i}]`, ['aldDigit', 'situation']);
    if (!Number.isInteger(o.aldDigit) || (o.aldDigit as number) < 0 || (o.aldDigit as number) > 6) fail(`coverage[${i}].aldDigit`, 'must be a digit 0 to 6');
    return { aldDigit: o.aldDigit, situation: str(o.situation, `coverage[${i}].situation`, 4, /^\d{4}$/) };
  }),
  ald_periods: (v) => list(v, 'ald_periods', 30).map((e, i) => {
    const o = obj(e, `ald_periods[${i}]`, ['from', 'to', 'aldCode']);
    return { ...period(o, `ald_periods[${i}]`, ['aldCode']), aldCode: str(o.aldCode, `ald_periods[${i}].aldCode`, 8, /^[0-9A-Z]{1,8}$/) };
  }),
  complementary: (v) => {
    const o = obj(v, 'complementary', ['css', 'amc']);
    const css = o.css === null || o.css === undefined ? null : period(o.css, 'complementary.css');
    let amc: Record<string, unknown> | null = null;
    if (o.amc !== null && o.amc !== undefined) {
      const a = obj(o.amc, 'complementary.amc', ['contract', 'from', 'to']);
      amc = { contract: str(a.contract, 'complementary.amc.contract', 20, /^[0-9A-Za-z-]{1,20}$/), ...period(a, 'complementary.amc', ['contract']) };
    }
    return { css, amc };
  },
  maternity: (v) => (v === null ? null : { date: date(obj(v, 'maternity', ['date']).date, 'maternity.date') }),
  // The optional data Vitale 2 allows (docs/domain.md): each null when not on the chip.
  mentions: (v) => {
    const o = obj(v, 'mentions', ['organDonor', 'declaredGp', 'treatingDoctor', 'emergencyContact', 'address', 'workAccidentRegime', 'euStay']);
    const opt = <T>(k: string, read: (x: unknown) => T): T | null => (o[k] === undefined || o[k] === null ? null : read(o[k]));
    const bool = (k: string) => opt(k, (x) => (typeof x === 'boolean' ? x : fail(`mentions.${k}`, 'must be true, false or null')));
    return {
      organDonor: bool('organDonor'),
      declaredGp: bool('declaredGp'),
      treatingDoctor: opt('treatingDoctor', (x) => str(x, 'mentions.treatingDoctor', 100)),
      emergencyContact: opt('emergencyContact', (x) => str(x, 'mentions.emergencyContact', 100)),
      address: opt('address', (x) => {
        const a = checkAddress(x);
        return a.ok ? a.value : fail('mentions.address', a.message);
      }),
      workAccidentRegime: opt('workAccidentRegime', (x) => str(x, 'mentions.workAccidentRegime', 2, /^\d{2}$/)),
      euStay: opt('euStay', (x) => {
        const e = obj(x, 'mentions.euStay', ['country', 'from', 'to']);
        return { country: str(e.country, 'mentions.euStay.country', 2, /^[A-Z]{2}$/), ...period(e, 'mentions.euStay', ['country']) };
      }),
    };
  },
};

/** The canonical content of a record, or 422 CARD_RECORD_TYPE_UNKNOWN / CARD_DATA_INVALID. */
export function validateRecord(recordType: string, content: unknown): unknown {
  if (!isRecordType(recordType)) {
    throw unprocessable('CARD_RECORD_TYPE_UNKNOWN', `Unknown record type ${recordType}`, { known: [...RECORD_TYPES] });
  }
  try {
    return VALIDATORS[recordType](content);
  } catch (e) {
    if (e instanceof Invalid) throw unprocessable('CARD_DATA_INVALID', e.message, { recordType });
    throw e;
  }
}

/** The position of a record type in write order. */
export const recordOrder = (t: string): number => (RECORD_TYPES as readonly string[]).indexOf(t);
