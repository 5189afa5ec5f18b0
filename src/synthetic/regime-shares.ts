import { type Rng, WeightedTable } from './rng.js';

/**
 * Rough share of the insured per regime (%), after the self-employed regime (03) merged into the general one in 2020.
 * Regimes not listed get OTHER_REGIME_SHARE each. Only regimes that have organismes in the database are used, and the
 * shares are scaled over those, so with the bundled reference data the general regime holds about 88 %.
 */
export const REGIME_SHARES: Readonly<Record<string, number>> = {
  '01': 88, // general (includes the former self-employed regime and the students)
  '02': 5.6, // agricultural (MSA)
  '03': 0.2, // self-employed, merged into 01 in 2020: only leftovers
  '04': 1.2, // SNCF
  '05': 0.5, // RATP
  '06': 0.5, // seafarers (ENIM)
  '08': 1.8, // military (CNMSS)
  '10': 0.9, // electricity and gas industries (CAMIEG)
  '12': 0.01, // National Assembly
  '17': 0.5, // French abroad (CFE)
  '90': 0.4, // notaries' clerks (CRPCEN)
};
export const OTHER_REGIME_SHARE = 0.2;

/** Picks an organisme: a regime by its share, then one of its organismes evenly. */
export class OrganismePicker {
  private readonly regimes: WeightedTable<readonly string[]>;
  readonly size: number;

  constructor(codes: readonly string[]) {
    const byRegime = new Map<string, string[]>();
    for (const code of [...new Set(codes)].sort()) {
      if (!/^\d{9}$/.test(code)) throw new Error('organisme codes are 9 digits');
      const list = byRegime.get(code.slice(0, 2)) ?? [];
      list.push(code);
      byRegime.set(code.slice(0, 2), list);
    }
    if (byRegime.size === 0) throw new Error('no organisme to affiliate beneficiaries to');
    const regimes = [...byRegime.keys()];
    this.regimes = new WeightedTable(
      regimes.map((r) => byRegime.get(r)!),
      regimes.map((r) => REGIME_SHARES[r] ?? OTHER_REGIME_SHARE),
    );
    this.size = byRegime.size;
  }

  pick(rng: Rng): string {
    return rng.pick(this.regimes.pick(rng));
  }
}
