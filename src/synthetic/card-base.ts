import { CARD_BASE_HEADER } from '../takeover/card-base-parser.js';
import { Rng } from './rng.js';

/**
 * A synthetic card base (card-base/1, docs/formats/card-base-import.md) for a synthetic register: what the system
 * this product replaces would hand over, with the surplus cards reconciliation looks for. Shares are of the register's
 * people, drawn independently per person (seeded: the same register and seed give the same file):
 *
 * - every person has a current card: issued 1998-2025, without photo (generation 1) when issued before 2007 and for a
 *   tenth of later ones; active, or opposed (lost, stolen) for OPPOSED_CURRENT of people awaiting their new card;
 * - OLD_OPPOSED of people also have an older card opposed (lost 45 %, stolen 20 %, replaced 25 %, invalidated by the
 *   regime 8 %, fraud 2 %) and OLD_DESTROYED an older card destroyed;
 * - surplus, each class SURPLUS[class] of people (4 % in all): a second usable card (`duplicate`); a second usable
 *   card made under a temporary NIR the register now knows by the definitive one (`temporaryNir`: the register's NIR
 *   history gets the temporary number); a usable card managed by an organisme the holder has left (`leftOrganisme`:
 *   the only card, managed by another organisme than the holder's); a usable card of a deceased holder (`deceased`:
 *   the register learns the date of death); a usable card of someone the register does not know (`unknownHolder`:
 *   NIRs whose birth month is 20-42, which the synthetic register never holds).
 */
export const CARD_BASE_SHARES = {
  opposedCurrent: 0.005,
  oldOpposed: 0.06,
  oldDestroyed: 0.02,
  surplus: { duplicate: 0.008, temporaryNir: 0.004, leftOrganisme: 0.01, deceased: 0.008, unknownHolder: 0.01 },
} as const;

export type SurplusClass = keyof typeof CARD_BASE_SHARES.surplus;

/** A person of the register, as the generator needs them. */
export interface CardBaseHolder {
  id: string;
  nir: string;
  organismeCode: string;
}

/** What the register must learn for the file to be coherent (dates of death, replaced temporary NIRs). */
export interface CardBaseRegisterFacts {
  deceased: Array<{ beneficiaryId: string; diedOn: string }>;
  nirHistory: Array<{ nir: string; beneficiaryId: string }>;
}

export interface CardBaseCounts {
  cards: number;
  holders: number;
  generation1: number;
  active: number;
  opposed: number;
  destroyed: number;
  surplus: Record<SurplusClass, number>;
}

const OLD_REASONS = [
  ['lost', 0.45],
  ['stolen', 0.2],
  ['replaced', 0.25],
  ['invalidated_by_regime', 0.08],
  ['fraud', 0.02],
] as const;

/** The 2-digit key of a 13-digit NIR body (no Corsica here). */
const key = (body: string) => String(97 - (Number(body) % 97)).padStart(2, '0');

/** Mixed-radix digits of `n`: a bijection, so distinct numbers give distinct NIRs (2.4 billion of each kind). */
function nirOf(n: number, sexes: [number, number], monthFrom: number, months: number, dept: string): string {
  const sex = sexes[n % 2];
  let m = Math.floor(n / 2);
  const month = monthFrom + (m % months);
  m = Math.floor(m / months);
  const commune = 100 + (m % 900);
  m = Math.floor(m / 900);
  const order = 1 + (m % 999);
  m = Math.floor(m / 999);
  const yy = 40 + (m % 60);
  const body = `${sex}${yy}${month}${dept}${commune}${String(order).padStart(3, '0')}`;
  return body + key(body);
}

/** A NIR no synthetic register holds: birth month 20-42 ("unknown month"), numbered by `n`. */
export const unknownNir = (n: number): string => nirOf(n, [1, 2], 20, 23, '75');

/** A temporary NIR (7/8, birth month 50-99, born abroad) no synthetic register holds, numbered by `n`. */
export const temporaryNir = (n: number): string => nirOf(n, [7, 8], 50, 50, '99');

const day = (rng: Rng, fromYear: number, toYear: number) => {
  const y = fromYear + rng.int(toYear - fromYear + 1);
  return `${y}-${String(1 + rng.int(12)).padStart(2, '0')}-${String(1 + rng.int(28)).padStart(2, '0')}`;
};

/**
 * Writes the card base of `holders` as card-base/1 lines (header first), then, up to `totalCards` cards, cards of
 * holders the register does not know (a benchmark's larger file over a smaller register). Serials are consecutive from
 * `firstSerial`. `facts` collects what the register must learn; `counts` what was written.
 */
