import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSerial } from '../src/cards/card-serial.js';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { generateCardKeys } from '../src/update/card-crypto.js';
import { insertBeneficiary, insertCard, type CardRow } from './support/factories.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const ORG_A = '017510001';
const ORG_B = '016910001';

/**
 * Cards made before kiosk protocol 2 (or imported) have no chip key: they stay on kiosk/1 until its cut-off, and their
 * fund must be able to list them to plan their replacement. The tenant rule holds: a fund sees only its own.
 */
describe('cards without a chip key (GET /v1/cards/without-key)', () => {
  let t: TestApp;
  let op: Record<string, string>;
  let fundA: Record<string, string>;
  let fundB: Record<string, string>;
  const a: Record<string, CardRow> = {};
  let b: CardRow;

  const withKeys = async (c: CardRow) => {
    const k = generateCardKeys();
    await t.dataSource.query(`INSERT INTO card_key (card_id, auth_public_key, enc_public_key) VALUES ($1, $2, $3)`, [
      c.id,
      Buffer.from(k.authPublic, 'base64'),
      Buffer.from(k.encPublic, 'base64'),
    ]);
  };
  const card = async (organismeCode: string, state: CardState) =>
    insertCard(t.dataSource, { beneficiaryId: (await insertBeneficiary(t.dataSource)).id, organismeCode, state });
  const serialOf = (c: CardRow) => formatSerial(c.serial!);

  beforeAll(async () => {
    t = await startTestApp();
    op = bearer(t.operatorKey);
    fundA = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    fundB = bearer((await t.partner(PartnerKind.Fund, ORG_B)).key);
    a.active = await card(ORG_A, CardState.Active);
    a.shipped = await card(ORG_A, CardState.Shipped);
    a.keyed = await card(ORG_A, CardState.Active);
    await withKeys(a.keyed);
    a.opposed = await card(ORG_A, CardState.Opposed);
    a.ordered = await card(ORG_A, CardState.InPersonalisation);
    b = await card(ORG_B, CardState.Active);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("a fund lists its own usable cards without a key, by serial, with the count; another fund's card never appears", async () => {
    const res = await t.http().get('/v1/cards/without-key').set(fundA);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [a.active, a.shipped].map((c) => ({
        id: c.id,
        serial: serialOf(c),
        beneficiaryId: c.beneficiaryId,
        organismeCode: ORG_A,
        state: c.state,
        shippedAt: null,
      })),
      next: null,
    });
    expect((await t.http().get('/v1/cards/without-key/count').set(fundA)).body).toEqual({
      count: 2,
      organismeCode: ORG_A,
    });
    // Asking for the other organisme changes nothing: the scope is the fund's, in the SQL.
    expect((await t.http().get(`/v1/cards/without-key?organismeCode=${ORG_B}`).set(fundA)).body).toEqual({
      items: [],
      next: null,
    });
    expect((await t.http().get(`/v1/cards/without-key/count?organismeCode=${ORG_B}`).set(fundA)).body).toEqual({
      count: 0,
      organismeCode: ORG_A,
    });
    const other = await t.http().get('/v1/cards/without-key').set(fundB);
    expect(other.body.items.map((c: { serial: string }) => c.serial)).toEqual([serialOf(b)]);
  });

  it("operators see every organisme's, or one's; pages follow the serials", async () => {
    const all = await t.http().get('/v1/cards/without-key').set(op);
    expect(all.body.items.map((c: { serial: string }) => c.serial)).toEqual([a.active, a.shipped, b].map(serialOf));
    expect((await t.http().get('/v1/cards/without-key/count').set(op)).body).toEqual({ count: 3, organismeCode: null });
    expect((await t.http().get(`/v1/cards/without-key/count?organismeCode=${ORG_B}`).set(op)).body).toEqual({
      count: 1,
      organismeCode: ORG_B,
    });
    const first = await t.http().get('/v1/cards/without-key?limit=2').set(op);
    expect(first.body.next).toBe(serialOf(a.shipped));
    const second = await t.http().get(`/v1/cards/without-key?limit=2&after=${first.body.next}`).set(op);
    expect(second.body).toMatchObject({ items: [{ serial: serialOf(b) }], next: null });
  });

  it('a card whose keys arrive leaves the list', async () => {
    await withKeys(a.shipped);
    expect(
      (await t.http().get('/v1/cards/without-key').set(fundA)).body.items.map((c: { serial: string }) => c.serial),
    ).toEqual([serialOf(a.active)]);
    expect((await t.http().get('/v1/cards/without-key/count').set(fundA)).body.count).toBe(1);
  });

  it('only funds and operators; a bad cursor or organisme is a 400 that says how to fix it', async () => {
    const kiosk = bearer((await t.partner(PartnerKind.Kiosk)).key);
    expect((await t.http().get('/v1/cards/without-key').set(kiosk)).status).toBe(403);
    expect((await t.http().get('/v1/cards/without-key/count').set(kiosk)).status).toBe(403);
    expect((await t.http().get('/v1/cards/without-key')).status).toBe(401);
    const bad = await t.http().get('/v1/cards/without-key?after=12&organismeCode=x').set(fundA);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['after', 'organismeCode']);
  });
});
