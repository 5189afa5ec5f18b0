import { BIRTH_YEARS, BIRTHPLACES, type Birthplace } from './birthplaces.js';
import { hash32, mix32 } from './rng.js';

/**
 * The NIR slot map: a fixed bijection between an index (0, 1, 2, ...) and a NIR, so that generated NIRs are unique by
 * construction. Every (sex digit, birth year, birth month, birthplace) combination is a "leaf" holding as many slots
 * as its weight deserves (capped by what its commune codes x 999 order numbers can hold); the leaves laid end to end
 * number the slots. A keyed Feistel permutation scatters consecutive indexes over the slots, so any run of indexes
 * looks like a random sample of the population, and the map can be inverted to tell which indexes existing rows use.
 *
 * The map depends only on the tables below and in birthplaces.ts, never on the seed or the date: a change there
 * changes every NIR, so bump SLOT_MAP_VERSION (earlier synthetic rows then no longer decode to their index).
 */
export const SLOT_MAP_VERSION = 1;

/** Sex digits with their share: 7 and 8 are temporary numbers (men, women), about 0.5 % of the register. */
const SEXES = [
  { digit: 1, share: 0.4975, male: true, temporary: false },
  { digit: 2, share: 0.4975, male: false, temporary: false },
  { digit: 7, share: 0.0025, male: true, temporary: true },
  { digit: 8, share: 0.0025, male: false, temporary: true },
] as const;

const MONTH_DAYS = [31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** At most this many slots; fewer when a leaf would overflow (see the constructor). */
const MAX_SLOTS = 0.97 * 2 ** 30;
const PERMUTATION_KEY = 0x5eed_0001;
const ORDER_MAX = 999;

/** Births per year in thousands (rough shape of the French series). */
function births(year: number): number {
  if (year < 1940) return 690 - (year - 1926) * 5;
  if (year < 1946) return 570;
  if (year < 1974) return 850;
  if (year < 1995) return 770;
  if (year < 2015) return 790;
  return 760 - (year - 2015) * 10;
}

/** Share of a birth cohort still alive in 2026 (women live longer). */
function survival(age: number, male: boolean): number {
  const start = male ? 55 : 60;
  const scale = male ? 30 : 29;
  return age <= start ? 1 : Math.exp(-(((age - start) / scale) ** 3));
}

export interface NirSlot {
  nir: string;
  sexDigit: number;
  male: boolean;
  temporary: boolean;
  year: number;
  month: number;
  place: Birthplace;
}

/** Format-preserving permutation of [0, n) by a balanced Feistel network with cycle walking. */
class Feistel {
  private readonly half: number;
  private readonly radix: number;
  private readonly mask: number;
  private readonly keys: number[];

  constructor(
    private readonly n: number,
    key: number,
    rounds = 6,
  ) {
    let bits = Math.max(2, Math.ceil(Math.log2(n)));
    if (bits % 2) bits++;
    if (bits > 32) throw new Error('Feistel domain too large');
    this.half = bits / 2;
    this.radix = 2 ** this.half;
    this.mask = this.radix - 1;
    this.keys = Array.from({ length: rounds }, (_, i) => hash32(key, i));
  }

  private round(r: number, i: number): number {
    return mix32((r ^ this.keys[i]) >>> 0) & this.mask;
  }

  private encrypt(x: number): number {
    let l = Math.floor(x / this.radix);
    let r = x % this.radix;
    for (let i = 0; i < this.keys.length; i++) {
      const t = r;
      r = l ^ this.round(r, i);
      l = t;
    }
    return l * this.radix + r;
  }

  private decrypt(y: number): number {
    let l = Math.floor(y / this.radix);
    let r = y % this.radix;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const t = l;
      l = r ^ this.round(l, i);
      r = t;
    }
    return l * this.radix + r;
  }

  forward(x: number): number {
    let y = this.encrypt(x);
    while (y >= this.n) y = this.encrypt(y);
    return y;
  }

  inverse(y: number): number {
    let x = this.decrypt(y);
    while (x >= this.n) x = this.decrypt(x);
    return x;
  }
}

const YEARS = BIRTH_YEARS.last - BIRTH_YEARS.first + 1;
const PLACES = BIRTHPLACES.length;

class NirSpace {
  /** How many distinct NIRs the map holds (indexes 0 .. size-1). */
  readonly size: number;
  private readonly ends: Float64Array;
  private readonly feistel: Feistel;
  private readonly placesByDept = new Map<string, number[]>();

