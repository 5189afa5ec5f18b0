import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardAction } from '../src/cards/card-action.enum.js';
import { CardState, OppositionReason } from '../src/cards/card-state.enum.js';
import { CardsService } from '../src/cards/cards.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { systemActor } from '../src/platform/auth/actor.js';
import {
  applyIncrementals,
  decodeCompact,
  decodeText,
  type FullList,
  type IncrementalList,
  verifyListFile,
} from '../src/opposition/list-codec.js';
import { cardAuditEntries, cardIn, cardRowBySerial, UNKNOWN_SERIAL } from './support/card-fixtures.js';
import { binaryParser, oppositionChanges, removeTempDataDirs, tempDataDir } from './support/opposition-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import { sftpConnect, sftpPort, sshKeyPair } from './support/vendor-fixtures.js';

const PARIS = '017510001';
const LYON = '016910001';

describe('opposition', () => {
  let t: TestApp;
  let fund: { id: string; key: string };
  let otherFund: { id: string; key: string };
  let pharmacy: { id: string; key: string };
  let op: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp({ dataDir: tempDataDir(), workersEnabled: false });
    fund = await t.partner(PartnerKind.Fund, PARIS);
    otherFund = await t.partner(PartnerKind.Fund, LYON);
    pharmacy = await t.partner(PartnerKind.PharmacySoftware);
    op = bearer(t.operatorKey);
  });
  afterAll(async () => {
    await t?.close();
    removeTempDataDirs();
  });

  describe('declarations', () => {
    it('a fund opposes its card once: 201, then 200 with the same opposition and no second change', async () => {
      const c = await cardIn(t.dataSource, CardState.Active);
      const before = (await oppositionChanges(t.dataSource)).length;
      const first = await t
        .http()
        .post(`/v1/cards/${c.serial12}/opposition`)
        .set(bearer(fund.key))
        .send({ reason: 'stolen' });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ serial: c.serial12, state: 'opposed', reason: 'stolen' });
      expect(first.body.withdrawableUntil).not.toBeNull();
      const again = await t
        .http()
        .post(`/v1/cards/${c.serial12}/opposition`)
        .set(bearer(fund.key))
        .send({ reason: 'lost' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      const changes = (await oppositionChanges(t.dataSource)).slice(before);
      expect(changes).toEqual([{ serial: c.serial, op: 'add', reason: 'stolen', list_number: null }]);
      expect((await cardAuditEntries(t.dataSource, c.serial12)).map((e) => e.action)).toEqual(['card.oppose']);
      const [event] = await t.dataSource.query(
        `SELECT type, organisme_code, data FROM fund_event WHERE subject_id = $1`,
        [c.id],
      );
      expect(event).toMatchObject({
        type: 'card.opposed',
        organisme_code: PARIS,
        data: { serial: c.serial12, reason: 'stolen' },
      });
    });

    it("another fund's card is CARD_NOT_FOUND, like an unknown serial; an operator reaches every card", async () => {
      const c = await cardIn(t.dataSource, CardState.Active, { organismeCode: PARIS });
      const before = await cardRowBySerial(t.dataSource, c.serial12);
      for (const serial of [c.serial12, UNKNOWN_SERIAL, 'abc']) {
        const r = await t
          .http()
          .post(`/v1/cards/${serial}/opposition`)
          .set(bearer(otherFund.key))
          .send({ reason: 'lost' });
        expect(r.status).toBe(404);
        expect(r.body.code).toBe('CARD_NOT_FOUND');
      }
      expect((await t.http().delete(`/v1/cards/${c.serial12}/opposition`).set(bearer(otherFund.key))).body.code).toBe(
        'CARD_NOT_FOUND',
      );
      expect(await cardRowBySerial(t.dataSource, c.serial12)).toEqual(before);
      const byOp = await t.http().post(`/v1/cards/${c.serial12}/opposition`).set(op).send({ reason: 'fraud' });
      expect(byOp.status).toBe(201);
      expect((await t.http().get(`/v1/cards/${c.serial12}/opposition`).set(bearer(fund.key))).body.reason).toBe(
        'fraud',
      );
    });

    it('refuses system reasons, cards never delivered, and other partners', async () => {
      const c = await cardIn(t.dataSource, CardState.Active);
      expect(
        (await t.http().post(`/v1/cards/${c.serial12}/opposition`).set(bearer(fund.key)).send({ reason: 'replaced' }))
          .status,
      ).toBe(400);
      const ordered = await cardIn(t.dataSource, CardState.InPersonalisation);
      expect(
        (await t.http().post(`/v1/cards/${ordered.serial12}/opposition`).set(bearer(fund.key)).send({ reason: 'lost' }))
          .body.code,
      ).toBe('CARD_TRANSITION_NOT_ALLOWED');
      expect(
        (await t.http().post(`/v1/cards/${c.serial12}/opposition`).set(bearer(pharmacy.key)).send({ reason: 'lost' }))
          .status,
      ).toBe(403);
    });

    it('withdrawal: within the window the card returns to its previous state; after it, 409 OPPOSITION_WITHDRAWAL_TOO_LATE', async () => {
      const c = await cardIn(t.dataSource, CardState.Shipped);
      await t
        .http()
        .post(`/v1/cards/${c.serial12}/opposition`)
        .set(bearer(fund.key))
        .send({ reason: 'lost' })
        .expect(201);
      const w = await t.http().delete(`/v1/cards/${c.serial12}/opposition`).set(bearer(fund.key));
      expect(w.status).toBe(200);
      expect(w.body.state).toBe('shipped');
      const changes = (await oppositionChanges(t.dataSource)).filter((x) => x.serial === c.serial);
      expect(changes.map((x) => [x.op, x.reason])).toEqual([
        ['add', 'lost'],
        ['remove', 'lost'],
      ]);
      expect((await t.http().delete(`/v1/cards/${c.serial12}/opposition`).set(bearer(fund.key))).body.code).toBe(
        'CARD_NOT_OPPOSED',
      );

      const late = await cardIn(t.dataSource, CardState.Active);
      await t
        .http()
        .post(`/v1/cards/${late.serial12}/opposition`)
        .set(bearer(fund.key))
        .send({ reason: 'stolen' })
        .expect(201);
      await t.dataSource.query(
        `UPDATE card SET state_changed_at = now() - make_interval(hours => $2) - interval '1 minute' WHERE serial = $1`,
        [late.serial, t.config.oppositionWithdrawalHours],
      );
      const tooLate = await t.http().delete(`/v1/cards/${late.serial12}/opposition`).set(bearer(fund.key));
      expect(tooLate.status).toBe(409);
      expect(tooLate.body.code).toBe('OPPOSITION_WITHDRAWAL_TOO_LATE');
      expect((await cardRowBySerial(t.dataSource, late.serial12)).state).toBe('opposed');
      // just inside the window
      await t.dataSource.query(
        `UPDATE card SET state_changed_at = now() - make_interval(hours => $2) + interval '1 minute' WHERE serial = $1`,
        [late.serial, t.config.oppositionWithdrawalHours],
      );
      expect((await t.http().delete(`/v1/cards/${late.serial12}/opposition`).set(bearer(fund.key))).status).toBe(200);
    });

    it('once a replacement card is ordered, the declaration cannot be withdrawn (409 OPPOSITION_CARD_REPLACED), nothing changes', async () => {
      const lost = await cardIn(t.dataSource, CardState.Active);
      await t
        .http()
        .post(`/v1/cards/${lost.serial12}/opposition`)
        .set(bearer(fund.key))
        .send({ reason: 'lost' })
        .expect(201);
      // The replacement: an ordered card of the same holder (what an order with the declaration creates).
      await t.dataSource.query(`INSERT INTO card (beneficiary_id, organisme_code, state) VALUES ($1, $2, 'ordered')`, [
        lost.beneficiaryId,
        PARIS,
      ]);
      const before = await cardRowBySerial(t.dataSource, lost.serial12);
      const r = await t.http().delete(`/v1/cards/${lost.serial12}/opposition`).set(bearer(fund.key));
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('OPPOSITION_CARD_REPLACED');
      expect(await cardRowBySerial(t.dataSource, lost.serial12)).toEqual(before);
    });

    it('an opposition set by the system cannot be withdrawn', async () => {
      const c = await cardIn(t.dataSource, CardState.Opposed, { reason: OppositionReason.Replaced });
      const r = await t.http().delete(`/v1/cards/${c.serial12}/opposition`).set(op);
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('OPPOSITION_NOT_WITHDRAWABLE');
    });

    it("the trigger records the system's own oppositions and every way out of opposition", async () => {
      const cards = t.app.get(CardsService);
      const a = await cardIn(t.dataSource, CardState.Active);
      const b = await cardIn(t.dataSource, CardState.ReturnedUndeliverable);
      const before = (await oppositionChanges(t.dataSource)).length;
      await t.dataSource.transaction((em) =>
        cards.transitionManyByIdIn(em, systemActor(), [a.id], CardAction.Oppose, { reason: OppositionReason.Replaced }),
      );
      await t.dataSource.transaction((em) =>
        cards.transitionIn(em, systemActor(), b.serial12, CardAction.Oppose, {
          reason: OppositionReason.Undeliverable,
        }),
      );
      await t.dataSource.transaction((em) => cards.transitionIn(em, systemActor(), b.serial12, CardAction.Destroy));
      // a rolled-back opposition leaves no change
      await t.dataSource
        .transaction(async (em) => {
          await cards.transitionIn(em, systemActor(), a.serial12, CardAction.Destroy);
          throw new Error('rollback');
        })
        .catch(() => {});
      const changes = (await oppositionChanges(t.dataSource)).slice(before);
      expect(changes.map((x) => [x.serial, x.op, x.reason])).toEqual([
        [a.serial, 'add', 'replaced'],
        [b.serial, 'add', 'undeliverable'],
        [b.serial, 'remove', 'undeliverable'],
      ]);
    });
  });

  describe('lists', () => {
    const produce = async (kind: 'full' | 'incremental') => {
      const r = await t.http().post('/v1/opposition-lists').set(op).send({ kind });
      expect(r.status).toBe(201);
      return r.body;
    };
    const fetch = async (number: number, format: 'text' | 'compact') =>
      (
        await t
          .http()
          .get(`/v1/opposition-lists/${number}?format=${format}`)
          .set(bearer(pharmacy.key))
          .buffer(true)
          .parse(binaryParser)
          .expect(200)
      ).body as Buffer;
    const currentOpposed = async () =>
      (await t.dataSource.query(`SELECT serial FROM card WHERE state = 'opposed' ORDER BY serial`)).map(
        (r: { serial: string }) => Number(r.serial),
      );

    it('before the first list, latest says when the job makes one and how an operator makes one now', async () => {
      for (const kind of ['full', 'incremental'] as const) {
        const res = await t
          .http()
          .get(`/v1/opposition-lists/latest?kind=${kind}`)
          .set(bearer(pharmacy.key))
          .expect(404);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body).toMatchObject({
          code: 'OPPOSITION_LIST_NOT_YET_PRODUCED',
          kind,
          produceNow: 'POST /v1/opposition-lists',
        });
        const next = new Date(res.body.nextScheduledAt);
        expect(next.getTime()).toBeGreaterThan(Date.now());
        // Paris time: 01:30 by default (OPPOSITION_LIST_CRON), on day 18 for the full list (OPPOSITION_FULL_LIST_DAY).
        const paris = new Intl.DateTimeFormat('en-GB', {
          timeZone: 'Europe/Paris',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
        }).format(next);
        expect(paris).toMatch(kind === 'full' ? /^18, 01:30$|^18 at 01:30$/ : /01:30$/);
        expect(res.body.detail).toContain(`POST /v1/opposition-lists {"kind":"${kind}"}`);
      }
      const listed = await t.http().get('/v1/opposition-lists').set(bearer(pharmacy.key)).expect(200);
      expect(listed.body).toEqual({ items: [], next: null });
    });

    it('chaining: the full list N plus the incremental lists after it gives exactly the next full list', async () => {
      const full1 = await produce('full');
      expect(full1.entryCount).toBe((await currentOpposed()).length);
      const opposedNow = await currentOpposed();
      // changes: two new oppositions, one withdrawal, one added and removed within the same day
      const x = await cardIn(t.dataSource, CardState.Active);
      const y = await cardIn(t.dataSource, CardState.Active);
      const z = await cardIn(t.dataSource, CardState.Active);
      for (const c of [x, y, z])
        await t
          .http()
          .post(`/v1/cards/${c.serial12}/opposition`)
          .set(bearer(fund.key))
          .send({ reason: 'lost' })
          .expect(201);
      const inc1 = await produce('incremental');
      expect(inc1).toMatchObject({
        kind: 'incremental',
        baseNumber: full1.number,
        number: full1.number + 1,
        additions: 3,
        removals: 0,
      });
      await t.http().delete(`/v1/cards/${y.serial12}/opposition`).set(bearer(fund.key)).expect(200);
      const w = await cardIn(t.dataSource, CardState.Active);
      await t
        .http()
        .post(`/v1/cards/${w.serial12}/opposition`)
        .set(bearer(fund.key))
        .send({ reason: 'lost' })
        .expect(201);
      await t.http().delete(`/v1/cards/${w.serial12}/opposition`).set(bearer(fund.key)).expect(200);
      const inc2 = await produce('incremental');
      expect(inc2).toMatchObject({ additions: 0, removals: 1, baseNumber: full1.number });
      const full2 = await produce('full');
      expect(full2.number).toBe(inc2.number + 1);

      const base = decodeCompact(await fetch(full1.number, 'compact')) as FullList;
      expect(base.serials).toEqual(opposedNow);
      const incs = [
        decodeText(await fetch(inc1.number, 'text')),
        decodeCompact(await fetch(inc2.number, 'compact')),
      ] as IncrementalList[];
      expect(incs[0].additions).toEqual([x, y, z].map((c) => Number(c.serial)));
      expect(incs[1].removals).toEqual([Number(y.serial)]);
      const next = decodeText(await fetch(full2.number, 'text')) as FullList;
      expect(applyIncrementals(base, incs)).toEqual(next.serials);
      expect(next.serials).toEqual(await currentOpposed());
      expect(decodeCompact(await fetch(full2.number, 'compact'))).toEqual(next);

      const since = await t
        .http()
        .get(`/v1/opposition-lists?since=${full1.number}`)
        .set(bearer(pharmacy.key))
        .expect(200);
      expect(since.body.items.map((l: { number: number }) => l.number)).toEqual([
        inc1.number,
        inc2.number,
        full2.number,
      ]);
      expect(since.body.next).toBeNull();
      const latest = await t
        .http()
        .get('/v1/opposition-lists/latest?kind=incremental&format=compact')
        .set(bearer(pharmacy.key))
        .buffer(true)
        .parse(binaryParser)
        .expect(200);
      expect(latest.headers['x-opposition-list-number']).toBe(String(inc2.number));
    });

    it('every file is signed; a flipped byte fails verification; keys rotate and old lists still verify', async () => {
      const list = await produce('incremental');
      const keys = (await t.http().get('/v1/signing-keys').set(bearer(pharmacy.key)).expect(200)).body.items as Array<{
        keyId: string;
        publicKey: string;
      }>;
      const sig = (
        await t.http().get(`/v1/opposition-lists/${list.number}/signature`).set(bearer(pharmacy.key)).expect(200)
      ).body;
      const pem = keys.find((k) => k.keyId === sig.keyId)!.publicKey;
      for (const format of ['text', 'compact'] as const) {
        const file = await fetch(list.number, format);
        const s = { keyId: sig.keyId, algorithm: 'Ed25519' as const, signature: sig[format].signature };
        expect(verifyListFile(file, 'incremental', list.number, format, s, pem)).toBe(true);
        const flipped = Buffer.from(file);
        flipped[Math.floor(flipped.length / 2)] ^= 0x01;
        expect(verifyListFile(flipped, 'incremental', list.number, format, s, pem)).toBe(false);
      }
      expect((await t.http().post('/v1/signing-keys/rotate').set(bearer(pharmacy.key))).status).toBe(403);
      const rotated = await t.http().post('/v1/signing-keys/rotate').set(op).expect(201);
      expect(rotated.body.keyId).not.toBe(sig.keyId);
      const next = await produce('incremental');
      expect(next.keyId).toBe(rotated.body.keyId);
      const keys2 = (await t.http().get('/v1/signing-keys').set(bearer(pharmacy.key)).expect(200)).body.items as Array<{
        keyId: string;
      }>;
      expect(keys2.map((k) => k.keyId)).toEqual(expect.arrayContaining([sig.keyId, rotated.body.keyId]));
    });

    it('ETag, If-None-Match -> 304, Range -> 206, unsatisfiable range -> 416', async () => {
      const list = await produce('full');
      const url = `/v1/opposition-lists/${list.number}?format=text`;
      const whole = await t.http().get(url).set(bearer(pharmacy.key)).buffer(true).parse(binaryParser).expect(200);
      const body = whole.body as Buffer;
      expect(whole.headers.etag).toBe(`"${list.text.sha256}"`);
      expect(whole.headers['accept-ranges']).toBe('bytes');
      expect(body.length).toBe(list.text.bytes);
      const cached = await t.http().get(url).set(bearer(pharmacy.key)).set('If-None-Match', whole.headers.etag);
      expect(cached.status).toBe(304);
      const part = await t
        .http()
        .get(url)
        .set(bearer(pharmacy.key))
        .set('Range', 'bytes=10-29')
        .buffer(true)
        .parse(binaryParser);
      expect(part.status).toBe(206);
      expect(part.headers['content-range']).toBe(`bytes 10-29/${body.length}`);
      expect(part.body).toEqual(body.subarray(10, 30));
      const tail = await t
        .http()
        .get(url)
        .set(bearer(pharmacy.key))
        .set('Range', 'bytes=-5')
        .buffer(true)
        .parse(binaryParser);
      expect(tail.status).toBe(206);
      expect(tail.body).toEqual(body.subarray(body.length - 5));
      const open = await t
        .http()
        .get(url)
        .set(bearer(pharmacy.key))
        .set('Range', `bytes=${body.length - 3}-`)
        .buffer(true)
        .parse(binaryParser);
      expect(open.body).toEqual(body.subarray(body.length - 3));
      const bad = await t.http().get(url).set(bearer(pharmacy.key)).set('Range', `bytes=${body.length}-`);
      expect(bad.status).toBe(416);
      expect(bad.headers['content-range']).toBe(`bytes */${body.length}`);
      const stale = await t
        .http()
        .get(url)
        .set(bearer(pharmacy.key))
        .set('Range', 'bytes=0-3')
        .set('If-Range', '"other"')
        .buffer(true)
        .parse(binaryParser);
      expect(stale.status).toBe(200);
      expect((await t.http().get('/v1/opposition-lists/99999').set(bearer(pharmacy.key))).body.code).toBe(
        'OPPOSITION_LIST_NOT_FOUND',
      );
      expect((await t.http().get(url).set(bearer(fund.key))).status).toBe(403);
      expect(
        (await t.http().post('/v1/opposition-lists').set(bearer(pharmacy.key)).send({ kind: 'full' })).status,
      ).toBe(403);
    });

    it('the kiosk status lookup agrees with the lists', async () => {
      const c = await cardIn(t.dataSource, CardState.Active);
      await t
        .http()
        .post(`/v1/cards/${c.serial12}/opposition`)
        .set(bearer(fund.key))
        .send({ reason: 'stolen' })
        .expect(201);
      const s = await t.http().get(`/v1/card-status/${c.serial12}`).set(bearer(pharmacy.key)).expect(200);
      expect(s.body).toMatchObject({ state: 'opposed', blocked: true });
      const list = await produce('incremental');
      const inc = decodeText(await fetch(list.number, 'text')) as IncrementalList;
      expect(inc.additions).toContain(Number(c.serial));
    });
  });

  describe('concentrators over SFTP', () => {
    it('a pharmacy_software partner with a key reads every list, read-only, under its login', async () => {
      const conc = await t.partner(PartnerKind.PharmacySoftware);
      const keys = sshKeyPair();
      expect(
        (
          await t
            .http()
            .post(`/v1/opposition/concentrators/${fund.id}/ssh-keys`)
            .set(op)
            .send({ publicKey: keys.publicKey })
        ).body.code,
      ).toBe('CONCENTRATOR_NOT_FOUND');
      expect(
        (
          await t
            .http()
            .post(`/v1/opposition/concentrators/${conc.id}/ssh-keys`)
            .set(bearer(conc.key))
            .send({ publicKey: keys.publicKey })
        ).status,
      ).toBe(403);
      const added = await t
        .http()
        .post(`/v1/opposition/concentrators/${conc.id}/ssh-keys`)
        .set(op)
        .send({ publicKey: keys.publicKey });
      expect(added.status).toBe(201);
      const login = added.body.login as string;
      const list = (await t.http().post('/v1/opposition-lists').set(op).send({ kind: 'full' }).expect(201)).body;
      const sftp = await sftpConnect(sftpPort(t), login, keys.privateKey);
      try {
        expect(await sftp.list('/')).toEqual(['lists']);
        const names = await sftp.list('/lists');
        expect(names).toEqual(expect.arrayContaining([list.text.file, list.compact.file]));
        const viaHttp = (
          await t
            .http()
            .get(`/v1/opposition-lists/${list.number}?format=compact`)
            .set(bearer(pharmacy.key))
            .buffer(true)
            .parse(binaryParser)
        ).body;
        expect(await sftp.read(`/lists/${list.compact.file}`)).toEqual(viaHttp);
        await expect(sftp.write('/lists/x.txt', 'x')).rejects.toBeTruthy();
        await expect(sftp.remove(`/lists/${list.text.file}`)).rejects.toBeTruthy();
      } finally {
        sftp.end();
      }
      await expect(sftpConnect(sftpPort(t), login, sshKeyPair().privateKey)).rejects.toBeTruthy();
    });
  });
});