export async function* cardBaseLines(
  holders: AsyncIterable<CardBaseHolder>,
  options: {
    seed: number;
    organismes: readonly string[];
    firstSerial?: number;
    totalCards?: number;
    facts: CardBaseRegisterFacts;
    counts: CardBaseCounts;
  },
): AsyncGenerator<string> {
  const { seed, organismes, facts, counts } = options;
  let serial = options.firstSerial ?? 300_000_000_001;
  let unknown = 0;
  let temporary = 0;
  const rng = new Rng(seed, 0x0ca7d);
  const S = CARD_BASE_SHARES;
  const card = (
    nir: string,
    org: string,
    state: 'active' | 'opposed' | 'destroyed',
    reason: string,
    issuedFrom: number,
    issuedTo: number,
  ) => {
    const issued = day(rng, issuedFrom, issuedTo);
    const year = Number(issued.slice(0, 4));
    const generation = year < 2007 || rng.chance(0.1) ? 1 : 2;
    if (generation === 1) counts.generation1++;
    counts[state]++;
    counts.cards++;
    const updated = rng.chance(0.85) ? day(rng, Math.min(year + 1, 2026), 2026) : '';
    const s = serial++;
    return (
      `${s},${(s * 2654435761).toString(16).toUpperCase().slice(-12)},${nir},${org},${generation},${state},${reason},` +
      `${issued},${updated && updated >= issued ? updated : ''},${1 + rng.int(40)},${rng.chance(0.3) ? 1 + rng.int(3) : 0}\n`
    );
  };
  const otherOrganisme = (org: string) => {
    const o = organismes[rng.int(organismes.length)];
    return o === org ? organismes[(organismes.indexOf(o) + 1) % organismes.length] : o;
  };
  yield CARD_BASE_HEADER + '\n';
  for await (const h of holders) {
    counts.holders++;
    const r = rng.float();
    let acc = 0;
    const cls = (Object.keys(S.surplus) as SurplusClass[]).find((c) => r < (acc += S.surplus[c]));
    if (rng.chance(S.oldOpposed)) {
      let p = rng.float();
      const reason = OLD_REASONS.find(([, w]) => (p -= w) < 0)?.[0] ?? 'lost';
      yield card(h.nir, h.organismeCode, 'opposed', reason, 1998, 2015);
    }
    if (rng.chance(S.oldDestroyed)) yield card(h.nir, h.organismeCode, 'destroyed', '', 1998, 2012);
    if (cls === 'temporaryNir') {
      const t = temporaryNir(temporary++);
      facts.nirHistory.push({ nir: t, beneficiaryId: h.id });
      counts.surplus.temporaryNir++;
      yield card(t, h.organismeCode, 'active', '', 1998, 2010);
    }
    const currentOrg = cls === 'leftOrganisme' ? otherOrganisme(h.organismeCode) : h.organismeCode;
    if (cls === 'leftOrganisme') counts.surplus.leftOrganisme++;
    const opposedNow = cls === undefined && rng.chance(S.opposedCurrent);
    yield card(
      h.nir,
      currentOrg,
      opposedNow ? 'opposed' : 'active',
      opposedNow ? (rng.chance(0.7) ? 'lost' : 'stolen') : '',
      1998,
      2025,
    );
    if (cls === 'duplicate') {
      counts.surplus.duplicate++;
      yield card(h.nir, rng.chance(0.5) ? h.organismeCode : otherOrganisme(h.organismeCode), 'active', '', 2008, 2025);
    }
    if (cls === 'deceased') {
      counts.surplus.deceased++;
      facts.deceased.push({ beneficiaryId: h.id, diedOn: day(rng, 2019, 2025) });
    }
    if (cls === 'unknownHolder') {
      counts.surplus.unknownHolder++;
      yield card(unknownNir(unknown++), h.organismeCode, 'active', '', 1998, 2025);
    }
  }
  while (counts.cards < (options.totalCards ?? 0)) {
    yield card(unknownNir(unknown++), organismes[rng.int(organismes.length)], 'active', '', 1998, 2025);
  }
}

export const emptyCounts = (): CardBaseCounts => ({
  cards: 0,
  holders: 0,
  generation1: 0,
  active: 0,
  opposed: 0,
  destroyed: 0,
  surplus: { duplicate: 0, temporaryNir: 0, leftOrganisme: 0, deceased: 0, unknownHolder: 0 },
});
