import type { BeneficiaryInput } from '../register/beneficiary-input.js';
import { addressLines } from './addresses.js';
import { personNames } from './names.js';
import { nirSpace } from './nir-space.js';
import { OrganismePicker } from './regime-shares.js';
import { hash32, mix32, Rng } from './rng.js';

/**
 * Synthetic beneficiaries for the register: pure and deterministic. Row `i` of a run is person number offset + i of
 * the NIR slot map (nir-space.ts), so NIRs never repeat across runs that use disjoint index ranges; names, address,
 * birth day and affiliations come from a random stream seeded by (seed, index).
 */
export interface SyntheticAffiliation {
  organismeCode: string;
  validFrom: string;
  validTo: string | null;
}

/** A register person as the REST API and bulk import validate it, plus what the generator adds. */
export interface SyntheticBeneficiary extends Omit<BeneficiaryInput, 'affiliatedFrom'> {
  /** Position in the NIR slot map. */
  index: number;
  id: string;
  /** Oldest first; the last one is current (validTo null). Empty when no organismes were given. */
  affiliations: SyntheticAffiliation[];
}

export interface GenerateOptions {
  /** 9-digit organisme codes to affiliate people to (regime = first 2 digits). */
  organismes?: readonly string[];
}

/** Affiliation dates stay before this day, whatever the clock says, so a seed gives the same rows every day. */
const HORIZON = daysFromCivil(2026, 1, 1);
const REGISTER_START = daysFromCivil(1990, 1, 1);

/** How many distinct beneficiaries the generator can ever produce (indexes 0 .. capacity-1). */
export function syntheticCapacity(): number {
  return nirSpace().size;
}

export function* generateBeneficiaries(
  count: number,
  seed: number,
  offset = 0,
  options: GenerateOptions = {},
): Generator<SyntheticBeneficiary> {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('count must be a non-negative integer');
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError('offset must be a non-negative integer');
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError('seed must be an integer from 0 to 4294967295');
  const space = nirSpace();
  if (offset + count > space.size)
    throw new RangeError(`the generator holds ${space.size} distinct NIRs; offset + count exceeds it`);
  const picker = options.organismes?.length ? new OrganismePicker(options.organismes) : null;
  const rng = new Rng();
  for (let index = offset; index < offset + count; index++) {
    rng.reseed(seed, index);
    const slot = space.slot(index);
    const day = 1 + rng.int(daysInMonth(slot.year, slot.month));
    const birthDay = daysFromCivil(slot.year, slot.month, day);
    const names = personNames(rng, slot.male, slot.year, slot.place.names);
    const twinRoll = rng.float();
    const birthRank = twinRoll < 0.0004 ? 3 : twinRoll < 0.015 ? 2 : 1;
    yield {
      index,
      id: uuidFor(seed, index),
      nir: slot.nir,
      nirTemporary: slot.temporary,
      firstName: names.firstName,
      birthName: names.birthName,
      usageName: names.usageName,
      birthDate: isoDate(birthDay),
      birthRank,
      addressLines: addressLines(
        rng,
        slot.male ? 'M' : 'MME',
        names.firstName,
        names.usageName ?? names.birthName,
        slot.place.homeDept,
      ),
      affiliations: picker ? affiliationsFor(rng, picker, birthDay) : [],
    };
  }
}

/**
 * The current affiliation starts at birth for minors, else some day since the person turned 18 (and since 1990).
 * About 15 % of adults changed fund once before; a tenth of those went back to their first fund (a "ping-pong").
 */
function affiliationsFor(rng: Rng, picker: OrganismePicker, birthDay: number): SyntheticAffiliation[] {
  const current = picker.pick(rng);
  const adult = birthDay + Math.round(18 * 365.25);
  if (adult >= HORIZON) return [{ organismeCode: current, validFrom: isoDate(birthDay), validTo: null }];
  const earliest = Math.max(adult, REGISTER_START);
  const from = earliest + rng.int(HORIZON - earliest);
  const periods: SyntheticAffiliation[] = [];
  if (from - earliest >= 730 && rng.chance(0.15)) {
    let previous = picker.pick(rng);
    for (let i = 0; i < 4 && previous === current; i++) previous = picker.pick(rng);
    if (previous !== current) {
      const prevFrom = earliest + rng.int(from - earliest - 365);
      if (rng.chance(0.1) && from - prevFrom >= 730) {
        // ping-pong: first fund, another, then back to the first
        const middle = prevFrom + 365 + rng.int(from - prevFrom - 365);
        periods.push({ organismeCode: current, validFrom: isoDate(prevFrom), validTo: isoDate(middle) });
        periods.push({ organismeCode: previous, validFrom: isoDate(middle), validTo: isoDate(from) });
      } else {
        periods.push({ organismeCode: previous, validFrom: isoDate(prevFrom), validTo: isoDate(from) });
      }
    }
  }
  periods.push({ organismeCode: current, validFrom: isoDate(from), validTo: null });
  return periods;
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** A version-4-shaped uuid whose first 32 bits are a bijection of the index: distinct indexes, distinct ids. */
export function uuidFor(seed: number, index: number): string {
  const a = mix32((index ^ 0x3c6ef372) >>> 0);
  const b = ((hash32(seed, index, 11) & 0xffff0fff) | 0x00004000) >>> 0;
  const c = ((hash32(seed, index, 12) & 0x3fffffff) | 0x80000000) >>> 0;
  const d = hash32(seed, index, 13);
  const hb = hex8(b);
  const hc = hex8(c);
  return `${hex8(a)}-${hb.slice(0, 4)}-${hb.slice(4)}-${hc.slice(0, 4)}-${hc.slice(4)}${hex8(d)}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isoDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}
