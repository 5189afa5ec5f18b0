import {
  type Checked,
  checkAddressField,
  checkBirthDate,
  checkBirthRank,
  checkNameField,
  checkNirBirthDate,
  checkNirField,
  checkUsageName,
  isIsoDate,
} from './beneficiary-input.js';
import type { DependantInput } from './beneficiary.repository.js';

/**
 * The rules on a dependant's identity (REST and bulk import alike): those of an insured person, except that the NIR
 * may be unknown yet (a newborn) and the address defaults to the parent's. Stops at the first faulty field; fields
 * are named under `prefix` (`child.firstName`) and values never quoted.
 */
export interface RawDependant {
  nir?: unknown;
  firstName?: unknown;
  birthName?: unknown;
  usageName?: unknown;
  birthDate?: unknown;
  birthRank?: unknown;
  addressLines?: unknown;
}

const under = <T>(r: Checked<T>, prefix: string): Checked<T> =>
  r.ok || !prefix ? r : { ok: false, error: { ...r.error, field: `${prefix}.${r.error.field}` } };

export function checkDependant(
  raw: RawDependant,
  today: string,
  defaultAddress: string[],
  prefix = '',
): Checked<DependantInput> {
  const noNir = raw.nir === undefined || raw.nir === null || (typeof raw.nir === 'string' && raw.nir.trim() === '');
  const nir = noNir ? null : checkNirField(raw.nir);
  if (nir && !nir.ok) return under(nir, prefix);
  const firstName = checkNameField('firstName', raw.firstName);
  if (!firstName.ok) return under(firstName, prefix);
  const birthName = checkNameField('birthName', raw.birthName);
  if (!birthName.ok) return under(birthName, prefix);
  const usageName = checkUsageName(raw.usageName);
  if (!usageName.ok) return under(usageName, prefix);
  const birthDate = checkBirthDate(raw.birthDate, today);
  if (!birthDate.ok) return under(birthDate, prefix);
  if (nir) {
    const agrees = checkNirBirthDate(nir.value.nir, birthDate.value, 'nir');
    if (!agrees.ok) return under(agrees, prefix);
  }
  const birthRank = checkBirthRank(raw.birthRank);
  if (!birthRank.ok) return under(birthRank, prefix);
  const noAddress = raw.addressLines === undefined || raw.addressLines === null;
  const addressLines = noAddress ? { ok: true as const, value: defaultAddress } : checkAddressField(raw.addressLines);
  if (!addressLines.ok) return under(addressLines, prefix);
  return {
    ok: true,
    value: {
      nir: nir ? nir.value.nir : null,
      nirTemporary: nir ? nir.value.temporary : false,
      firstName: firstName.value,
      birthName: birthName.value,
      usageName: usageName.value,
      birthDate: birthDate.value,
      birthRank: birthRank.value,
      addressLines: addressLines.value,
    },
  };
}

/** An attachment's period fault: the message and the field (never the value). */
export interface PeriodFault {
  message: string;
  field: string;
}

/**
 * An attachment's period: `validFrom` a calendar date not before the birth (default: today, or the birth date when
 * later), `validTo` absent/null (open) or a date after `validFrom`.
 */
export function checkAttachmentPeriod(
  raw: { validFrom?: unknown; validTo?: unknown },
  birthDate: string,
  today: string,
): { ok: true; validFrom: string; validTo: string | null } | { ok: false; fault: PeriodFault } {
  let validFrom = today < birthDate ? birthDate : today;
  if (raw.validFrom !== undefined && raw.validFrom !== null && raw.validFrom !== '') {
    if (!isIsoDate(raw.validFrom))
      return { ok: false, fault: { field: 'validFrom', message: 'validFrom must be a calendar date YYYY-MM-DD' } };
    if (raw.validFrom < birthDate)
      return { ok: false, fault: { field: 'validFrom', message: 'validFrom cannot be before the birth date' } };
    validFrom = raw.validFrom;
  }
  let validTo: string | null = null;
  if (raw.validTo !== undefined && raw.validTo !== null && raw.validTo !== '') {
    if (!isIsoDate(raw.validTo))
      return { ok: false, fault: { field: 'validTo', message: 'validTo must be a calendar date YYYY-MM-DD' } };
    if (raw.validTo <= validFrom)
      return { ok: false, fault: { field: 'validTo', message: 'validTo must be after validFrom' } };
    validTo = raw.validTo;
  }
  return { ok: true, validFrom, validTo };
}
