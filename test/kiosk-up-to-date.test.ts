import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardAction } from '../src/cards/card-action.enum.js';
import { CardState, OppositionReason } from '../src/cards/card-state.enum.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { MetricsService } from '../src/platform/metrics/metrics.service.js';
import { UP_TO_DATE_LISTENER } from '../src/update/up-to-date-cards.repository.js';
import { UP_TO_DATE_STALE_MS, UpToDateCards } from '../src/update/up-to-date-cards.service.js';
import { cardIn, type TestCard } from './support/card-fixtures.js';
import { giveCardKeys } from './support/card-key-fixtures.js';
import { PARIS, putRecord, RECORDS } from './support/kiosk-fixtures.js';
import { startSecondInstance } from './support/opposition-instances.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

/**
 * The in-memory index of up-to-date cards (UpToDateCards) on two instances sharing one database: what one instance
 * writes, the other's checks see within the documented bound, and a lost listening connection is never trusted.
 */
describe('kiosk/2 checks answered from memory, two instances', () => {
  let t: TestApp;
  let b: NestFastifyApplication;
  let fund: { id: string; key: string };
  let kiosk: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
    b = await startSecondInstance(t.url, t.config);
    fund = await t.partner(PartnerKind.Fund, PARIS);
    kiosk = await t.partner(PartnerKind.Kiosk);
    expect(await t.app.get(UpToDateCards).whenReady()).toBe(true);
    expect(await b.get(UpToDateCards).whenReady()).toBe(true);
  });
  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  /** A check sent to instance B. */
  const checkOnB = (serial: string, readVersion: number, writeInProgress = false) =>
    request(b.getHttpServer())
      .post('/v2/kiosk/check')
      .set(bearer(kiosk.key))
      .send({ serial, readVersion, writeInProgress });
  const fromMemoryOnB = async () =>
    (await b.get(MetricsService).registry.getSingleMetric('kiosk_checks_from_memory_total')!.get()).values[0]?.value ??
    0;
  const loadsOnB = async () =>
    (await b.get(MetricsService).registry.getSingleMetric('kiosk_up_to_date_loads_total')!.get()).values[0]?.value ?? 0;

  /** A card with keys, up to date at its version, that B has answered from memory. */
  async function rememberedOnB(): Promise<TestCard & { version: number }> {
    const c = await cardIn(t.dataSource, CardState.Active);
    await giveCardKeys(t.dataSource, c.id);
    const [{ v }] = await t.dataSource.query(`SELECT data_version AS v FROM card WHERE id = $1`, [c.id]);
    // The first check reads the database (the card is newer than B's load) and puts the card in B's memory.
    expect((await checkOnB(c.serial12, v).expect(200)).body).toMatchObject({ action: 'nothing_to_do', version: v });
    const before = await fromMemoryOnB();
    const again = await checkOnB(c.serial12, v).expect(200);
    expect(again.body).toMatchObject({ action: 'nothing_to_do', version: v });
    expect(await fromMemoryOnB()).toBe(before + 1);
    return { ...c, version: v };
  }

  /**
   * Checks on B until the answer is no longer nothing_to_do. `staleSent`: how long after `since` the last check
   * answered nothing_to_do was sent (a check sent later than the bound after the change must see it).
   */
  async function untilNotUpToDate(serial: string, version: number, since: number) {
    let staleSent = -1;
    for (;;) {
      const sent = Date.now();
      const res = await checkOnB(serial, version).expect(200);
      if (res.body.action !== 'nothing_to_do') return { body: res.body, staleSent };
      staleSent = sent - since;
      if (staleSent > 5 * UP_TO_DATE_STALE_MS) return { body: res.body, staleSent };
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('a record written through instance A is pending on instance B within the bound', async () => {
    const c = await rememberedOnB();
    expect((await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage)).status).toBe(200);
    const written = Date.now(); // committed
    const seen = await untilNotUpToDate(c.serial12, c.version, written);
    expect(seen.body).toMatchObject({ action: 'update_available' });
    expect(seen.staleSent).toBeLessThan(UP_TO_DATE_STALE_MS);
    // the pending card is not put back in memory by the database's answer
    const before = await fromMemoryOnB();
    expect((await checkOnB(c.serial12, c.version).expect(200)).body.action).toBe('update_available');
    expect(await fromMemoryOnB()).toBe(before);
  });

  it('an opposition made through instance A is blocked on instance B within the bound', async () => {
    const c = await rememberedOnB();
    await t
      .http()
      .post(`/v1/cards/${c.serial12}/transitions`)
      .set(bearer(t.operatorKey))
      .send({ action: CardAction.Oppose, reason: OppositionReason.Stolen })
      .expect(200);
    const opposed = Date.now();
    const seen = await untilNotUpToDate(c.serial12, c.version, opposed);
    expect(seen.body).toMatchObject({ action: 'blocked', state: CardState.Opposed });
    expect(seen.staleSent).toBeLessThan(UP_TO_DATE_STALE_MS);
  });

  it('a confirmed version changed by plain SQL is seen too (any writer, not only the application)', async () => {
    const c = await rememberedOnB();
    await t.dataSource.query(`UPDATE card SET data_version = data_version + 1 WHERE id = $1`, [c.id]);
    const changed = Date.now();
    // nothing pending: up to date at the new version, which B must answer (not the old one) once the bound is past
    for (;;) {
      const sent = Date.now();
      const res = await checkOnB(c.serial12, c.version + 1).expect(200);
      expect(res.body.action).toBe('nothing_to_do');
      if (res.body.version === c.version + 1) break;
      expect(sent - changed).toBeLessThan(UP_TO_DATE_STALE_MS);
      await new Promise((r) => setTimeout(r, 10));
    }
  });

  it('a database read that a change overtook does not put the card back in memory', async () => {
    const c = await rememberedOnB();
    const index = b.get(UpToDateCards);
    expect(index.version(c.serial)).toBe(c.version);
    const mark = index.mark(); // a check's read starts here, and sees the card up to date...
    expect((await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage)).status).toBe(200);
    const until = Date.now() + UP_TO_DATE_STALE_MS;
    while (index.version(c.serial) !== undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(index.version(c.serial)).toBeUndefined();
    index.remember(c.serial, c.version, mark); // ...and answers after the change was heard: not remembered
    expect(index.version(c.serial)).toBeUndefined();
    index.remember(c.serial, c.version, index.mark()); // (a read that started after it would be)
    expect(index.version(c.serial)).toBe(c.version);
  });

  it('a lost listening connection: B stops answering from memory, reloads, and misses nothing written meanwhile', async () => {
    const c = await rememberedOnB();
    const loads = await loadsOnB();
    const owner = new pg.Client({ connectionString: t.ownerUrl });
    await owner.connect();
    try {
      const cut = await owner.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
        [UP_TO_DATE_LISTENER],
      );
      expect(cut.rowCount).toBe(2); // A's and B's
      // Written while B is not listening: no instance hears it.
      expect((await putRecord(t, fund.key, c.serial12, 'coverage', RECORDS.coverage)).status).toBe(200);
      const written = Date.now();
      const seen = await untilNotUpToDate(c.serial12, c.version, written);
      expect(seen.body).toMatchObject({ action: 'update_available' });
      expect(seen.staleSent).toBeLessThan(UP_TO_DATE_STALE_MS);
    } finally {
      await owner.end();
    }
    // B reloads, and answers from memory again
    expect(await b.get(UpToDateCards).whenReady(10_000)).toBe(true);
    expect(await loadsOnB()).toBe(loads + 1);
    expect((await checkOnB(c.serial12, c.version).expect(200)).body.action).toBe('update_available');
    await rememberedOnB();
  });
});
