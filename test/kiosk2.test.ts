import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { cardSign, generateCardKeys, openRecord, proofMessage } from '../src/update/card-crypto.js';
import { KioskChallenges } from '../src/update/kiosk-challenges.service.js';
import { endOfParisDay } from '../src/update/kiosk-protocols.js';
import { cardIn, type TestCard } from './support/card-fixtures.js';
import { ackBody, check2, confirm2, fetch2, giveCardKeys, openAll, proofBody } from './support/card-key-fixtures.js';
import {
  cardVersions,
  check,
  confirm,
  PARIS,
  putRecord,
  RECORDS,
  verifyReceipt,
  written,
} from './support/kiosk-fixtures.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('kiosk protocol kiosk/2', () => {
  let t: TestApp;
  let fund: { id: string; key: string };
  let kiosk: { id: string; key: string };
  let otherKiosk: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    fund = await t.partner(PartnerKind.Fund, PARIS);
    kiosk = await t.partner(PartnerKind.Kiosk);
    otherKiosk = await t.partner(PartnerKind.Kiosk);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** An active card with its chip's keys, issued at version 2, with ald_periods (v3) and coverage (v4) set by its fund. */
  async function keyedCardWithChanges() {
    const c = await cardIn(t.dataSource, CardState.Active);
    const keys = await giveCardKeys(t.dataSource, c.id);
    expect((await putRecord(t, fund.key, c.serial12, 'ald_periods', RECORDS.ald_periods)).status).toBe(200);
    expect((await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage)).status).toBe(200);
    return { ...c, keys };
  }

  /** What a card's holder must never see leave the system in clear: NIR, names, and the records' content. */
  async function secretsOf(c: TestCard): Promise<string[]> {
    const [h] = await t.dataSource.query(
      `SELECT b.nir, b.first_name, b.birth_name FROM beneficiary b JOIN card c ON c.beneficiary_id = b.id WHERE c.id = $1`,
      [c.id],
    );
    return [h.nir, h.first_name, h.birth_name, '0300', 'situation', 'aldCode', 'aldDigit', '2028-12-31', 'regimeCode'];
  }
  /**
   * The secrets found in clear in the answers. Random identifiers and encoded blobs (UUIDs, challenges, signatures)
   * are set aside first: a request id once held `0300`, a record's content, by chance.
   */
  const disclosed = (bodies: unknown[], secrets: string[]) => {
    const text = JSON.stringify(bodies)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
      .replace(/[A-Za-z0-9+/_-]{20,}={0,2}/g, '<blob>');
    return secrets.filter((s) => text.includes(s));
  };

  /** The state a refused request must leave alone: the card's exchanges and versions, and the whole audit trail. */
  async function snapshot(...cards: TestCard[]) {
    const ids = cards.map((c) => c.id);
    return {
      exchanges: await t.dataSource.query(
        `SELECT id, status, finished_at FROM kiosk_exchange WHERE card_id = ANY ($1) ORDER BY created_at, id`,
        [ids],
      ),
      versions: await Promise.all(cards.map((c) => cardVersions(t.dataSource, c.serial12))),
      audit: (await t.dataSource.query(`SELECT count(*)::int AS n, max(id)::text AS last FROM audit_entry`))[0],
    };
  }

  it("check answers a challenge and nothing else; the card's proof opens the exchange; its acknowledgement moves the version", async () => {
    const c = await keyedCardWithChanges();
    const secrets = await secretsOf(c);
    const before = await snapshot(c);
    const res = await check2(t, kiosk.key, c.serial12, 2);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['action', 'challenge', 'expiresAt', 'kioskId', 'protocol', 'serial']);
    expect(res.body).toMatchObject({
      protocol: 'kiosk/2',
      action: 'update_available',
      serial: c.serial12,
      kioskId: kiosk.id,
    });
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(50_000);
    // The check wrote nothing, superseded nothing, disclosed nothing.
    expect(await snapshot(c)).toEqual(before);
    expect(disclosed([res.body], secrets)).toEqual([]);

    const fetched = await fetch2(
      t,
      kiosk.key,
      proofBody(c.keys, {
        serial: c.serial12,
        challenge: res.body.challenge,
        readVersion: 2,
        kioskId: res.body.kioskId,
      }),
    );
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({
      protocol: 'kiosk/2',
      action: 'update',
      serial: c.serial12,
      fromVersion: 2,
      targetVersion: 4,
    });
    expect(written(fetched.body)).toEqual(['coverage@4', 'ald_periods@3']);
    // The kiosk relays envelopes it cannot read.
    expect(disclosed([fetched.body], secrets)).toEqual([]);
    expect(openAll(c.keys, fetched.body).map((r) => r.opened)).toEqual([
      { content: RECORDS.coverage },
      { content: RECORDS.ald_periods },
    ]);
    // (The same search finds them once the card has opened the envelopes: it would find them in a kiosk/1 answer.)
    expect(disclosed([openAll(c.keys, fetched.body)], secrets)).toEqual([
      '0300',
      'situation',
      'aldCode',
      'aldDigit',
      '2028-12-31',
    ]);
    const [sent] = await t.dataSource.query(
      `SELECT details FROM audit_entry WHERE action = 'card.data_sent' AND details->>'exchangeId' = $1`,
      [fetched.body.exchangeId],
    );
    expect(sent.details).toMatchObject({
      serial: c.serial12,
      protocol: 'kiosk/2',
      records: expect.arrayContaining(['coverage@4', 'ald_periods@3']),
    });

    const done = await confirm2(
      t,
      kiosk.key,
      ackBody(c.keys, {
        exchangeId: fetched.body.exchangeId,
        serial: c.serial12,
        writtenRecords: written(fetched.body),
      }),
    );
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ protocol: 'kiosk/2', result: 'updated', version: 4, missingRecords: [] });
    expect(done.body.receipt.content).toMatchObject({
      format: 'vitale-update-receipt/3',
      result: 'updated',
      version: 4,
      exchangeId: fetched.body.exchangeId,
      kioskPartnerId: kiosk.id,
      cardPresenceProven: true,
    });
    expect(await verifyReceipt(t, kiosk.key, done.body.receipt)).toBe(true);
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 4, target_version: 4 });

    // Up to date now: nothing_to_do with a receipt that says no card proof was asked; nothing written.
    const idle = await check2(t, kiosk.key, c.serial12, 4);
    expect(idle.body).toMatchObject({ protocol: 'kiosk/2', action: 'nothing_to_do', version: 4 });
    expect(idle.body.receipt.content).toMatchObject({
      format: 'vitale-update-receipt/3',
      result: 'nothing_to_do',
      cardPresenceProven: false,
    });
    expect(await verifyReceipt(t, kiosk.key, idle.body.receipt)).toBe(true);
  });

  it('a chip that reports an interrupted write gets every record, identity included, sealed to it', async () => {
    const c = await keyedCardWithChanges();
    const [h] = await t.dataSource.query(
      `SELECT b.nir FROM beneficiary b JOIN card c ON c.beneficiary_id = b.id WHERE c.id = $1`,
      [c.id],
    );
    const res = await check2(t, kiosk.key, c.serial12, 4, true);
    expect(res.body.action).toBe('update_available');
    const fetched = await fetch2(
      t,
      kiosk.key,
      proofBody(c.keys, {
        serial: c.serial12,
        challenge: res.body.challenge,
        readVersion: 4,
        writeInProgress: true,
        kioskId: kiosk.id,
      }),
    );
    expect(fetched.body).toMatchObject({ action: 'update', fromVersion: 0, targetVersion: 4 });
    expect(written(fetched.body)).toEqual(['identity@1', 'organisme@2', 'coverage@4', 'ald_periods@3']);
    expect(JSON.stringify(fetched.body)).not.toContain(h.nir);
    const identity = openAll(c.keys, fetched.body)[0].opened as { content: { nir: string } };
    expect(identity.content.nir).toBe(h.nir);
  });

  it("records open only with the card's own key; an envelope altered on the way is refused by the card", async () => {
    const c = await keyedCardWithChanges();
    const res = await check2(t, kiosk.key, c.serial12, 2);
    const fetched = (
      await fetch2(
        t,
        kiosk.key,
        proofBody(c.keys, { serial: c.serial12, challenge: res.body.challenge, readVersion: 2, kioskId: kiosk.id }),
      )
    ).body;
    const ctx = { serial: c.serial12, exchangeId: fetched.exchangeId, ephemeralKey: fetched.ephemeralKey };
    const [coverage] = fetched.records;
    expect(openRecord(c.keys, ctx, coverage)).toEqual({ content: RECORDS.coverage });
    expect(openRecord(generateCardKeys(), ctx, coverage)).toBeNull();
    const flipped = Buffer.from(coverage.ciphertext, 'base64');
    flipped[3] ^= 0x20;
    expect(openRecord(c.keys, ctx, { ...coverage, ciphertext: flipped.toString('base64') })).toBeNull();
    expect(openRecord(c.keys, ctx, { ...coverage, version: coverage.version + 1 })).toBeNull();
    expect(openRecord(c.keys, ctx, { ...coverage, recordType: 'maternity' })).toBeNull();
    expect(openRecord(c.keys, { ...ctx, exchangeId: randomUUID() }, coverage)).toBeNull();
    expect(openRecord(c.keys, { ...ctx, ephemeralKey: generateCardKeys().encPublic }, coverage)).toBeNull();
  });

  it('a kiosk without the card: the check works, every fetch and confirm is refused, and no answer holds a NIR, a name or a record', async () => {
    const c = await keyedCardWithChanges();
    const secrets = await secretsOf(c);
    const other = await keyedCardWithChanges();
    const before = await snapshot(c);
    const answers: unknown[] = [];
    const keep = <T extends { body: unknown; status: number }>(r: T) => {
      answers.push(r.body);
      return r;
    };

    const res = keep(await check2(t, kiosk.key, c.serial12, 2));
    expect(res.body.action).toBe('update_available');
    keep(await check2(t, kiosk.key, c.serial12, 0, true));
    const base = { serial: c.serial12, challenge: res.body.challenge, readVersion: 2, writeInProgress: false };
    const refusals = [
      // No card to sign: a made-up signature, an empty one, one of another card, a proof replayed from another challenge.
      await fetch2(t, kiosk.key, { ...base, proof: randomBytes(64).toString('base64') }),
      await fetch2(t, kiosk.key, { ...base, proof: '' }),
      await fetch2(t, kiosk.key, proofBody(other.keys, { ...base, kioskId: kiosk.id })),
      await fetch2(t, kiosk.key, {
        ...base,
        proof: cardSign(c.keys, proofMessage({ ...base, challenge: 'an older challenge', kioskId: kiosk.id })),
      }),
      await fetch2(t, kiosk.key, { ...base }),
      // Confirms of exchanges it has not got.
      await confirm2(t, kiosk.key, {
        exchangeId: randomUUID(),
        serial: c.serial12,
        writtenRecords: ['coverage@4'],
        cardAck: randomBytes(64).toString('base64'),
      }),
      await confirm2(t, kiosk.key, {
        exchangeId: randomUUID(),
        serial: c.serial12,
        aborted: true,
        commandMayHaveReachedCard: false,
      }),
      // And the kiosk/1 routes, for this card with keys.
      await check(t, kiosk.key, c.serial12, 2, true),
      await check(t, kiosk.key, c.serial12, 0),
    ].map(keep);
    expect(refusals.map((r) => [r.status, (r.body as { code: string }).code])).toEqual([
      [403, 'KIOSK_PROOF_INVALID'],
      [400, 'VALIDATION_FAILED'],
      [403, 'KIOSK_PROOF_INVALID'],
      [403, 'KIOSK_PROOF_INVALID'],
      [400, 'VALIDATION_FAILED'],
      [404, 'KIOSK_EXCHANGE_NOT_FOUND'],
      [404, 'KIOSK_EXCHANGE_NOT_FOUND'],
      [409, 'KIOSK_PROTOCOL_2_REQUIRED'],
      [409, 'KIOSK_PROTOCOL_2_REQUIRED'],
    ]);
    expect(disclosed(answers, secrets)).toEqual([]);
    expect(await snapshot(c)).toEqual(before);
    expect(
      await t.dataSource.query(`SELECT 1 FROM audit_entry WHERE action = 'card.data_sent' AND entity_id = $1`, [c.id]),
    ).toEqual([]);
  });

  it('a proof replayed, expired, for another card, for another kiosk, or signed by another card is refused and changes nothing', async () => {
    const c = await keyedCardWithChanges();
    const b = await keyedCardWithChanges();
    const challenges = t.app.get(KioskChallenges);
    const fresh = async (card: typeof c, key = kiosk.key) =>
      (await check2(t, key, card.serial12, 2)).body.challenge as string;

    // A first fetch opens the exchange; the same request again is a replay.
    const first = proofBody(c.keys, {
      serial: c.serial12,
      challenge: await fresh(c),
      readVersion: 2,
      kioskId: kiosk.id,
    });
    const opened = await fetch2(t, kiosk.key, first);
    expect(opened.body.action).toBe('update');
    const before = await snapshot(c, b);
    const expired = challenges.issue(c.serial12, kiosk.id, Date.now() - 61_000).challenge;
    const forB = await fresh(b);
    const forOtherKiosk = await fresh(c, otherKiosk.key);
    const cases: Array<[string, number, Record<string, unknown>, string?]> = [
      ['replayed', 403, first, 'KIOSK_CHALLENGE_USED'],
      [
        'expired',
        403,
        proofBody(c.keys, { serial: c.serial12, challenge: expired, readVersion: 2, kioskId: kiosk.id }),
        'KIOSK_CHALLENGE_EXPIRED',
      ],
      [
        "another serial's challenge",
        403,
        proofBody(c.keys, { serial: c.serial12, challenge: forB, readVersion: 2, kioskId: kiosk.id }),
        'KIOSK_CHALLENGE_INVALID',
      ],
      [
        "another kiosk's challenge",
        403,
        proofBody(c.keys, { serial: c.serial12, challenge: forOtherKiosk, readVersion: 2, kioskId: kiosk.id }),
        'KIOSK_CHALLENGE_INVALID',
      ],
      [
        'signed for another kiosk',
        403,
        proofBody(c.keys, { serial: c.serial12, challenge: await fresh(c), readVersion: 2, kioskId: otherKiosk.id }),
        'KIOSK_PROOF_INVALID',
      ],
      [
        'signed by another card',
        403,
        proofBody(b.keys, { serial: c.serial12, challenge: await fresh(c), readVersion: 2, kioskId: kiosk.id }),
        'KIOSK_PROOF_INVALID',
      ],
      [
        'signed over another version',
        403,
        {
          ...proofBody(c.keys, { serial: c.serial12, challenge: await fresh(c), readVersion: 3, kioskId: kiosk.id }),
          readVersion: 2,
        },
        'KIOSK_PROOF_INVALID',
      ],
      [
        'a challenge altered',
        403,
        proofBody(c.keys, {
          serial: c.serial12,
          challenge: flipLast(await fresh(c)),
          readVersion: 2,
          kioskId: kiosk.id,
        }),
        'KIOSK_CHALLENGE_INVALID',
      ],
      [
        "for another card, with that card's proof",
        403,
        proofBody(b.keys, { serial: b.serial12, challenge: await fresh(c), readVersion: 2, kioskId: kiosk.id }),
        'KIOSK_CHALLENGE_INVALID',
      ],
    ];
    for (const [label, status, body, code] of cases) {
      const res = await fetch2(t, kiosk.key, body);
      expect([label, res.status, res.body.code]).toEqual([label, status, code]);
    }
    // The other kiosk cannot use the challenge it got, with a proof naming the first kiosk either.
    const stolen = await fetch2(
      t,
      otherKiosk.key,
      proofBody(c.keys, { serial: c.serial12, challenge: await fresh(c), readVersion: 2, kioskId: kiosk.id }),
    );
    expect(stolen.body.code).toBe('KIOSK_CHALLENGE_INVALID');
    expect(await snapshot(c, b)).toEqual(before);
    // The exchange the first fetch opened is still the open one, and is confirmed as usual.
    const done = await confirm2(
      t,
      kiosk.key,
      ackBody(c.keys, { exchangeId: opened.body.exchangeId, serial: c.serial12, writtenRecords: written(opened.body) }),
    );
    expect(done.body.result).toBe('updated');
  });

  it('two fetches with one challenge at once: one exchange, the other KIOSK_CHALLENGE_USED', async () => {
    const c = await keyedCardWithChanges();
    const res = await check2(t, kiosk.key, c.serial12, 2);
    const body = proofBody(c.keys, {
      serial: c.serial12,
      challenge: res.body.challenge,
      readVersion: 2,
      kioskId: kiosk.id,
    });
    const both = await Promise.all([fetch2(t, kiosk.key, body), fetch2(t, kiosk.key, body)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 403]);
    expect(both.find((r) => r.status === 403)!.body.code).toBe('KIOSK_CHALLENGE_USED');
    expect(await t.dataSource.query(`SELECT status FROM kiosk_exchange WHERE card_id = $1`, [c.id])).toEqual([
      { status: 'issued' },
    ]);
  });

  it('a confirm with a bad acknowledgement moves nothing and leaves the exchange open; a valid one then does', async () => {
    const c = await keyedCardWithChanges();
    const res = await check2(t, kiosk.key, c.serial12, 2);
    const fetched = (
      await fetch2(
        t,
        kiosk.key,
        proofBody(c.keys, { serial: c.serial12, challenge: res.body.challenge, readVersion: 2, kioskId: kiosk.id }),
      )
    ).body;
    const all = written(fetched);
    const before = await snapshot(c);
    const bad: Array<[string, Record<string, unknown>, string]> = [
      [
        'signed by another card',
        ackBody(generateCardKeys(), { exchangeId: fetched.exchangeId, serial: c.serial12, writtenRecords: all }),
        'KIOSK_ACK_INVALID',
      ],
      [
        'signed for fewer records',
        {
          ...ackBody(c.keys, { exchangeId: fetched.exchangeId, serial: c.serial12, writtenRecords: all.slice(0, 1) }),
          writtenRecords: all,
        },
        'KIOSK_ACK_INVALID',
      ],
      [
        'signed for another exchange',
        {
          ...ackBody(c.keys, { exchangeId: randomUUID(), serial: c.serial12, writtenRecords: all }),
          exchangeId: fetched.exchangeId,
        },
        'KIOSK_ACK_INVALID',
      ],
      [
        'random bytes',
        {
          exchangeId: fetched.exchangeId,
          serial: c.serial12,
          writtenRecords: all,
          cardAck: randomBytes(64).toString('base64'),
        },
        'KIOSK_ACK_INVALID',
      ],
      [
        'no acknowledgement',
        { exchangeId: fetched.exchangeId, serial: c.serial12, writtenRecords: all },
        'KIOSK_CONFIRM_INVALID',
      ],
      [
        'both written and aborted',
        {
          ...ackBody(c.keys, { exchangeId: fetched.exchangeId, serial: c.serial12, writtenRecords: all }),
          aborted: true,
        },
        'KIOSK_CONFIRM_INVALID',
      ],
    ];
    for (const [label, body, code] of bad) {
      const r = await confirm2(t, kiosk.key, body);
      expect([label, r.body.code]).toEqual([label, code]);
    }
    expect(await snapshot(c)).toEqual(before);
    expect(
      (await t.dataSource.query(`SELECT status FROM kiosk_exchange WHERE id = $1`, [fetched.exchangeId]))[0].status,
    ).toBe('issued');

    // The card acknowledges only the first record: failed, the version stays; nothing is lost (the next fetch resends).
    const partial = await confirm2(
      t,
      kiosk.key,
      ackBody(c.keys, { exchangeId: fetched.exchangeId, serial: c.serial12, writtenRecords: all.slice(0, 1) }),
    );
    expect(partial.body).toMatchObject({ result: 'failed', version: 2, missingRecords: all.slice(1) });
    expect(partial.body.receipt.content).toMatchObject({ result: 'failed', cardPresenceProven: true });
    const again = await check2(t, kiosk.key, c.serial12, 2, true);
    const refetched = (
      await fetch2(
        t,
        kiosk.key,
        proofBody(c.keys, {
          serial: c.serial12,
          challenge: again.body.challenge,
          readVersion: 2,
          writeInProgress: true,
          kioskId: kiosk.id,
        }),
      )
    ).body;
    const ok = await confirm2(
      t,
      kiosk.key,
      ackBody(c.keys, { exchangeId: refetched.exchangeId, serial: c.serial12, writtenRecords: written(refetched) }),
    );
    expect(ok.body).toMatchObject({ result: 'updated', version: 4 });
  });

  it('keys the card no longer holds open nothing and move nothing, though the check or the fetch read them (what one request remembers for the next)', async () => {
    // A card's keys never change in place (the database refuses it); an operator may only remove them, and a card
    // might get others: the worst case for what a request remembered.
    const replaceKeys = async (cardId: string) => {
      await t.dataSource.query(`DELETE FROM card_key WHERE card_id = $1`, [cardId]);
      return giveCardKeys(t.dataSource, cardId);
    };
    // Replaced between the check (which read the old keys) and the fetch: a proof by the old keys opens nothing.
    const c = await keyedCardWithChanges();
    const res = await check2(t, kiosk.key, c.serial12, 2);
    const fresh = await replaceKeys(c.id);
    const before = await snapshot(c);
    const proof = (keys: typeof fresh) =>
      proofBody(keys, { serial: c.serial12, challenge: res.body.challenge, readVersion: 2, kioskId: kiosk.id });
    const stale = await fetch2(t, kiosk.key, proof(c.keys));
    expect([stale.status, stale.body.code]).toEqual([403, 'KIOSK_PROOF_INVALID']);
    expect(await snapshot(c)).toEqual(before);
    // The card's new keys still open the exchange with the same challenge, sealed to them.
    const fetched = await fetch2(t, kiosk.key, proof(fresh));
    expect(fetched.body).toMatchObject({ action: 'update', targetVersion: 4 });
    expect(openAll(fresh, fetched.body).every((r) => r.opened !== null)).toBe(true);

    // Replaced between the fetch (which remembered the key) and the confirm: the old key's acknowledgement moves nothing.
    const d = await keyedCardWithChanges();
    const dCheck = await check2(t, kiosk.key, d.serial12, 2);
    const dFetched = (
      await fetch2(
        t,
        kiosk.key,
        proofBody(d.keys, { serial: d.serial12, challenge: dCheck.body.challenge, readVersion: 2, kioskId: kiosk.id }),
      )
    ).body;
    const dFresh = await replaceKeys(d.id);
    const dBefore = await snapshot(d);
    const ack = (keys: typeof dFresh) =>
      ackBody(keys, { exchangeId: dFetched.exchangeId, serial: d.serial12, writtenRecords: written(dFetched) });
    const refused = await confirm2(t, kiosk.key, ack(d.keys));
    expect([refused.status, refused.body.code]).toEqual([403, 'KIOSK_ACK_INVALID']);
    expect(await snapshot(d)).toEqual(dBefore);
    expect((await confirm2(t, kiosk.key, ack(dFresh))).body).toMatchObject({ result: 'updated', version: 4 });
  });

  it('an acknowledged confirm writes, in its one statement, all the transactional path wrote: version, update date, exchange, audit entry', async () => {
    const c = await keyedCardWithChanges();
    const res = await check2(t, kiosk.key, c.serial12, 2);
    const fetched = (
      await fetch2(
        t,
        kiosk.key,
        proofBody(c.keys, { serial: c.serial12, challenge: res.body.challenge, readVersion: 2, kioskId: kiosk.id }),
      )
    ).body;
    const [card] = await t.dataSource.query(`SELECT version, organisme_code FROM card WHERE id = $1`, [c.id]);
    const before = Date.now() - 1000;
    // The card wrote one more record than the exchange holds (a stale one): still an update of every record it holds.
    const ack = ackBody(c.keys, {
      exchangeId: fetched.exchangeId,
      serial: c.serial12,
      writtenRecords: [...written(fetched).reverse(), 'identity@1'],
    });
    const done = await confirm2(t, kiosk.key, ack);
    expect(done.body).toMatchObject({ result: 'updated', version: 4, missingRecords: [] });
    expect(await verifyReceipt(t, kiosk.key, done.body.receipt)).toBe(true);
    const [after] = await t.dataSource.query(
      `SELECT c.data_version, c.version, u.data_updated_at, x.status, x.finished_at
         FROM card c JOIN card_update_state u ON u.card_id = c.id JOIN kiosk_exchange x ON x.card_id = c.id WHERE c.id = $1 AND x.id = $2`,
      [c.id, fetched.exchangeId],
    );
    expect(after).toMatchObject({ data_version: 4, version: card.version + 1, status: 'confirmed' });
    expect(after.data_updated_at.getTime()).toBeGreaterThan(before);
    expect(after.finished_at.getTime()).toBeGreaterThan(before);
    const entries = await t.dataSource.query(
      `SELECT actor_partner_id, actor_kind, request_id, entity_type, entity_id, organisme_code, details
         FROM audit_entry WHERE action = 'card.data_written' AND details->>'exchangeId' = $1`,
      [fetched.exchangeId],
    );
    expect(entries).toEqual([
      {
        actor_partner_id: kiosk.id,
        actor_kind: 'kiosk',
        request_id: expect.any(String),
        entity_type: 'card',
        entity_id: c.id,
        organisme_code: card.organisme_code,
        details: {
          serial: c.serial12,
          exchangeId: fetched.exchangeId,
          from: 2,
          to: 4,
          records: ['ald_periods@3', 'coverage@4'],
          protocol: 'kiosk/2',
          cardAcknowledged: true,
        },
      },
    ]);
    // Once confirmed, the same acknowledgement again is refused and writes nothing more.
    const twice = await confirm2(t, kiosk.key, ack);
    expect([twice.status, twice.body.code]).toEqual([409, 'KIOSK_EXCHANGE_ALREADY_CONFIRMED']);
    expect((await t.dataSource.query(`SELECT version FROM card WHERE id = $1`, [c.id]))[0].version).toBe(
      card.version + 1,
    );
  });

  it('an abort needs no acknowledgement and moves nothing', async () => {
    const c = await keyedCardWithChanges();
    const res = await check2(t, kiosk.key, c.serial12, 2);
    const fetched = (
      await fetch2(
        t,
        kiosk.key,
        proofBody(c.keys, { serial: c.serial12, challenge: res.body.challenge, readVersion: 2, kioskId: kiosk.id }),
      )
    ).body;
    const aborted = await confirm2(t, kiosk.key, {
      exchangeId: fetched.exchangeId,
      serial: c.serial12,
      aborted: true,
      commandMayHaveReachedCard: true,
    });
    expect(aborted.body).toMatchObject({ result: 'failed', version: 2, missingRecords: written(fetched) });
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 4 });
  });

  it('a blocked card with keys answers blocked on check, without a challenge', async () => {
    const c = await keyedCardWithChanges();
    await t.dataSource.query(
      `UPDATE card SET state = 'opposed', opposition_reason = 'stolen', previous_state = 'active' WHERE id = $1`,
      [c.id],
    );
    const res = await check2(t, kiosk.key, c.serial12, 2);
    expect(res.body).toMatchObject({ protocol: 'kiosk/2', action: 'blocked', state: 'opposed' });
    expect(res.body.challenge).toBeUndefined();
    expect(res.body.receipt.content).toMatchObject({ result: 'blocked', cardPresenceProven: false });
  });

  it("kiosk/1 refuses a card with keys, and each protocol refuses the other's exchanges", async () => {
    const c = await keyedCardWithChanges();
    const v1 = await check(t, kiosk.key, c.serial12, 2, true);
    expect([v1.status, v1.body.code]).toEqual([409, 'KIOSK_PROTOCOL_2_REQUIRED']);
    expect(v1.body.records).toBeUndefined();
    const res = await check2(t, kiosk.key, c.serial12, 2);
    const fetched = (
      await fetch2(
        t,
        kiosk.key,
        proofBody(c.keys, { serial: c.serial12, challenge: res.body.challenge, readVersion: 2, kioskId: kiosk.id }),
      )
    ).body;
    // A kiosk/2 exchange cannot be confirmed without the card, on kiosk/1.
    const viaV1 = await confirm(t, kiosk.key, {
      exchangeId: fetched.exchangeId,
      serial: c.serial12,
      writtenRecords: written(fetched),
    });
    expect([viaV1.status, viaV1.body.code]).toEqual([409, 'KIOSK_PROTOCOL_2_REQUIRED']);
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 4 });

    const keyless = await cardIn(t.dataSource, CardState.Active);
    await putRecord(t, fund.key, keyless.serial12, 'coverage', RECORDS.coverage).expect(200);
    const upd = await check(t, kiosk.key, keyless.serial12, 2);
    expect(upd.body.action).toBe('update');
    const viaV2 = await confirm2(t, kiosk.key, {
      exchangeId: upd.body.exchangeId,
      serial: keyless.serial12,
      aborted: true,
      commandMayHaveReachedCard: false,
    });
    expect([viaV2.status, viaV2.body.code]).toEqual([409, 'KIOSK_PROTOCOL_1_REQUIRED']);
    expect(
      (await t.dataSource.query(`SELECT status FROM kiosk_exchange WHERE id = $1`, [upd.body.exchangeId]))[0].status,
    ).toBe('issued');
  });

  it('a card without keys follows kiosk/1 (before the cut-off); kiosk/2 sends it there', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage).expect(200);
    const v2 = await check2(t, kiosk.key, c.serial12, 2);
    expect([v2.status, v2.body.code, v2.body.kioskV1Until]).toEqual([
      409,
      'KIOSK_PROTOCOL_1_REQUIRED',
      t.config.kioskV1Until,
    ]);
    const v1 = await check(t, kiosk.key, c.serial12, 2);
    expect(v1.body).toMatchObject({ protocol: 'kiosk/1', action: 'update' });
    const done = await confirm(t, kiosk.key, {
      exchangeId: v1.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(v1.body),
    });
    expect(done.body.result).toBe('updated');
    expect(done.body.receipt.content.format).toBe('vitale-update-receipt/2');
  });
});

