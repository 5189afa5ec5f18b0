import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { generateCardKeys } from '../src/update/card-crypto.js';
import { cardIn } from './support/card-fixtures.js';
import { giveCardKeys } from './support/card-key-fixtures.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * A chip public key belongs to one card whatever its role, in the database itself (the return-file reader checks
 * first; these writes go around it, as a race between two files or a careless script would).
 */
describe('card keys in the database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: { code?: string; constraint?: string }) => [e.code, e.constraint],
    );

  it("refuses one card's auth key as another card's enc key, and the same point for both roles", async () => {
    const a = await cardIn(t.dataSource, CardState.Active);
    const keysA = await giveCardKeys(t.dataSource, a.id);
    const b = await cardIn(t.dataSource, CardState.Active);
    const fresh = generateCardKeys();

    expect(await refusal(giveCardKeys(t.dataSource, b.id, { ...fresh, encPublic: keysA.authPublic }))).toEqual([
      '23505',
      'card_key_point_once',
    ]);
    expect(await refusal(giveCardKeys(t.dataSource, b.id, { ...fresh, authPublic: keysA.encPublic }))).toEqual([
      '23505',
      'card_key_point_once',
    ]);
    expect(await refusal(giveCardKeys(t.dataSource, b.id, { ...fresh, encPublic: fresh.authPublic }))).toEqual([
      '23514',
      'card_key_pairs_differ',
    ]);
    expect(await t.dataSource.query(`SELECT 1 FROM card_key WHERE card_id = $1`, [b.id])).toEqual([]);

    await giveCardKeys(t.dataSource, b.id, fresh);
    const points = await t.dataSource.query(`SELECT card_id FROM card_key_point WHERE card_id = ANY($1::uuid[])`, [
      [a.id, b.id],
    ]);
    expect(points).toHaveLength(4);
    // A card's keys never change.
    expect(
      await refusal(
        t.dataSource.query(`UPDATE card_key SET enc_public_key = $2 WHERE card_id = $1`, [
          b.id,
          Buffer.from(generateCardKeys().encPublic, 'base64'),
        ]),
      ),
    ).toEqual(['23000', undefined]);
  });
});
