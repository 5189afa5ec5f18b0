import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { SigningService } from '../src/platform/crypto/signing.service.js';
import { cardAuditEntries, cardIn, UNKNOWN_SERIAL, type TestCard } from './support/card-fixtures.js';
import {
  cardVersions,
  check,
  confirm,
  PARIS,
  putRecord,
  RECORDS,
  verifyReceipt,
  written,
  type Receipt,
} from './support/kiosk-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

describe('kiosk protocol kiosk/1', () => {
  let t: TestApp;
  let fund: { id: string; key: string };
  let kiosk: { id: string; key: string };
  let otherKiosk: { id: string; key: string };
  let pharmacy: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    fund = await t.partner(PartnerKind.Fund, PARIS);
    kiosk = await t.partner(PartnerKind.Kiosk);
    otherKiosk = await t.partner(PartnerKind.Kiosk);
    pharmacy = await t.partner(PartnerKind.PharmacySoftware);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** An active card (issued at version 2: identity 1, organisme 2) with ald_periods (v3) and coverage (v4) set by its fund. */
  async function cardWithChanges(): Promise<TestCard> {
    const c = await cardIn(t.dataSource, CardState.Active);
    expect((await putRecord(t, fund.key, c.serial12, 'ald_periods', RECORDS.ald_periods)).status).toBe(200);
    expect((await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage)).status).toBe(200);
    return c;
  }

  it('an up-to-date card: nothing_to_do with a signed receipt, and no exchange written', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    const res = await check(t, kiosk.key, c.serial12, 2);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ protocol: 'kiosk/1', action: 'nothing_to_do', serial: c.serial12, version: 2 });
    expect(res.body.receipt.content).toMatchObject({
      result: 'nothing_to_do',
      serial: c.serial12,
      version: 2,
      kioskPartnerId: kiosk.id,
    });
    expect(await verifyReceipt(t, kiosk.key, res.body.receipt)).toBe(true);
    expect(await t.dataSource.query(`SELECT id FROM kiosk_exchange WHERE card_id = $1`, [c.id])).toEqual([]);
  });

  it('an update: the changed records whole and in write order, then a confirm moves the version and answers a receipt', async () => {
    const c = await cardWithChanges();
    const res = await check(t, kiosk.key, c.serial12, 2);
    expect(res.body).toMatchObject({ action: 'update', serial: c.serial12, fromVersion: 2, targetVersion: 4 });
    expect(res.body.records).toEqual([
      { recordType: 'coverage', version: 4, content: RECORDS.coverage },
      { recordType: 'ald_periods', version: 3, content: RECORDS.ald_periods },
    ]);
    const ok = await confirm(t, kiosk.key, {
      exchangeId: res.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(res.body),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ result: 'updated', version: 4, missingRecords: [] });
    expect(ok.body.receipt.content).toMatchObject({
      result: 'updated',
      version: 4,
      exchangeId: res.body.exchangeId,
      serial: c.serial12,
      kioskPartnerId: kiosk.id,
    });
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 4, target_version: 4 });
    expect((await check(t, kiosk.key, c.serial12, 4)).body.action).toBe('nothing_to_do');
    expect(
      (await cardAuditEntries(t.dataSource, c.serial12)).filter((e) => e.action === 'card.data_written'),
    ).toHaveLength(1);
  });

  it('every exchange that sends records leaves an audit entry (who, which card, which records), never their content; nothing_to_do and blocked leave none', async () => {
    const c = await cardWithChanges();
    const sent = async () =>
      (await cardAuditEntries(t.dataSource, c.serial12)).filter((e) => e.action === 'card.data_sent');
    const upToDate = await cardIn(t.dataSource, CardState.Active);
    expect((await check(t, kiosk.key, upToDate.serial12, 2)).body.action).toBe('nothing_to_do');
    expect(await cardAuditEntries(t.dataSource, upToDate.serial12)).toEqual([]);

    const first = await check(t, kiosk.key, c.serial12, 2);
    const again = await check(t, pharmacy.key, c.serial12, 2, true);
    const entries = await sent();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      actor_kind: 'kiosk',
      organisme_code: PARIS,
      details: {
        serial: c.serial12,
        exchangeId: first.body.exchangeId,
        fromVersion: 2,
        targetVersion: 4,
        records: expect.arrayContaining(['coverage@4', 'ald_periods@3']),
      },
    });
    expect(entries[1]).toMatchObject({
      actor_kind: 'pharmacy_software',
      details: { exchangeId: again.body.exchangeId, fromVersion: 0 },
    });
    expect(entries[1].details.records).toHaveLength(4);
    const [row] = await t.dataSource.query(
      `SELECT actor_partner_id, request_id FROM audit_entry WHERE action = 'card.data_sent' AND details->>'exchangeId' = $1`,
      [first.body.exchangeId],
    );
    expect(row).toEqual({ actor_partner_id: kiosk.id, request_id: first.headers['x-request-id'] });
    const [holder] = await t.dataSource.query(
      `SELECT nir, first_name, birth_name FROM beneficiary b JOIN card c ON c.beneficiary_id = b.id WHERE c.id = $1`,
      [c.id],
    );
    for (const personal of Object.values(holder) as string[]) expect(JSON.stringify(entries)).not.toContain(personal);

    // A blocked card discloses nothing: no entry.
    await t.dataSource.query(
      `UPDATE card SET state = 'opposed', opposition_reason = 'stolen', previous_state = 'active' WHERE id = $1`,
      [c.id],
    );
    expect((await check(t, kiosk.key, c.serial12, 2)).body.action).toBe('blocked');
    expect(await sent()).toHaveLength(2);
  });

  it('a card pulled mid-write: the version stays, the next check resends the pending records, a full confirm moves it', async () => {
    const c = await cardWithChanges();
    const first = await check(t, kiosk.key, c.serial12, 2);
    const aborted = await confirm(t, kiosk.key, {
      exchangeId: first.body.exchangeId,
      serial: c.serial12,
      aborted: true,
      commandMayHaveReachedCard: true,
    });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({ result: 'failed', version: 2 });
    expect(aborted.body.receipt.content).toMatchObject({ result: 'failed', version: 2 });
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 4 });

    // The chip now reports the interrupted write: every record is sent again.
    const again = await check(t, kiosk.key, c.serial12, 2, true);
    expect(again.body.action).toBe('update');
    expect(again.body.exchangeId).not.toBe(first.body.exchangeId);
    expect(written(again.body)).toEqual(['identity@1', 'organisme@2', ...written(first.body)]);
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 4 });

    // Only part of the records reported written: still not confirmed.
    const partial = await confirm(t, kiosk.key, {
      exchangeId: again.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(again.body).slice(0, 1),
    });
    expect(partial.body).toMatchObject({ result: 'failed', version: 2, missingRecords: written(again.body).slice(1) });
    const third = await check(t, kiosk.key, c.serial12, 2, true);
    const done = await confirm(t, kiosk.key, {
      exchangeId: third.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(third.body),
    });
    expect(done.body).toMatchObject({ result: 'updated', version: 4 });
  });

  it('a chip that reports a write in progress gets every record rewritten, even when it read the confirmed version', async () => {
    const c = await cardWithChanges();
    const a = await check(t, kiosk.key, c.serial12, 2);
    await confirm(t, kiosk.key, { exchangeId: a.body.exchangeId, serial: c.serial12, writtenRecords: written(a.body) });
    // Up to date, but the chip says a write was cut off: the whole chip is rewritten, and the confirm clears it.
    const whole = await check(t, pharmacy.key, c.serial12, 4, true);
    expect(whole.body).toMatchObject({ action: 'update', fromVersion: 0, targetVersion: 4 });
    expect(written(whole.body)).toEqual(['identity@1', 'organisme@2', 'coverage@4', 'ald_periods@3']);
    const done = await confirm(t, pharmacy.key, {
      exchangeId: whole.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(whole.body),
    });
    expect(done.body).toMatchObject({ result: 'updated', version: 4 });
    expect((await check(t, pharmacy.key, c.serial12, 4)).body.action).toBe('nothing_to_do');
    await putRecord(t, fund.key, c.serial12, 'mentions', RECORDS.mentions);
    const b = await check(t, pharmacy.key, c.serial12, 4, false);
    expect(b.body).toMatchObject({ action: 'update', fromVersion: 4, targetVersion: 5 });
    expect(written(b.body)).toEqual(['mentions@5']);
    // The chip reads older than the confirmed version: resend from what it holds.
    const older = await check(t, pharmacy.key, c.serial12, 2);
    expect(written(older.body)).toEqual(['coverage@4', 'ald_periods@3', 'mentions@5']);
  });

  it('a replayed confirm is 409 KIOSK_EXCHANGE_ALREADY_CONFIRMED and changes nothing', async () => {
    const c = await cardWithChanges();
    const res = await check(t, kiosk.key, c.serial12, 2);
    const body = { exchangeId: res.body.exchangeId, serial: c.serial12, writtenRecords: written(res.body) };
    expect((await confirm(t, kiosk.key, body)).status).toBe(200);
    await putRecord(t, fund.key, c.serial12, 'mentions', RECORDS.mentions);
    const audit = (await cardAuditEntries(t.dataSource, c.serial12)).length;
    const replay = await confirm(t, kiosk.key, body);
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('KIOSK_EXCHANGE_ALREADY_CONFIRMED');
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 4, target_version: 5 });
    expect((await cardAuditEntries(t.dataSource, c.serial12)).length).toBe(audit);
  });

  it('an out-of-order confirm (an older exchange after a newer one was issued) is 409 KIOSK_EXCHANGE_SUPERSEDED', async () => {
    const c = await cardWithChanges();
    const older = await check(t, kiosk.key, c.serial12, 2);
    const newer = await check(t, kiosk.key, c.serial12, 2, true);
    const late = await confirm(t, kiosk.key, {
      exchangeId: older.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(older.body),
    });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('KIOSK_EXCHANGE_SUPERSEDED');
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 4 });
    const ok = await confirm(t, kiosk.key, {
      exchangeId: newer.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(newer.body),
    });
    expect(ok.body.result).toBe('updated');
  });

  it('two confirms of one exchange at once: one updates, the other is 409; a confirm after an abort is 409 KIOSK_EXCHANGE_ALREADY_FINISHED', async () => {
    const c = await cardWithChanges();
    const res = await check(t, kiosk.key, c.serial12, 2);
    const body = { exchangeId: res.body.exchangeId, serial: c.serial12, writtenRecords: written(res.body) };
    const both = await Promise.all([confirm(t, kiosk.key, body), confirm(t, kiosk.key, body)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(
      (await cardAuditEntries(t.dataSource, c.serial12)).filter((e) => e.action === 'card.data_written'),
    ).toHaveLength(1);

    const d = await cardWithChanges();
    const ex = await check(t, kiosk.key, d.serial12, 2);
    await confirm(t, kiosk.key, {
      exchangeId: ex.body.exchangeId,
      serial: d.serial12,
      aborted: true,
      commandMayHaveReachedCard: false,
    });
    const late = await confirm(t, kiosk.key, {
      exchangeId: ex.body.exchangeId,
      serial: d.serial12,
      writtenRecords: written(ex.body),
    });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('KIOSK_EXCHANGE_ALREADY_FINISHED');
    expect(await cardVersions(t.dataSource, d.serial12)).toEqual({ data_version: 2, target_version: 4 });
  });

  it("a confirm naming another card is 409 KIOSK_EXCHANGE_CARD_MISMATCH; another kiosk's exchange is 404", async () => {
    const c = await cardWithChanges();
    const other = await cardIn(t.dataSource, CardState.Active);
    const res = await check(t, kiosk.key, c.serial12, 2);
    const mismatch = await confirm(t, kiosk.key, {
      exchangeId: res.body.exchangeId,
      serial: other.serial12,
      writtenRecords: written(res.body),
    });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.code).toBe('KIOSK_EXCHANGE_CARD_MISMATCH');
    const stolen = await confirm(t, otherKiosk.key, {
      exchangeId: res.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(res.body),
    });
    expect(stolen.status).toBe(404);
    expect(stolen.body.code).toBe('KIOSK_EXCHANGE_NOT_FOUND');
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 2, target_version: 4 });
    expect(
      (
        await confirm(t, kiosk.key, {
          exchangeId: res.body.exchangeId,
          serial: c.serial12,
          writtenRecords: written(res.body),
        })
      ).body.result,
    ).toBe('updated');
  });

  it('an opposed card is blocked, even with pending records; an unknown serial is CARD_NOT_FOUND', async () => {
    const c = await cardWithChanges();
    await t.dataSource.query(
      `UPDATE card SET state = 'opposed', opposition_reason = 'stolen', previous_state = 'active' WHERE id = $1`,
      [c.id],
    );
    const res = await check(t, kiosk.key, c.serial12, 2);
    expect(res.body).toMatchObject({ action: 'blocked', state: 'opposed' });
    expect(res.body.receipt.content).toMatchObject({ result: 'blocked', serial: c.serial12 });
    expect(await verifyReceipt(t, kiosk.key, res.body.receipt)).toBe(true);
    const unknown = await check(t, kiosk.key, UNKNOWN_SERIAL, 0);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('CARD_NOT_FOUND');
  });

  it('a receipt verifies with the published key; a flipped byte fails', async () => {
    const c = await cardWithChanges();
    const res = await check(t, kiosk.key, c.serial12, 2);
    const ok = await confirm(t, kiosk.key, {
      exchangeId: res.body.exchangeId,
      serial: c.serial12,
      writtenRecords: written(res.body),
    });
    const receipt = ok.body.receipt as Receipt;
    expect(JSON.parse(Buffer.from(receipt.payload, 'base64').toString('utf8'))).toEqual(receipt.content);
    expect(await verifyReceipt(t, kiosk.key, receipt)).toBe(true);
    const bytes = Buffer.from(receipt.payload, 'base64');
    bytes[10] ^= 0x01;
    expect(await verifyReceipt(t, kiosk.key, { ...receipt, payload: bytes.toString('base64') })).toBe(false);
    const sig = Buffer.from(receipt.signature, 'base64');
    sig[0] ^= 0x01;
    expect(await verifyReceipt(t, kiosk.key, { ...receipt, signature: sig.toString('base64') })).toBe(false);
  });

  it('receipts answered at the same moment share one signature over a Merkle tree, each with its own proof', async () => {
    const cards = await Promise.all(Array.from({ length: 6 }, () => cardIn(t.dataSource, CardState.Active)));
    const answers = await Promise.all(cards.map((c) => check(t, kiosk.key, c.serial12, 2)));
    const receipts = answers.map((a) => a.body.receipt as Receipt);
    expect(receipts.every((r) => r.content.format === 'vitale-update-receipt/2')).toBe(true);
    for (const r of receipts) expect(await verifyReceipt(t, kiosk.key, r)).toBe(true);
    // Receipts signed in the same turn of the event loop form one tree (HTTP timing decides that turn; here it is forced).
    const signing = t.app.get(SigningService);
    const payloads = ['a', 'b', 'c', 'd', 'e'].map((x) => Buffer.from(JSON.stringify({ x })));
    const sigs = await Promise.all(payloads.map((p) => signing.signInTree(p)));
    expect(new Set(sigs.map((s) => s.signature)).size).toBe(1);
    expect(sigs.map((s) => s.tree.index)).toEqual([0, 1, 2, 3, 4]);
    expect(sigs.every((s) => s.tree.size === 5)).toBe(true);
    const batch = sigs.map((s, i) => ({ ...s, payload: payloads[i].toString('base64') })) as unknown as Receipt[];
    for (const r of batch) expect(await verifyReceipt(t, kiosk.key, r)).toBe(true);
    // A proof taken from another member of the batch does not fit this receipt.
    expect(await verifyReceipt(t, kiosk.key, { ...batch[0], tree: batch[1].tree })).toBe(false);
  });

  it('publishes the kiosk and card-data routes in the OpenAPI document', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/kiosk/check',
        '/v1/kiosk/confirm',
        '/v1/cards/{serial}/data/{recordType}',
        '/v1/cards/{serial}/updates',
        '/v1/cards/stale-updates',
      ]),
    );
    // The check validates by hand (hot path) but documents the same schema.
    expect(JSON.stringify(res.body.paths['/v1/kiosk/check'].post.requestBody)).toContain('KioskCheckDto');
    expect(res.body.components.schemas.KioskCheckDto.required).toEqual(
      expect.arrayContaining(['serial', 'readVersion', 'writeInProgress']),
    );
  });

  it('a malformed check is 400 VALIDATION_FAILED naming each field, and writes nothing', async () => {
    const c = await cardWithChanges();
    const post = (body: unknown) =>
      t
        .http()
        .post('/v1/kiosk/check')
        .set(bearer(kiosk.key))
        .send(body as object);
    const bad = await post({ serial: 100000000042, readVersion: -1, writeInProgress: 'no', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    // The unknown property is counted under the body (''), never named: its name is the caller's input.
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      '',
      'readVersion',
      'serial',
      'writeInProgress',
    ]);
    expect((await post({ serial: c.serial12, readVersion: 1.5, writeInProgress: false })).body.errors).toEqual([
      { field: 'readVersion', messages: ['readVersion must be an integer number'] },
    ]);
    expect((await post({ serial: c.serial12, writeInProgress: false })).body.errors[0].field).toBe('readVersion');
    const array = await t
      .http()
      .post('/v1/kiosk/check')
      .set(bearer(kiosk.key))
      .set('content-type', 'application/json')
      .send('[1]');
    expect(array.status).toBe(400);
    expect(array.body.code).toBe('VALIDATION_FAILED');
    expect(await t.dataSource.query(`SELECT id FROM kiosk_exchange WHERE card_id = $1`, [c.id])).toEqual([]);
  });

  it('checks of one pending card at once: each gets an exchange, exactly one stays open, and only it confirms', async () => {
    const c = await cardWithChanges();
    const answers = await Promise.all(Array.from({ length: 8 }, () => check(t, kiosk.key, c.serial12, 2)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(answers.every((a) => a.body.action === 'update' && a.body.records.length === 2)).toBe(true);
    const rows: Array<{ id: string; status: string }> = await t.dataSource.query(
      `SELECT id, status FROM kiosk_exchange WHERE card_id = $1`,
      [c.id],
    );
    expect(rows).toHaveLength(8);
    const open = rows.filter((r) => r.status === 'issued');
    expect(open).toHaveLength(1);
    for (const a of answers) {
      const res = await confirm(t, kiosk.key, {
        exchangeId: a.body.exchangeId,
        serial: c.serial12,
        writtenRecords: written(a.body),
      });
      expect(res.status).toBe(a.body.exchangeId === open[0].id ? 200 : 409);
    }
    expect(await cardVersions(t.dataSource, c.serial12)).toEqual({ data_version: 4, target_version: 4 });
  });

  it('refuses malformed requests and other partner kinds', async () => {
    const c = await cardIn(t.dataSource, CardState.Active);
    expect((await check(t, fund.key, c.serial12, 2)).status).toBe(403);
    const noKind = await confirm(t, kiosk.key, {
      exchangeId: '00000000-0000-4000-8000-000000000000',
      serial: c.serial12,
    });
    expect(noKind.status).toBe(400);
    expect(noKind.body.code).toBe('KIOSK_CONFIRM_INVALID');
    const unknownEx = await confirm(t, kiosk.key, {
      exchangeId: '00000000-0000-4000-8000-000000000000',
      serial: c.serial12,
      writtenRecords: [],
    });
    expect(unknownEx.status).toBe(404);
  });
});