describe("kiosk/1's cut-off for cards without keys (KIOSK_V1_UNTIL, a Europe/Paris day)", () => {
  const parisDay = (offsetDays: number) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(
      new Date(Date.now() + offsetDays * 86_400_000),
    );
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  async function appUntil(day: string) {
    const app = await startTestApp({ workersEnabled: false, kioskV1Until: day });
    apps.push(app);
    const fund = await app.partner(PartnerKind.Fund, PARIS);
    const kiosk = await app.partner(PartnerKind.Kiosk);
    const keyless = await cardIn(app.dataSource, CardState.Active);
    await putRecord(app, fund.key, keyless.serial12, 'coverage', RECORDS.coverage).expect(200);
    const keyed = await cardIn(app.dataSource, CardState.Active);
    const keys = await giveCardKeys(app.dataSource, keyed.id);
    await putRecord(app, fund.key, keyed.serial12, 'coverage', RECORDS.coverage).expect(200);
    return { app, kiosk, keyless, keyed, keys };
  }

  it('the day ends at midnight in Paris, summer time or not', () => {
    expect(new Date(endOfParisDay('2028-12-31')).toISOString()).toBe('2028-12-31T23:00:00.000Z');
    expect(new Date(endOfParisDay('2027-07-14')).toISOString()).toBe('2027-07-14T22:00:00.000Z');
    expect(new Date(endOfParisDay('2027-03-27')).toISOString()).toBe('2027-03-27T23:00:00.000Z');
    expect(new Date(endOfParisDay('2027-03-28')).toISOString()).toBe('2027-03-28T22:00:00.000Z');
  });

  it('on its last day kiosk/1 still serves a card without keys', async () => {
    const { app, kiosk, keyless } = await appUntil(parisDay(0));
    const res = await check(app, kiosk.key, keyless.serial12, 2);
    expect(res.body).toMatchObject({ protocol: 'kiosk/1', action: 'update' });
  });

  it('the day after, kiosk/1 and kiosk/2 both answer that the card must be replaced; cards with keys carry on with kiosk/2', async () => {
    const { app, kiosk, keyless, keyed, keys } = await appUntil(parisDay(-1));
    for (const res of [
      await check(app, kiosk.key, keyless.serial12, 2),
      await check(app, kiosk.key, keyless.serial12, 0, true),
      await check2(app, kiosk.key, keyless.serial12, 2),
    ]) {
      expect([res.status, res.body.code]).toEqual([409, 'KIOSK_CARD_REPLACEMENT_REQUIRED']);
      expect(res.body.records).toBeUndefined();
    }
    expect(await app.dataSource.query(`SELECT 1 FROM kiosk_exchange WHERE card_id = $1`, [keyless.id])).toEqual([]);
    const v1 = await check(app, kiosk.key, keyed.serial12, 2);
    expect(v1.body.code).toBe('KIOSK_PROTOCOL_2_REQUIRED');
    const res = await check2(app, kiosk.key, keyed.serial12, 2);
    const fetched = await fetch2(
      app,
      kiosk.key,
      proofBody(keys, { serial: keyed.serial12, challenge: res.body.challenge, readVersion: 2, kioskId: kiosk.id }),
    );
    expect(fetched.body.action).toBe('update');
  });
});

/** The same challenge with one character of its random part changed (still base64url, no longer ours). */
function flipLast(challenge: string): string {
  return challenge.slice(0, 10) + (challenge[10] === 'A' ? 'B' : 'A') + challenge.slice(11);
}
