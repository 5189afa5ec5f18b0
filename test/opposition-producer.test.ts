import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCompact, decodeText, type FullList, sha256 } from '../src/opposition/list-codec.js';
import { produceOppositionList } from '../src/opposition/list-producer.js';
import { removeTempDataDirs, tempDataDir } from './support/opposition-fixtures.js';
import { createTestDatabase } from './support/test-app.js';

const signer = { sign: () => ({ keyId: 'test', algorithm: 'Ed25519' as const, signature: 'AA==' }) };

describe('streamed full list production', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: pg.Client;
  let expected: number[];
  const dir = path.join(tempDataDir(), 'opposition');

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // 120,000 opposed cards (serials of every length, up to the largest) plus cards in other states; FKs off for speed
    // (which only the owner may do; the lists are then produced as the application's role).
    const owner = new pg.Client({ connectionString: db.ownerUrl });
    await owner.connect();
    await owner.query(`SET session_replication_role = replica`);
    await owner.query(
      `INSERT INTO card (id, serial, beneficiary_id, organisme_code, state, opposition_reason)
       SELECT gen_random_uuid(), s, gen_random_uuid(), '017510001', CASE WHEN g % 5 = 0 THEN 'active'::card_state ELSE 'opposed'::card_state END,
              CASE WHEN g % 5 = 0 THEN NULL ELSE 'lost'::opposition_reason END
         FROM (SELECT g, CASE WHEN g <= 1200 THEN g * 7 ELSE 100000000000 + g * 3 END AS s FROM generate_series(1, 150000) g) x
       UNION ALL SELECT gen_random_uuid(), 999999999999, gen_random_uuid(), '017510001', 'opposed', 'stolen'`,
    );
    await owner.end();
    expected = (
      await client.query<{ serial: string }>(`SELECT serial FROM card WHERE state = 'opposed' ORDER BY serial`)
    ).rows.map((r) => Number(r.serial));
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
    removeTempDataDirs();
  });

  it('writes exactly the opposed serials in both formats, whether the count comes first or late', async () => {
    const slowSide = async () => {
      await new Promise((r) => setTimeout(r, 800));
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      return c;
    };
    const { list: a } = await produceOppositionList(client, {
      kind: 'full',
      period: 'late-count',
      dir,
      signer,
      sideConnection: slowSide,
    });
    const { list: b } = await produceOppositionList(client, { kind: 'full', period: 'count-first', dir, signer });
    for (const row of [a, b]) {
      expect(row.entryCount).toBe(expected.length);
      const text = readFileSync(path.join(dir, row.textFile));
      const compact = readFileSync(path.join(dir, row.compactFile));
      expect(sha256(text)).toBe(row.textSha256);
      expect(sha256(compact)).toBe(row.compactSha256);
      expect(text.length).toBe(row.textBytes);
      const t = decodeText(text) as FullList;
      expect(t.serials.length).toBe(expected.length);
      expect(t.serials).toEqual(expected);
      expect((decodeCompact(compact) as FullList).serials).toEqual(expected);
      expect(compact.length / expected.length).toBeLessThan(1);
    }
    // idempotent per (kind, period)
    const again = await produceOppositionList(client, { kind: 'full', period: 'late-count', dir, signer });
    expect(again).toMatchObject({ created: false, list: { number: a.number } });
  });
});
