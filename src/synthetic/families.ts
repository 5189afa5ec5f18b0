import type { SyntheticBeneficiary } from './generator.js';
import { Rng } from './rng.js';

/** One child carried on one parent's cards (an `attachment` row). */
export interface SyntheticAttachment {
  dependantId: string;
  parentId: string;
  validFrom: string;
}

/** Ages are taken on this day, as the generator's affiliations are: a seed gives the same families every day. */
const UNDER_16_BORN_AFTER = '2010-01-01';
/** Parents are born 20 to 45 years before their eldest child. */
const PARENT_AGE_MIN = 20;
const PARENT_AGE_SPAN = 26;
/** Children per household (1, 2, 3), and the households with both parents attaching the children. */
const SIBLINGS = [0.45, 0.83, 1];
const BOTH_PARENTS = 0.65;
const FAMILY_STREAM = 0x6a09e667;

/**
 * Realistic families within one generated chunk (pure and deterministic: same rows, same seed, same families). The
 * generator makes about a fifth of the population under 16; here they become dependants:
 * - twins: a child the generator gave birth rank 2 or more gets a sibling of the same birth month, who takes its birth
 *   date and rank 1 (the NIR, which holds year and month only, stays right); both share their household;
 * - households of one to three children close in age (siblings share their parents);
 * - one or two parents, adults born 20 to 45 years before the eldest child, each in at most one household; in about
 *   two households out of three the children are attached to both, otherwise to one. Each parent keeps their own
 *   fund, so some couples are in different regimes (the regime shares decide how many);
 * - a child attached to a parent has no affiliation of their own (their rights come with the attachment); a child
 *   for whom no parent is left in the chunk keeps the affiliation the generator gave.
 * Mutates `rows` (twins' birth dates and ranks, dependants' affiliations) and answers the attachments, each from the
 * child's birth.
 */
export function formFamilies(rows: SyntheticBeneficiary[], seed: number): SyntheticAttachment[] {
  if (rows.length === 0) return [];
  const rng = new Rng(seed ^ FAMILY_STREAM, rows[0].index);
  const minors = rows.filter((r) => r.birthDate > UNDER_16_BORN_AFTER).sort(byBirth);
  const adults = rows.filter((r) => r.birthDate <= UNDER_16_BORN_AFTER && r.affiliations.length > 0).sort(byBirth);
  const twinOf = pairTwins(minors);

  const used = new Set<string>();
  const parentUsed = new Uint8Array(adults.length);
  const attachments: SyntheticAttachment[] = [];
  // Siblings a couple of years apart: in birth order, the next child is about 1/8 of the list further (16 years).
  const stride = Math.max(1, Math.floor(minors.length / 8));
  for (let i = 0; i < minors.length; i++) {
    const first = minors[i];
    if (used.has(first.id)) continue;
    const roll = rng.float();
    const size = SIBLINGS.findIndex((p) => roll < p) + 1;
    const household: SyntheticBeneficiary[] = [];
    const take = (c: SyntheticBeneficiary) => {
      used.add(c.id);
      household.push(c);
      const twin = twinOf.get(c.id);
      if (twin && !used.has(twin.id)) {
        used.add(twin.id);
        household.push(twin);
      }
    };
    take(first);
    for (let k = 1, j = i + stride + rng.int(stride); k < size && j < minors.length; k++) {
      while (j < minors.length && used.has(minors[j].id)) j++;
      if (j < minors.length) take(minors[j]);
      j += stride;
    }
    const eldest = household.reduce((a, b) => (a.birthDate <= b.birthDate ? a : b));
    const target = `${Number(eldest.birthDate.slice(0, 4)) - PARENT_AGE_MIN - rng.int(PARENT_AGE_SPAN)}${eldest.birthDate.slice(4)}`;
    const parents: SyntheticBeneficiary[] = [];
    const wanted = rng.chance(BOTH_PARENTS) ? 2 : 1;
    for (let p = lowerBound(adults, target); p < adults.length && parents.length < wanted; p++) {
      if (parentUsed[p]) continue;
      // No parent younger than PARENT_AGE_MIN at the eldest's birth.
      if (Number(eldest.birthDate.slice(0, 4)) - Number(adults[p].birthDate.slice(0, 4)) < PARENT_AGE_MIN) break;
      parentUsed[p] = 1;
      parents.push(adults[p]);
    }
    if (parents.length === 0) continue;
    for (const child of household) {
      child.affiliations = [];
      for (const parent of parents)
        attachments.push({ dependantId: child.id, parentId: parent.id, validFrom: child.birthDate });
    }
  }
  return attachments;
}

/** Twins: each child of rank 2 or more with a rank-1 child of the same birth month, who takes its birth date. */
function pairTwins(minors: SyntheticBeneficiary[]): Map<string, SyntheticBeneficiary> {
  const byMonth = new Map<string, SyntheticBeneficiary[]>();
  for (const m of minors) {
    if (m.birthRank !== 1) continue;
    const key = m.birthDate.slice(0, 7);
    const list = byMonth.get(key);
    if (list) list.push(m);
    else byMonth.set(key, [m]);
  }
  const twinOf = new Map<string, SyntheticBeneficiary>();
  for (const m of minors) {
    if (m.birthRank === 1) continue;
    const sibling = byMonth.get(m.birthDate.slice(0, 7))?.pop();
    if (!sibling) continue;
    sibling.birthDate = m.birthDate;
    m.birthRank = 2;
    twinOf.set(m.id, sibling);
    twinOf.set(sibling.id, m);
  }
  return twinOf;
}

const byBirth = (a: SyntheticBeneficiary, b: SyntheticBeneficiary) =>
  a.birthDate < b.birthDate ? -1 : a.birthDate > b.birthDate ? 1 : a.index - b.index;

/** The first position whose birth date is not before `day` (rows sorted by birth date). */
function lowerBound(rows: SyntheticBeneficiary[], day: string): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid].birthDate < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
