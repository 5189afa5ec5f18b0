import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSeedArgs } from '../src/cli/seed-synthetic.js';
import { validateNir } from '../src/register/nir.js';
import { checkAddress, checkName } from '../src/register/identity.js';
import { parseReferenceCsv } from '../src/regimes/reference-csv.js';
import { firstFreeRange, writeSynthetic } from '../src/synthetic/copy-writer.js';
import { generateBeneficiaries, type SyntheticBeneficiary } from '../src/synthetic/generator.js';
import { nirSpace } from '../src/synthetic/nir-space.js';
import { formatRate, ProgressBar } from '../src/synthetic/progress.js';
import { referenceCsvPath } from '../src/synthetic/reference-loader.js';
import { createTestDatabase } from './support/test-app.js';

const ORGANISMES = parseReferenceCsv(readFileSync(referenceCsvPath(), 'utf8')).rows!.organismes.map((o) => o.code);

describe('synthetic beneficiaries', () => {
  const rows: SyntheticBeneficiary[] = [...generateBeneficiaries(20_000, 11, 0, { organismes: ORGANISMES })];

  it('have valid NIRs, flagged when temporary, with a few Corsican and temporary ones', () => {
    for (const r of rows) {
      const v = validateNir(r.nir);
      expect(v.ok, 'NIR valid').toBe(true);
      expect(r.nirTemporary).toBe(/^[78]/.test(r.nir));
    }
    const temporary = rows.filter((r) => r.nirTemporary).length;
    expect(temporary).toBeGreaterThan(0);
    expect(temporary / rows.length).toBeLessThan(0.02);
    expect(rows.some((r) => r.nir.slice(5, 7) === '2A')).toBe(true);
    expect(rows.some((r) => r.nir.slice(5, 7) === '2B')).toBe(true);
  });

  it('have names that pass checkName as stored, with hyphens, apostrophes, accents, particles and usage names', () => {
    for (const r of rows) {
      expect(checkName('firstName', r.firstName)).toEqual({ ok: true, value: r.firstName });
      expect(checkName('birthName', r.birthName)).toEqual({ ok: true, value: r.birthName });
      if (r.usageName !== null) expect(checkName('usageName', r.usageName)).toEqual({ ok: true, value: r.usageName });
    }
    const names = rows.map((r) => r.birthName);
    expect(names.some((n) => n.includes('-'))).toBe(true);
    expect(names.some((n) => n.includes("'"))).toBe(true);
    expect(names.some((n) => /[ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ]/.test(n))).toBe(true);
    expect(names.some((n) => /^(DE|DU|DES|LE|DA|DOS) /.test(n))).toBe(true);
    const usage = rows.filter((r) => r.usageName !== null).length / rows.length;
    expect(usage).toBeGreaterThan(0.05);
    expect(usage).toBeLessThan(0.5);
  });

  it('have addresses of up to 6 lines of at most 38 characters ending with a postcode and a city', () => {
    for (const r of rows) {
      expect(checkAddress(r.addressLines)).toEqual({ ok: true, value: r.addressLines });
      expect(r.addressLines.length).toBeLessThanOrEqual(6);
      expect(r.addressLines.at(-1)).toMatch(/^\d{5} [A-Z][A-Z '-]*$/);
    }
  });

  it('have a birth date consistent with the NIR, a birth rank 1 mostly, and affiliations without overlap', () => {
    const problems: string[] = [];
    const orgs = new Set(ORGANISMES);
    rows.forEach((r, i) => {
      const fail = (what: string) => problems.push(`row ${i}: ${what}`);
      if (r.birthDate.slice(2, 4) !== r.nir.slice(1, 3) || r.birthDate.slice(5, 7) !== r.nir.slice(3, 5))
        fail('birth year/month differ from the NIR');
      if (new Date(`${r.birthDate}T00:00:00Z`).toISOString().slice(0, 10) !== r.birthDate)
        fail('birth date does not exist');
      if (r.birthDate > '2025-12-31' || r.birthDate < '1926-01-01') fail('birth date out of range');
      if (![1, 2, 3].includes(r.birthRank)) fail('birth rank');
      const periods = r.affiliations;
      if (periods.length === 0 || periods.at(-1)!.validTo !== null) fail('no current affiliation');
      if (periods[0] && periods[0].validFrom < r.birthDate) fail('affiliated before birth');
      for (let k = 0; k < periods.length - 1; k++) {
        if (!(periods[k].validTo! > periods[k].validFrom) || periods[k].validTo !== periods[k + 1].validFrom)
          fail('periods overlap or leave a gap');
      }
      if (periods.some((p) => !orgs.has(p.organismeCode))) fail('unknown organisme');
    });
    expect(problems.slice(0, 10)).toEqual([]);
    const twins = rows.filter((r) => r.birthRank === 2).length / rows.length;
    expect(twins).toBeGreaterThan(0.005);
    expect(twins).toBeLessThan(0.03);
  });

  it('are deterministic for a seed and addressable by index', () => {
    const a = [...generateBeneficiaries(300, 42, 1000, { organismes: ORGANISMES })];
    const b = [...generateBeneficiaries(300, 42, 1000, { organismes: ORGANISMES })];
    expect(b).toEqual(a);
    expect([...generateBeneficiaries(100, 42, 1100, { organismes: ORGANISMES })]).toEqual(a.slice(100, 200));
    const other = [...generateBeneficiaries(300, 43, 1000, { organismes: ORGANISMES })];
    expect(other.map((r) => r.firstName + r.birthName)).not.toEqual(a.map((r) => r.firstName + r.birthName));
  });

  it('never repeat a NIR or an id, and every NIR maps back to its index', () => {
    const many = [...generateBeneficiaries(60_000, 5, 250_000)];
    expect(new Set(many.map((r) => r.nir)).size).toBe(many.length);
    expect(new Set(many.map((r) => r.id)).size).toBe(many.length);
    const space = nirSpace();
    for (const r of many.slice(0, 5000)) expect(space.indexOf(r.nir)).toBe(r.index);
    expect(space.indexOf('185057800608491')).toBeNull(); // a valid NIR the map never produces (order beyond its leaf)
  });

  it('picks the first index range no existing row uses', () => {
    expect(firstFreeRange(Uint32Array.from([]), 10)).toBe(0);
    expect(firstFreeRange(Uint32Array.from([0, 1, 2, 3]), 10)).toBe(4);
    expect(firstFreeRange(Uint32Array.from([0, 1, 5, 40]), 10)).toBe(6);
    expect(firstFreeRange(Uint32Array.from([0, 1, 5, 40]), 3)).toBe(2);
  });
});

describe('seed:synthetic arguments', () => {
  it('accepts --beneficiaries and --seed, with separators', () => {
    expect(parseSeedArgs(['--beneficiaries', '1_000', '--seed=7'])).toMatchObject({
      kind: 'run',
      args: { beneficiaries: 1000, seed: 7 },
    });
    expect(parseSeedArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it('refuses bad arguments with a message', () => {
    for (const argv of [
      [],
      ['--beneficiaries'],
      ['--beneficiaries', 'ten'],
      ['--beneficiaries', '0'],
      ['--beneficiaries', '5', '--seed', '-1'],
      ['--rows', '5'],
      ['--beneficiaries', '5', '--beneficiaries', '6'],
    ]) {
      const parsed = parseSeedArgs(argv);
      expect(parsed.kind, argv.join(' ')).toBe('error');
    }
  });
});

describe('COPY writer', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('writes 5,000 beneficiaries, each with one current affiliation or carried on a parent, spread over the regimes', async () => {
    const result = await writeSynthetic(db.url, { count: 5000, seed: 3, chunkSize: 2000 });
    expect(result).toMatchObject({ beneficiaries: 5000, offset: 0, stopped: false });
    const {
      rows: [counts],
    } = await client.query(`
      SELECT (SELECT count(*) FROM beneficiary)::int AS beneficiaries,
             (SELECT count(*) FROM affiliation)::int AS affiliations,
             (SELECT count(*) FROM attachment)::int AS attachments,
             (SELECT count(DISTINCT dependant_id) FROM attachment)::int AS dependants,
             (SELECT count(*) FROM beneficiary b WHERE (SELECT count(*) FROM affiliation a WHERE a.beneficiary_id = b.id AND a.valid_to IS NULL) = 1)::int AS with_one_current,
             (SELECT count(*) FROM beneficiary b WHERE EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = b.id)
                                                   AND EXISTS (SELECT 1 FROM attachment t WHERE t.dependant_id = b.id))::int AS both`);
    expect(counts.beneficiaries).toBe(5000);
    expect(counts.with_one_current + counts.dependants).toBe(5000);
    expect(counts.both).toBe(0);
    expect(counts.affiliations).toBe(result.affiliations);
    expect(counts.attachments).toBe(result.attachments);
    const { rows: regimes } = await client.query<{ regime: string; share: number }>(`
      SELECT substr(organisme_code, 1, 2) AS regime, count(*)::float / sum(count(*)) OVER () AS share
      FROM affiliation WHERE valid_to IS NULL GROUP BY 1`);
    const share = Object.fromEntries(regimes.map((r) => [r.regime, r.share]));
    expect(share['01']).toBeGreaterThan(0.84);
    expect(share['01']).toBeLessThan(0.93);
    expect(share['02']).toBeGreaterThan(0.035);
    expect(share['02']).toBeLessThan(0.08);
    const { rows: organismes } = await client.query(
      `SELECT count(DISTINCT organisme_code)::int AS n FROM affiliation WHERE organisme_code LIKE '01%'`,
    );
    expect(organismes[0].n).toBeGreaterThan(5);
  });

  it('makes families: a fifth under 16 on their parents, siblings and twins, often both parents, some in two regimes', async () => {
    const q = async (sql: string) => (await client.query(sql)).rows[0];
    const { under16, dependants } = await q(`
      SELECT (SELECT count(*) FROM beneficiary WHERE birth_date > '2010-01-01')::float / (SELECT count(*) FROM beneficiary) AS under16,
             (SELECT count(DISTINCT dependant_id) FROM attachment)::float / (SELECT count(*) FROM beneficiary WHERE birth_date > '2010-01-01') AS dependants`);
    expect(under16).toBeGreaterThan(0.15);
    expect(under16).toBeLessThan(0.25);
    expect(dependants).toBeGreaterThan(0.9);
    // Children are minors; parents are adults 20 to 45 years older than their eldest, never dependants themselves.
    const ages = await q(`
      SELECT bool_and(d.birth_date > '2010-01-01') AS minors,
             bool_and(extract(year FROM d.birth_date) - extract(year FROM p.birth_date) >= 20) AS parents_old_enough,
             bool_and(NOT EXISTS (SELECT 1 FROM attachment x WHERE x.dependant_id = a.parent_id)) AS no_chains
        FROM attachment a JOIN beneficiary d ON d.id = a.dependant_id JOIN beneficiary p ON p.id = a.parent_id`);
    expect(ages).toEqual({ minors: true, parents_old_enough: true, no_chains: true });
    const shares = await q(`
      WITH per_child AS (SELECT dependant_id, array_agg(parent_id ORDER BY parent_id) AS parents FROM attachment GROUP BY 1),
           two AS (SELECT parents FROM per_child WHERE cardinality(parents) = 2)
      SELECT (SELECT count(*) FROM two)::float / (SELECT count(*) FROM per_child) AS both_parents,
             (SELECT count(*) FROM two WHERE (SELECT count(DISTINCT substr(f.organisme_code, 1, 2)) FROM affiliation f
                                                WHERE f.beneficiary_id = ANY (parents) AND f.valid_to IS NULL) = 2)::int AS two_regimes,
             (SELECT count(*) FROM (SELECT parents FROM per_child GROUP BY parents HAVING count(*) >= 2) s)::int AS sibling_groups`);
    expect(shares.both_parents).toBeGreaterThan(0.5);
    expect(shares.both_parents).toBeLessThan(0.8);
    expect(shares.two_regimes).toBeGreaterThan(0);
    expect(shares.sibling_groups).toBeGreaterThan(50);
    // Twins: same parents, same birth date, ranks 1 and 2.
    const twins = await q(`
      SELECT count(*)::int AS n FROM beneficiary t2 JOIN attachment a2 ON a2.dependant_id = t2.id
        JOIN attachment a1 ON a1.parent_id = a2.parent_id AND a1.dependant_id <> t2.id
        JOIN beneficiary t1 ON t1.id = a1.dependant_id AND t1.birth_date = t2.birth_date AND t1.birth_rank = 1
       WHERE t2.birth_rank = 2`);
    expect(twins.n).toBeGreaterThan(0);
  });

  it('adds more on a second run without colliding with the rows already there', async () => {
    const result = await writeSynthetic(db.url, { count: 1000, seed: 3 });
    expect(result).toMatchObject({ beneficiaries: 1000, offset: 5000 });
    const { rows } = await client.query(`SELECT count(*)::int AS n, count(DISTINCT nir)::int AS nirs FROM beneficiary`);
    expect(rows[0]).toEqual({ n: 6000, nirs: 6000 });
  });
});

describe('seed:synthetic progress and summary', () => {
  const lines = (chunks: string[]) => chunks.join('').split('\n').filter(Boolean);

  it("the bar's last line and the summary give one rate, over the loading only", () => {
    const written: string[] = [];
    const bar = new ProgressBar(1000, 'beneficiaries', { write: (t: string) => written.push(t), isTTY: false });
    for (let n = 0; n <= 1000; n += 50) bar.update(n);
    const summary = bar.finish(1000);
    const all = lines(written);
    expect(all.filter((l) => l.includes('100.0 %'))).toHaveLength(1);
    expect(all.at(-1)).toContain(`1,000/1,000 ${formatRate(summary.rate)} beneficiaries/s`);
    // What was really completed wins over what was last streamed.
    const partial = new ProgressBar(1000, 'beneficiaries', { write: () => undefined, isTTY: false });
    partial.update(900);
    expect(partial.finish(500).done).toBe(500);
  });

  it('`npm run seed:synthetic` ends with the rate its bar showed last', async () => {
    const db = await createTestDatabase();
    try {
      const res = spawnSync(
        process.execPath,
        [path.resolve('dist/src/cli/seed-synthetic.js'), '--beneficiaries', '3000', '--chunk-size', '500'],
        { encoding: 'utf8', timeout: 120_000, env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' } },
      );
      expect(res.status, res.stderr).toBe(0);
      const barRate = /3,000\/3,000 ([\d,]+) beneficiaries\/s/.exec(lines([res.stderr]).at(-1) ?? '')?.[1];
      const summaryRate = /: ([\d,]+) beneficiaries\/s/.exec(res.stdout)?.[1];
      expect(barRate, res.stderr).toBeDefined();
      expect(summaryRate, res.stdout).toBe(barRate);
    } finally {
      await db.drop();
    }
  }, 120_000);
});