  constructor() {
    const leaves = SEXES.length * YEARS * 12 * PLACES;
    const weights = new Float64Array(leaves);
    for (let s = 0; s < SEXES.length; s++) {
      const sex = SEXES[s];
      const yearWeights = Array.from(
        { length: YEARS },
        (_, y) => births(BIRTH_YEARS.first + y) * survival(2026 - (BIRTH_YEARS.first + y), sex.male),
      );
      const yearTotal = yearWeights.reduce((a, b) => a + b, 0);
      for (let y = 0; y < YEARS; y++) {
        const year = BIRTH_YEARS.first + y;
        const placeWeights = BIRTHPLACES.map((p) =>
          p.from <= year && year <= p.to ? p.weight * (sex.temporary ? (p.abroad ? 9 : 0.1) : 1) : 0,
        );
        const placeTotal = placeWeights.reduce((a, b) => a + b, 0);
        for (let m = 0; m < 12; m++) {
          const base = sex.share * (yearWeights[y] / yearTotal) * (MONTH_DAYS[m] / 365.25);
          for (let p = 0; p < PLACES; p++) weights[this.leafIndex(s, y, m, p)] = base * (placeWeights[p] / placeTotal);
        }
      }
    }
    // Scale the weights so that the fullest leaf just fits its commune codes x 999 order numbers: then no leaf is
    // capped and the shares hold exactly. Births abroad (one country code per leaf) set the scale: ~120 M slots.
    let scale = MAX_SLOTS;
    for (let leaf = 0; leaf < leaves; leaf++) {
      if (weights[leaf] > 0)
        scale = Math.min(scale, (BIRTHPLACES[leaf % PLACES].communes.length * ORDER_MAX) / weights[leaf]);
    }
    this.ends = new Float64Array(leaves);
    let end = 0;
    for (let leaf = 0; leaf < leaves; leaf++) {
      const capacity = BIRTHPLACES[leaf % PLACES].communes.length * ORDER_MAX;
      end += Math.min(capacity, Math.floor(weights[leaf] * scale));
      this.ends[leaf] = end;
    }
    this.size = end;
    this.feistel = new Feistel(end, PERMUTATION_KEY);
    BIRTHPLACES.forEach((p, i) => {
      const list = this.placesByDept.get(p.nirDept) ?? [];
      list.push(i);
      this.placesByDept.set(p.nirDept, list);
    });
  }

  private leafIndex(sex: number, yearIdx: number, month: number, place: number): number {
    return ((sex * YEARS + yearIdx) * 12 + month) * PLACES + place;
  }

  /** The NIR at an index (0 <= index < size). */
  slot(index: number): NirSlot {
    if (!Number.isInteger(index) || index < 0 || index >= this.size)
      throw new RangeError(`NIR index out of range (0..${this.size - 1})`);
    const s = this.feistel.forward(index);
    // first leaf whose end is past s
    let lo = 0;
    let hi = this.ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid] > s) hi = mid;
      else lo = mid + 1;
    }
    const leaf = lo;
    const local = s - (leaf === 0 ? 0 : this.ends[leaf - 1]);
    const placeIdx = leaf % PLACES;
    const month = Math.floor(leaf / PLACES) % 12;
    const yearIdx = Math.floor(leaf / (PLACES * 12)) % YEARS;
    const sex = SEXES[Math.floor(leaf / (PLACES * 12 * YEARS))];
    const place = BIRTHPLACES[placeIdx];
    const commune = place.communes[local % place.communes.length];
    const order = Math.floor(local / place.communes.length) + 1;
    const year = BIRTH_YEARS.first + yearIdx;
    const body = `${sex.digit}${pad2(year % 100)}${pad2(month + 1)}${place.nirDept}${pad3(commune)}${pad3(order)}`;
    return {
      nir: body + nirKeyFast(sex.digit, year % 100, month + 1, place.nirDept, commune, order),
      sexDigit: sex.digit,
      male: sex.male,
      temporary: sex.temporary,
      year,
      month: month + 1,
      place,
    };
  }

  /** The index a NIR has in this map, or null when the map never produces it. */
  indexOf(nir: string): number | null {
    const m = /^([1278])(\d{2})(\d{2})(\d{2}|2A|2B)(\d{3})(\d{3})(\d{2})$/.exec(nir);
    if (!m) return null;
    const s = SEXES.findIndex((x) => x.digit === Number(m[1]));
    const yy = Number(m[2]);
    const year = yy >= BIRTH_YEARS.first % 100 ? 1900 + yy : 2000 + yy;
    const month = Number(m[3]);
    const commune = Number(m[5]);
    const order = Number(m[6]);
    if (month < 1 || month > 12 || order < 1 || year > BIRTH_YEARS.last) return null;
    if (nirKeyFast(Number(m[1]), yy, month, m[4], commune, order) !== m[7]) return null;
    for (const p of this.placesByDept.get(m[4]) ?? []) {
      const place = BIRTHPLACES[p];
      if (year < place.from || year > place.to) continue;
      const c = binarySearch(place.communes, commune);
      if (c < 0) continue;
      const leaf = this.leafIndex(s, year - BIRTH_YEARS.first, month - 1, p);
      const start = leaf === 0 ? 0 : this.ends[leaf - 1];
      const local = c + place.communes.length * (order - 1);
      if (local >= this.ends[leaf] - start) return null;
      return this.feistel.inverse(start + local);
    }
    return null;
  }
}

function binarySearch(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] === x) return mid;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));

/** Same result as nirKey() in src/register/nir.ts, in plain number arithmetic (13 digits fit a double exactly). */
function nirKeyFast(sex: number, yy: number, month: number, dept: string, commune: number, order: number): string {
  const d = dept === '2A' ? 19 : dept === '2B' ? 18 : Number(dept);
  const n = ((((sex * 100 + yy) * 100 + month) * 100 + d) * 1000 + commune) * 1000 + order;
  return pad2(97 - (n % 97));
}

let instance: NirSpace | undefined;

/** The slot map, built once (about 0.6 M leaves, a few tens of milliseconds). */
export function nirSpace(): NirSpace {
  instance ??= new NirSpace();
  return instance;
}
