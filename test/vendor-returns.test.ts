import { createHash, verify } from 'node:crypto';
import { generateCardKeys } from '../src/update/card-crypto.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNKNOWN_SERIAL } from './support/card-fixtures.js';
import { insertCard } from './support/factories.js';
import { CardState } from '../src/cards/card-state.enum.js';
import { RequestReason, RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { parseReturnFile } from '../src/emission/returns/return-file.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { ORG_A, ORG_MSA, requestReadyToOrder, tempDataDir, waitFor } from './support/order-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import {
  createVendor,
  decryptForVendor,
  makeCard,
  persoSerials,
  sftpConnect,
  sftpPort,
  type MadeCard,
  type SftpClient,
  type TestVendor,
} from './support/vendor-fixtures.js';

const iso = (msAgo = 0) => new Date(Date.now() - msAgo).toISOString();
/** ret/2 unless told; data lines as given. */
const retFile = (login: string, lines: string[], count = lines.length, version: 1 | 2 = 2) =>
  [`H|ret|${version}|${login}|${iso()}`, ...lines, `T|${count}`].join('\n') + '\n';
/** The chip keys the vendor reports for a serial (a new pair each call: a new chip). */
const keysOf = (c: MadeCard) => `${c.keys.authPublic}|${c.keys.encPublic}`;

interface OrderedCard {
  requestId: string;
  cardId: string;
  beneficiaryId: string;
}

describe('steps 4-6 end to end: order over HTTP, files over SFTP, returns ingested', () => {
  let t: TestApp;
  let op: Record<string, string>;
  let fund: Record<string, string>;
  let fundMsa: Record<string, string>;
  let vendor: TestVendor;
  let other: TestVendor;
  let sftp: SftpClient;
  const cards: OrderedCard[] = [];
  let replacedCardId: string;
  let serial: Map<string, string>;
  let otherVendorSerial: string;
  let firstFile: string;

  const card = (id: string) =>
    t.dataSource
      .query(
        `SELECT state, serial::text AS serial, chip_id, personalised_at, shipped_at, opposition_reason, batch_id FROM card WHERE id = $1`,
        [id],
      )
      .then((r) => r[0]);
  const request = (id: string) =>
    t.dataSource.query(`SELECT status, card_id FROM card_request WHERE id = $1`, [id]).then((r) => r[0]);
  const eventTypes = (requestId: string) =>
    t.dataSource
      .query(`SELECT type FROM fund_event WHERE data->>'requestId' = $1 ORDER BY id`, [requestId])
      .then((r) => r.map((e: { type: string }) => e.type));
  const cardKey = (id: string) =>
    t.dataSource
      .query(`SELECT auth_public_key AS auth, enc_public_key AS enc FROM card_key WHERE card_id = $1`, [id])
      .then((r) => r[0] as { auth: Buffer; enc: Buffer } | undefined);
  const returnFile = (name: string) =>
    t.dataSource
      .query(
        `SELECT status, line_count, applied_count, rejected_count, failure FROM vendor_return_file WHERE vendor_partner_id = $1 AND file_name = $2`,
        [vendor.partnerId, name],
      )
      .then((r) => r[0]);
  const serialsOf = async (ids: string[]) =>
    new Map<string, string>(
      (
        await t.dataSource.query(
          `SELECT id, lpad(serial::text, 12, '0') AS serial FROM card WHERE id = ANY($1::uuid[])`,
          [ids],
        )
      ).map((r: { id: string; serial: string }) => [r.id, r.serial]),
    );

  async function order(
    organismeCode = ORG_A,
    extra: Parameters<typeof requestReadyToOrder>[1] = {},
  ): Promise<OrderedCard> {
    const r = await requestReadyToOrder(t, { organismeCode, ...extra });
    const res = await t
      .http()
      .post(`/v1/card-requests/${r.requestId}/order`)
      .set(organismeCode === ORG_A ? fund : fundMsa)
      .send();
    expect(res.status).toBe(200);
    return { requestId: r.requestId, cardId: res.body.cardId, beneficiaryId: r.beneficiary.id };
  }

  async function runBatches(): Promise<void> {
    // Written or already returned: both left 'allocated', as the count below sees them.
    const before = (
      await t.dataSource.query(`SELECT count(*)::int AS n FROM personalisation_batch WHERE status <> 'allocated'`)
    )[0].n;
    expect((await t.http().post('/v1/personalisation/batches/run').set(op).send()).status).toBe(202);
    await waitFor(async () => {
      const [{ total, written }] = await t.dataSource.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE status <> 'allocated')::int AS written FROM personalisation_batch`,
      );
      return total === written && written > before;
    }, 'batch files written');
  }

  async function upload(name: string, content: string): Promise<void> {
    await sftp.write(`/inbox/${name}.part`, content);
    await sftp.rename(`/inbox/${name}.part`, `/inbox/${name}`);
  }

  beforeAll(async () => {
    t = await startTestApp({ dataDir: tempDataDir(), sftpPort: 0, personalisationBatchSize: 10 });
    op = bearer(t.operatorKey);
    fund = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    fundMsa = bearer((await t.partner(PartnerKind.Fund, ORG_MSA)).key);
    vendor = await createVendor(t, { login: 'imprimerie_nord', regimeCodes: ['01'] });
    other = await createVendor(t, { login: 'imprimerie_sud', isDefault: true });
    // Card 0 replaces a damaged card that is still active.
    const first = await requestReadyToOrder(t, { photo: false, status: RequestStatus.Cancelled });
    replacedCardId = (await insertCard(t.dataSource, { beneficiaryId: first.beneficiary.id, state: CardState.Active }))
      .id;
    cards.push(await order(ORG_A, { beneficiary: first.beneficiary, reason: RequestReason.Damaged, replacedCardId }));
    for (let i = 0; i < 4; i++) cards.push(await order());
    const msa = await order(ORG_MSA);
    await runBatches();
    serial = await serialsOf(cards.map((c) => c.cardId));
    otherVendorSerial = (await serialsOf([msa.cardId])).get(msa.cardId)!;
    sftp = await sftpConnect(sftpPort(t), vendor.login, vendor.privateKey);
  });
  afterAll(async () => {
    sftp?.end();
    await t?.close();
  });

  it('step 5 over SFTP: the vendor lists its outbox, downloads the encrypted file, checks the signature, decrypts it and checks the trailer', async () => {
    const listing = await sftp.list('/outbox');
    expect(listing).toEqual(['PERSO_00000001.txt.age', 'PERSO_00000001.txt.age.sig']);
    const encrypted = await sftp.read('/outbox/PERSO_00000001.txt.age');
    const sig = JSON.parse((await sftp.read('/outbox/PERSO_00000001.txt.age.sig')).toString());
    expect(sig).toMatchObject({
      format: 'perso/2',
      file: 'PERSO_00000001.txt.age',
      encryption: 'age',
      recipient: vendor.ageRecipient,
      plaintextFile: 'PERSO_00000001.txt',
    });
    // The signature covers the encrypted bytes: checked before anything is decrypted.
    expect(createHash('sha256').update(encrypted).digest('hex')).toBe(sig.sha256);
    const keys = (
      await t
        .http()
        .get('/v1/signing-keys')
        .set(bearer((await t.partner(PartnerKind.PersonalisationVendor)).key))
    ).body.items;
    const key = keys.find((k: { keyId: string }) => k.keyId === sig.keyId);
    expect(verify(null, encrypted, key.publicKey, Buffer.from(sig.signature, 'base64'))).toBe(true);
    const bytes = await decryptForVendor(vendor, encrypted);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sig.plaintextSha256);
    const text = bytes.toString();
    expect(text.startsWith(`H|perso|2|1|${vendor.login}|`)).toBe(true);
    const trailerAt = text.lastIndexOf('\n', text.length - 2) + 1;
    const [tag, count, digest] = text.slice(trailerAt, -1).split('|');
    expect([tag, count]).toEqual(['T', '5']);
    expect(createHash('sha256').update(bytes.subarray(0, trailerAt)).digest('hex')).toBe(digest);
    expect(persoSerials(bytes)).toEqual([...serial.values()].sort());
    // Another vendor's key opens nothing.
    await expect(decryptForVendor(other, encrypted)).rejects.toThrow();
  });

  it('step 6: good lines applied, bad lines in REJ_<name> with line, code and message', async () => {
    const [c0, c1, c2, c3] = cards;
    const s = (c: OrderedCard) => serial.get(c.cardId)!;
    const [m0, m1, m4] = [makeCard(s(c0)), makeCard(s(c1)), makeCard(s(cards[4]))];
    const lines = [
      `D|${s(c0)}|CHIP0000A|${iso(60_000)}|${iso(30_000)}|SHIPPED||${keysOf(m0)}`, // 2
      `D|${s(c1)}|CHIP0000B|${iso(60_000)}|${iso(30_000)}|SHIPPED||${keysOf(m1)}`, // 3
      `D|${s(c2)}|CHIP0000C|${iso(60_000)}||FAILED|CHIP_DEFECT||`, // 4
      `D|${s(c3)}|CHIP0000D|${iso(60_000)}|${iso(30_000)}|UNDELIVERABLE|||`, // 5
      `D|${UNKNOWN_SERIAL}|CHIP1|${iso()}|${iso()}|SHIPPED||${keysOf(makeCard(UNKNOWN_SERIAL))}`, // 6 unknown
      `D|${otherVendorSerial}|CHIP2|${iso()}|${iso()}|SHIPPED||${keysOf(makeCard(otherVendorSerial))}`, // 7 another vendor's card
      `D|${s(cards[4])}|CHIP3|2025-02-30T10:00:00Z|${iso()}|SHIPPED||${keysOf(m4)}`, // 8 bad date
      `D|${s(cards[4])}|CHIP3|${iso()}|${iso()}|LOST||${keysOf(m4)}`, // 9 bad status
      `D|${s(c1)}|CHIP0000B|${iso()}|${iso()}|SHIPPED||${keysOf(makeCard(s(c1)))}`, // 10 same serial twice
      `D|${s(cards[4])}|CHIP3|${iso()}|${iso(-3_600_000)}|SHIPPED||${keysOf(m4)}`, // 11 shipped in the future
      'D|too|few', // 12
    ];
    firstFile = retFile(vendor.login, lines);
    await upload('RET_0001.txt', firstFile);
    const done = await waitFor(
      async () => (await returnFile('RET_0001.txt'))?.status === 'ingested' && returnFile('RET_0001.txt'),
      'ingestion',
    );
    expect(done).toMatchObject({ line_count: 11, applied_count: 4, rejected_count: 7, failure: null });

    const rej = (await sftp.read('/outbox/REJ_RET_0001.txt')).toString().trim().split('\n');
    expect(rej[0]).toMatch(/^H\|rej\|1\|RET_0001\.txt\|[0-9a-f]{64}\|INGESTED\|/);
    expect(rej.slice(1, -1).map((l) => l.split('|').slice(0, 3).join('|'))).toEqual([
      'E|6|SERIAL_UNKNOWN',
      'E|7|SERIAL_UNKNOWN',
      'E|8|DATE_INVALID',
      'E|9|STATUS_INVALID',
      'E|10|SERIAL_DUPLICATE',
      'E|11|DATE_IN_FUTURE',
      'E|12|LINE_FIELD_COUNT',
    ]);
    expect(rej[rej.length - 1]).toBe('T|7');

    // SHIPPED: shipped then active, with what the vendor reported (chip keys included); the replaced card opposed
    // (replaced); request completed.
    expect(await card(c0.cardId)).toMatchObject({ state: 'active', chip_id: 'CHIP0000A' });
    expect(await cardKey(c0.cardId)).toEqual({
      auth: Buffer.from(m0.keys.authPublic, 'base64'),
      enc: Buffer.from(m0.keys.encPublic, 'base64'),
    });
    expect(await cardKey(c1.cardId)).toEqual({
      auth: Buffer.from(m1.keys.authPublic, 'base64'),
      enc: Buffer.from(m1.keys.encPublic, 'base64'),
    });
    // No keys for the other statuses, nor for the bad lines.
    expect(await cardKey(c2.cardId)).toBeUndefined();
    expect(await cardKey(c3.cardId)).toBeUndefined();
    expect(await cardKey(cards[4].cardId)).toBeUndefined();
    expect((await card(c0.cardId)).shipped_at).toBeInstanceOf(Date);
    expect(await card(replacedCardId)).toMatchObject({ state: 'opposed', opposition_reason: 'replaced' });
    expect(await request(c0.requestId)).toMatchObject({ status: 'completed', card_id: c0.cardId });
    expect(await eventTypes(c0.requestId)).toEqual([
      'card.ordered',
      'card.in_personalisation',
      'card.opposed',
      'card.shipped',
    ]);
    expect(await card(c1.cardId)).toMatchObject({ state: 'active' });
    const audit = await t.dataSource.query(
      `SELECT action, actor_kind, actor_partner_id FROM audit_entry WHERE entity_id = $1 ORDER BY id`,
      [c1.cardId],
    );
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'card.issue',
      'card.start_personalisation',
      'card.ship',
      'card.activate',
    ]);
    expect(audit[3]).toMatchObject({ actor_kind: 'personalisation_vendor', actor_partner_id: vendor.partnerId });
    // Ship and activate are one row update but two audited steps, each with its own from/to.
    const shipSteps = await t.dataSource.query(
      `SELECT details->>'from' AS "from", details->>'to' AS "to" FROM audit_entry WHERE entity_id = $1 AND action IN ('card.ship', 'card.activate') ORDER BY id`,
      [c1.cardId],
    );
    expect(shipSteps).toEqual([
      { from: 'in_personalisation', to: 'shipped' },
      { from: 'shipped', to: 'active' },
    ]);

    // FAILED: spoiled (destroyed), a new card ordered for the same request, which is ordered again.
    expect(await card(c2.cardId)).toMatchObject({ state: 'destroyed', chip_id: 'CHIP0000C', shipped_at: null });
    expect((await card(c2.cardId)).personalised_at).toBeInstanceOf(Date);
    const r2 = await request(c2.requestId);
    expect(r2.status).toBe('ordered');
    expect(r2.card_id).not.toBe(c2.cardId);
    expect(await card(r2.card_id)).toMatchObject({ state: 'ordered', serial: null });
    expect(await eventTypes(c2.requestId)).toEqual(['card.ordered', 'card.in_personalisation', 'card.spoiled']);

    // UNDELIVERABLE: returned; request reopened for the fund.
    expect(await card(c3.cardId)).toMatchObject({ state: 'returned_undeliverable', chip_id: 'CHIP0000D' });
    expect((await card(c3.cardId)).shipped_at).toBeInstanceOf(Date);
    expect(
      (await t.dataSource.query(`SELECT action FROM audit_entry WHERE entity_id = $1 ORDER BY id`, [c3.cardId])).map(
        (a: { action: string }) => a.action,
      ),
    ).toEqual(['card.issue', 'card.start_personalisation', 'card.ship', 'card.return_undeliverable']);
    expect(await request(c3.requestId)).toMatchObject({ status: 'photo_available' });
    expect(await eventTypes(c3.requestId)).toEqual([
      'card.ordered',
      'card.in_personalisation',
      'card.undeliverable',
      'request.reopened',
    ]);
    const steps = await t.dataSource.query(`SELECT status FROM card_request_step WHERE request_id = $1 ORDER BY id`, [
      c3.requestId,
    ]);
    expect(steps.map((x: { status: string }) => x.status)).toEqual([
      'photo_available',
      'ordered',
      'in_personalisation',
      'photo_available',
    ]);

    // The bad lines changed nothing; the batch waits for its last card.
    expect(await card(cards[4].cardId)).toMatchObject({ state: 'in_personalisation', chip_id: null });
    expect(
      (await t.dataSource.query(`SELECT status FROM personalisation_batch WHERE batch_number = 1`))[0].status,
    ).toBe('written');
  });

  it('the same file twice changes nothing', async () => {
    const snapshot = () =>
      t.dataSource
        .query(`SELECT (SELECT count(*) FROM fund_event)::int AS events, (SELECT count(*) FROM audit_entry)::int AS audit,
      (SELECT count(*) FROM card)::int AS cards, (SELECT count(*) FROM vendor_return_file)::int AS files,
      (SELECT count(*) FROM pgboss.job WHERE name = 'emission.ingest-return-file')::int AS jobs,
      (SELECT string_agg(state::text || coalesce(chip_id, ''), ',' ORDER BY id) FROM card) AS states`);
    const before = await snapshot();
    // The vendor's client sends it again, under another name: the bytes are what count.
    await upload('RET_0001_retry.txt', firstFile);
    await upload('RET_0001.txt', firstFile);
    expect(await snapshot()).toEqual(before);
  });

  it('an illegal transition is a bad line; the last card back marks the batch returned', async () => {
    const s = (c: OrderedCard) => serial.get(c.cardId)!;
    await upload(
      'RET_0002.txt',
      retFile(vendor.login, [
        `D|${s(cards[1])}|CHIP0000B|${iso(60_000)}|${iso(30_000)}|SHIPPED||${keysOf(makeCard(s(cards[1])))}`, // already active
        `D|${s(cards[3])}|CHIP0000D|${iso(60_000)}|${iso(30_000)}|UNDELIVERABLE|||`, // already returned
        `D|${s(cards[4])}|CHIP0000E|${iso(60_000)}|${iso(30_000)}|SHIPPED||${keysOf(makeCard(s(cards[4])))}`,
      ]),
    );
    await waitFor(async () => (await returnFile('RET_0002.txt'))?.status === 'ingested', 'ingestion');
    expect(await returnFile('RET_0002.txt')).toMatchObject({ applied_count: 1, rejected_count: 2 });
    const rej = (await sftp.read('/outbox/REJ_RET_0002.txt')).toString();
    expect(rej).toContain('E|2|TRANSITION_NOT_ALLOWED|');
    expect(rej).toContain('E|3|TRANSITION_NOT_ALLOWED|');
    expect(await card(cards[4].cardId)).toMatchObject({ state: 'active', chip_id: 'CHIP0000E' });
    expect(
      (await t.dataSource.query(`SELECT status FROM personalisation_batch WHERE batch_number = 1`))[0].status,
    ).toBe('returned');
  });

  it('a card the post brings back after it was reported shipped is returned and its request reopened', async () => {
    const s = (c: OrderedCard) => serial.get(c.cardId)!;
    expect(await card(cards[4].cardId)).toMatchObject({ state: 'active' });
    expect(await request(cards[4].requestId)).toMatchObject({ status: 'completed' });
    await upload(
      'RET_0003.txt',
      retFile(vendor.login, [`D|${s(cards[4])}|CHIP0000E|${iso(60_000)}|${iso(30_000)}|UNDELIVERABLE|||`]),
    );
    await waitFor(async () => (await returnFile('RET_0003.txt'))?.status === 'ingested', 'ingestion');
    expect(await returnFile('RET_0003.txt')).toMatchObject({ applied_count: 1, rejected_count: 0 });
    expect(await card(cards[4].cardId)).toMatchObject({ state: 'returned_undeliverable' });
    expect(await request(cards[4].requestId)).toMatchObject({ status: 'photo_available' });
    expect((await eventTypes(cards[4].requestId)).slice(-2)).toEqual(['card.undeliverable', 'request.reopened']);
  });

  it('a whole-file problem refuses the file: nothing applied, the reject file says why', async () => {
    // The re-made card of the FAILED line goes out in the next batch with a new serial.
    const remade = (await request(cards[2].requestId)).card_id as string;
    await runBatches();
    const newSerial = (await serialsOf([remade])).get(remade)!;
    expect(newSerial).not.toBe(serial.get(cards[2].cardId));
    const good = `D|${newSerial}|CHIPNEW|${iso(60_000)}|${iso(30_000)}|SHIPPED||${keysOf(makeCard(newSerial))}`;
    const cases: Array<[string, string, string]> = [
      ['RET_BAD_COUNT.txt', retFile(vendor.login, [good], 2), 'FILE_COUNT_MISMATCH'],
      ['RET_NO_TRAILER.txt', `H|ret|2|${vendor.login}|${iso()}\n${good}\n`, 'FILE_TRAILER_MISSING'],
      ['RET_BAD_HEADER.txt', `${good}\nT|1\n`, 'FILE_HEADER_INVALID'],
      ['RET_OTHER_VENDOR.txt', retFile(other.login, [good]), 'FILE_VENDOR_MISMATCH'],
      ['RET_VERSION.txt', retFile(vendor.login, [good]).replace('H|ret|2|', 'H|ret|3|'), 'FILE_VERSION_UNSUPPORTED'],
    ];
    for (const [name, content, code] of cases) {
      await upload(name, content);
      const row = await waitFor(
        async () => (await returnFile(name))?.status === 'refused' && returnFile(name),
        `refusal of ${name}`,
      );
      expect(row.failure).toMatch(new RegExp(`^${code}: `));
      const rej = (await sftp.read(`/outbox/REJ_${name}`)).toString().split('\n');
      expect(rej[0]).toMatch(new RegExp(`^H\\|rej\\|1\\|${name.replace('.', '\\.')}\\|[0-9a-f]{64}\\|REFUSED\\|`));
      expect(rej[1]).toMatch(new RegExp(`^E\\|\\d+\\|${code}\\|`));
    }
    expect(await card(remade)).toMatchObject({ state: 'in_personalisation', chip_id: null });
  });

  it('after an undeliverable card the fund re-orders: the returned card is opposed (undeliverable), a new one is made', async () => {
    const c3 = cards[3];
    const res = await t.http().post(`/v1/card-requests/${c3.requestId}/order`).set(fund).send();
    expect(res.status).toBe(200);
    expect(res.body.opposedCardIds).toEqual([c3.cardId]);
    expect(await card(c3.cardId)).toMatchObject({ state: 'opposed', opposition_reason: 'undeliverable' });
    expect(await card(res.body.cardId)).toMatchObject({ state: 'ordered' });
  });

  it('a SHIPPED line whose holder has another card in use (shipped) is a bad line, not a failed file: one usable card per holder', async () => {
    const c = await order();
    expect((await t.http().post('/v1/personalisation/batches/run').set(op).send()).status).toBe(202);
    await waitFor(
      async () =>
        (
          await t.dataSource.query(
            `SELECT 1 FROM card c JOIN personalisation_batch b ON b.id = c.batch_id WHERE c.id = $1 AND b.status = 'written'`,
            [c.cardId],
          )
        ).length === 1,
      'batch file written',
    );
    const s = (await serialsOf([c.cardId])).get(c.cardId)!;
    // Meanwhile another card of the holder was mailed again (reshipped after an address correction).
    await insertCard(t.dataSource, { beneficiaryId: c.beneficiaryId, state: CardState.Shipped });
    await upload(
      'RET_0009.txt',
      retFile(vendor.login, [`D|${s}|CHIP0000Z|${iso(60_000)}|${iso(30_000)}|SHIPPED||${keysOf(makeCard(s))}`]),
    );
    await waitFor(async () => (await returnFile('RET_0009.txt'))?.status === 'ingested', 'ingestion');
    expect(await returnFile('RET_0009.txt')).toMatchObject({ applied_count: 0, rejected_count: 1 });
    expect((await sftp.read('/outbox/REJ_RET_0009.txt')).toString().split('\n')[1]).toMatch(
      /^E\|2\|HOLDER_HAS_ACTIVE_CARD\|/,
    );
    expect(await card(c.cardId)).toMatchObject({ state: 'in_personalisation' });
  });
  it('ret/2 keys: a missing, malformed, off-curve or duplicate key is a bad line with its number; the good lines go through', async () => {
    const made = [await order(), await order(), await order()];
    await runBatches();
    const serials = await serialsOf(made.map((m) => m.cardId));
    const [a, b, c] = made.map((m) => makeCard(serials.get(m.cardId)!));
    const fresh = () => generateCardKeys().encPublic;
    const valid = Buffer.from(a.keys.authPublic, 'base64');
    const offCurve = Buffer.from(valid);
    offCurve[64] ^= 1;
    const compressed = Buffer.concat([Buffer.from([2 + (valid[64] & 1)]), valid.subarray(1, 33)]);
    const heldByAnother = (
      (await t.dataSource.query(`SELECT auth_public_key AS auth FROM card_key LIMIT 1`))[0].auth as Buffer
    ).toString('base64');
    const at = `${iso(60_000)}|${iso(30_000)}`;
    const lines = [
      `D|${a.serial}|${a.chipId}|${at}|SHIPPED||${keysOf(a)}`, // 2 good
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED||${b.keys.authPublic}|`, // 3 enc key missing
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED|||`, // 4 both missing
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED||not-a-key!|${fresh()}`, // 5 not base64
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED||${compressed.toString('base64')}|${fresh()}`, // 6 a compressed point
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED||${offCurve.toString('base64')}|${fresh()}`, // 7 off the curve
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED||${b.keys.authPublic}|${b.keys.authPublic}`, // 8 auth = enc
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED||${a.keys.authPublic}|${fresh()}`, // 9 line 2's key
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED||${heldByAnother}|${fresh()}`, // 10 another card's key
      `D|${c.serial}|${c.chipId}|${iso(60_000)}||FAILED|CHIP_DEFECT|${keysOf(c)}`, // 11 keys on a FAILED line
      `D|${c.serial}|${c.chipId}|${at}|SHIPPED||${keysOf(c)}`, // 12 good
      `D|${b.serial}|${b.chipId}|${at}|SHIPPED|`, // 13 a ret/1 line in a ret/2 file
    ];
    await upload('RET_KEYS.txt', retFile(vendor.login, lines));
    await waitFor(async () => (await returnFile('RET_KEYS.txt'))?.status === 'ingested', 'ingestion');
    expect(await returnFile('RET_KEYS.txt')).toMatchObject({ line_count: 12, applied_count: 2, rejected_count: 10 });
    const rej = (await sftp.read('/outbox/REJ_RET_KEYS.txt')).toString().trim().split('\n');
    expect(rej.slice(1, -1).map((l) => l.split('|').slice(1, 3).join('|'))).toEqual([
      '3|CARD_KEY_MISSING',
      '4|CARD_KEY_MISSING',
      '5|CARD_KEY_MALFORMED',
      '6|CARD_KEY_MALFORMED',
      '7|CARD_KEY_NOT_ON_CURVE',
      '8|CARD_KEY_DUPLICATE',
      '9|CARD_KEY_DUPLICATE',
      '10|CARD_KEY_DUPLICATE',
      '11|CARD_KEYS_NOT_APPLICABLE',
      '13|LINE_FIELD_COUNT',
    ]);
    // No key in a message: the reject file names lines, never what they held.
    expect(rej.join('\n')).not.toContain(heldByAnother.slice(0, 20));
    expect(await cardKey(made[0].cardId)).toEqual({ auth: valid, enc: Buffer.from(a.keys.encPublic, 'base64') });
    expect(await cardKey(made[2].cardId)).toEqual({
      auth: Buffer.from(c.keys.authPublic, 'base64'),
      enc: Buffer.from(c.keys.encPublic, 'base64'),
    });
    expect(await card(made[1].cardId)).toMatchObject({ state: 'in_personalisation', chip_id: null });
    expect(await cardKey(made[1].cardId)).toBeUndefined();
  });

  it('ret/1 is taken only for cards of perso/1 files: a line for a card of a perso/2 file is refused with CARD_KEYS_REQUIRED', async () => {
    const x = await order();
    await runBatches();
    const y = await order();
    await runBatches();
    const ss = await serialsOf([x.cardId, y.cardId]);
    // y's batch stands for one written before perso/2, in clear.
    await t.dataSource.query(
      `UPDATE personalisation_batch SET perso_version = 1 WHERE id = (SELECT batch_id FROM card WHERE id = $1)`,
      [y.cardId],
    );
    await upload(
      'RET_V1.txt',
      retFile(
        vendor.login,
        [
          `D|${ss.get(x.cardId)}|CHIPV1X|${iso(60_000)}|${iso(30_000)}|SHIPPED|`,
          `D|${ss.get(y.cardId)}|CHIPV1Y|${iso(60_000)}|${iso(30_000)}|SHIPPED|`,
        ],
        2,
        1,
      ),
    );
    await waitFor(async () => (await returnFile('RET_V1.txt'))?.status === 'ingested', 'ingestion');
    expect(await returnFile('RET_V1.txt')).toMatchObject({ applied_count: 1, rejected_count: 1 });
    const rej = (await sftp.read('/outbox/REJ_RET_V1.txt')).toString().trim().split('\n');
    expect(rej.slice(1, -1).map((l) => l.split('|').slice(1, 3).join('|'))).toEqual(['2|CARD_KEYS_REQUIRED']);
    expect(await card(x.cardId)).toMatchObject({ state: 'in_personalisation', chip_id: null });
    expect(await card(y.cardId)).toMatchObject({ state: 'active', chip_id: 'CHIPV1Y' });
    expect(await cardKey(y.cardId)).toBeUndefined();
  });
});

describe('return file reading (pure)', () => {
  const head = 'H|ret|1|v_one|2025-03-06T18:00:00Z';
  const line = 'D|100000000042|CHIP1|2025-03-05T09:12:44Z|2025-03-05T16:40:00+01:00|SHIPPED|';
  const now = new Date('2025-03-07T00:00:00Z');

  it('takes CRLF, a BOM and a missing final newline; a header and trailer alone is a valid empty file', () => {
    const r = parseReturnFile(Buffer.from(`\uFEFF${head}\r\n${line}\r\nT|1`), 'v_one', now);
    expect(r.ok && r.lines.map((l) => [l.line, l.serial, l.status, l.shippedAt?.toISOString()])).toEqual([
      [2, '100000000042', 'SHIPPED', '2025-03-05T15:40:00.000Z'],
    ]);
    const empty = parseReturnFile(Buffer.from(`${head}\nT|0\n`), 'v_one', now);
    expect(empty).toMatchObject({ ok: true, dataLines: 0, lines: [], problems: [] });
  });

  it('refuses a file that is not UTF-8, empty, or whose trailer is a data line', () => {
    expect(parseReturnFile(Buffer.from([0xff, 0xfe, 0x00]), 'v_one', now)).toMatchObject({
      ok: false,
      problem: { code: 'FILE_ENCODING_INVALID' },
    });
    expect(parseReturnFile(Buffer.from(''), 'v_one', now)).toMatchObject({
      ok: false,
      problem: { code: 'FILE_EMPTY' },
    });
    expect(parseReturnFile(Buffer.from(`${head}\n${line}\n`), 'v_one', now)).toMatchObject({
      ok: false,
      problem: { code: 'FILE_TRAILER_MISSING', line: 2 },
    });
    expect(parseReturnFile(Buffer.from(`${head}\nT|x\n`), 'v_one', now)).toMatchObject({
      ok: false,
      problem: { code: 'FILE_TRAILER_INVALID' },
    });
  });

  it('checks each line on its own, with its number', () => {
    const lines = [
      'D|100000000050|CHIP1|2025-03-05T09:12:44Z||FAILED|',
      'D|100000000051|CHIP1|2025-03-05T09:12:44Z|2025-03-05T08:00:00Z|SHIPPED|',
      'D|100000000052|CHIP1|2025-03-05T09:12:44Z|2025-03-05T10:00:00Z|SHIPPED|OOPS',
      'D|100000000053||2025-03-05T09:12:44Z||FAILED|PRINT_DEFECT',
      'D|100000000054|CHIP-1|2025-03-05T09:12:44Z|2025-03-05T10:00:00Z|SHIPPED|',
      'D|000000000000|CHIP1|2025-03-05T09:12:44Z|2025-03-05T10:00:00Z|SHIPPED|',
      'X|100000000055|CHIP1|2025-03-05T09:12:44Z|2025-03-05T10:00:00Z|SHIPPED|',
      'D|100000000056|CHIP1|2025-03-05 09:12:44|2025-03-05T10:00:00Z|SHIPPED|',
    ];
    const r = parseReturnFile(Buffer.from([head, ...lines, `T|${lines.length}`].join('\n')), 'v_one', now);
    if (!r.ok) throw new Error('refused');
    expect(r.problems.map((p) => [p.line, p.code])).toEqual([
      [2, 'FAILURE_CODE_INVALID'],
      [3, 'DATE_ORDER_INVALID'],
      [4, 'FAILURE_CODE_NOT_APPLICABLE'],
      [6, 'CHIP_ID_INVALID'],
      [7, 'SERIAL_INVALID'],
      [8, 'LINE_TYPE_INVALID'],
      [9, 'DATE_INVALID'],
    ]);
    expect(r.lines.map((l) => [l.line, l.chipId, l.failureCode])).toEqual([[5, null, 'PRINT_DEFECT']]);
  });

  it('ret/2: 9 fields, the keys of a SHIPPED line as canonical base64 points, none on the other statuses', () => {
    const k = generateCardKeys();
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const nonCanonical = k.authPublic.slice(0, 86) + B64[B64.indexOf(k.authPublic[86]) ^ 1] + '=';
    expect(Buffer.from(nonCanonical, 'base64').equals(Buffer.from(k.authPublic, 'base64'))).toBe(true);
    const lines = [
      `${line}|${k.authPublic}|${k.encPublic}`,
      'D|100000000050|CHIP1|2025-03-05T09:12:44Z||FAILED|CHIP_DEFECT||',
      `D|100000000051|CHIP1|2025-03-05T09:12:44Z|2025-03-05T10:00:00Z|UNDELIVERABLE||${k.authPublic}|`,
      // The same key with the low bits of its last character set: decodes to the same bytes, but is not canonical.
      `D|100000000052|CHIP1|2025-03-05T09:12:44Z|2025-03-05T10:00:00Z|SHIPPED||${nonCanonical}|${generateCardKeys().encPublic}`,
      line,
    ];
    const r = parseReturnFile(
      Buffer.from([head.replace('|ret|1|', '|ret|2|'), ...lines, `T|${lines.length}`].join('\n')),
      'v_one',
      now,
    );
    if (!r.ok) throw new Error('refused');
    expect(r.version).toBe(2);
    expect(r.problems.map((p) => [p.line, p.code])).toEqual([
      [4, 'CARD_KEYS_NOT_APPLICABLE'],
      [5, 'CARD_KEY_MALFORMED'],
      [6, 'LINE_FIELD_COUNT'],
    ]);
    expect(
      r.lines.map((l) => [
        l.line,
        l.authPublicKey?.toString('base64') ?? null,
        l.encPublicKey?.toString('base64') ?? null,
      ]),
    ).toEqual([
      [2, k.authPublic, k.encPublic],
      [3, null, null],
    ]);
  });
});
