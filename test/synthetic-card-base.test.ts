import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_BASE_SHARES } from '../src/synthetic/card-base.js';
import { writeCardBaseFile } from '../src/synthetic/card-base-writer.js';
import { writeSynthetic } from '../src/synthetic/copy-writer.js';
import { CARD_BASE_HEADER } from '../src/takeover/card-base-parser.js';
import { tempDir } from './support/temp-dirs.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

/** The synthetic card base: written for the register, importable as it is, with every surplus class in it. */
describe('synthetic: the card base of a synthetic register', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes a card-base/1 file with generations, states and each surplus class, that imports without a reject', async () => {
    await writeSynthetic(t.url, { count: 20_000, seed: 5 });
    const file = path.join(tempDir('card-base'), 'base.csv.gz');
    const counts = await writeCardBaseFile(t.url, file, { seed: 5 });
    const people = counts.holders;
    expect(people).toBeGreaterThan(15_000);
    for (const [cls, share] of Object.entries(CARD_BASE_SHARES.surplus)) {
      const n = counts.surplus[cls as keyof typeof counts.surplus];
      expect(n, cls).toBeGreaterThan(people * share * 0.6);
      expect(n, cls).toBeLessThan(people * share * 1.4);
    }
    expect(counts.generation1 / counts.cards).toBeGreaterThan(0.2);
    expect(counts.opposed / counts.cards).toBeGreaterThan(0.03);
    expect(counts.destroyed).toBeGreaterThan(0);
    const text = gunzipSync(readFileSync(file)).toString('utf8');
    expect(text.split('\n')[0]).toBe(CARD_BASE_HEADER);

    // The register learnt what the file implies.
    const [{ dead }] = await t.dataSource.query(
      `SELECT count(*)::int AS dead FROM beneficiary WHERE died_on IS NOT NULL`,
    );
    expect(dead).toBe(counts.surplus.deceased);
    const [{ history }] = await t.dataSource.query(`SELECT count(*)::int AS history FROM beneficiary_nir_history`);
    expect(history).toBe(counts.surplus.temporaryNir);

    const res = await t
      .http()
      .post('/v1/card-base/imports')
      .set(bearer(t.operatorKey))
      .set('Content-Type', 'application/gzip')
      .send(readFileSync(file));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'received', landedRows: counts.cards, rejectedRows: 0 });
    await t.jobsSettled();
    const done = await t.http().get(`/v1/card-base/imports/${res.body.id}`).set(bearer(t.operatorKey));
    expect(done.body).toMatchObject({ status: 'done', importedRows: counts.cards, rejectedRows: 0 });
    const q = async (sql: string) => Number((await t.dataSource.query(sql))[0].n);
    // Unknown holders kept and flagged; temporary-NIR cards found through the history; several usable cards per person.
    expect(await q(`SELECT count(*) AS n FROM card WHERE origin = 'imported' AND beneficiary_id IS NULL`)).toBe(
      counts.surplus.unknownHolder,
    );
    expect(
      await q(`SELECT count(*) AS n FROM card c JOIN beneficiary_nir_history h ON h.beneficiary_id = c.beneficiary_id
                JOIN imported_card i ON i.card_id = c.id WHERE c.origin = 'imported'`),
    ).toBeGreaterThanOrEqual(counts.surplus.temporaryNir);
    expect(
      await q(`SELECT count(*) AS n FROM (SELECT beneficiary_id FROM card WHERE state = 'active' AND beneficiary_id IS NOT NULL
                GROUP BY beneficiary_id HAVING count(*) > 1) d`),
    ).toBe(counts.surplus.duplicate + counts.surplus.temporaryNir);
    expect(
      await q(`SELECT count(*) AS n FROM card c JOIN affiliation a ON a.beneficiary_id = c.beneficiary_id AND a.valid_to IS NULL
                WHERE c.state = 'active' AND c.organisme_code <> a.organisme_code`),
    ).toBeGreaterThanOrEqual(counts.surplus.leftOrganisme);
  });
});
