import type { EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardAction } from '../src/cards/card-action.enum.js';
import { CardsService } from '../src/cards/cards.service.js';
import { CardRequestsService } from '../src/emission/requests/card-requests.service.js';
import { RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { systemActor } from '../src/platform/auth/actor.js';
import { writeSynthetic } from '../src/synthetic/copy-writer.js';
import { insertRequest } from './support/event-fixtures.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The emission chain's request moves (orders, batches, returns) must not depend on fresh statistics: a return file
 * arrives while the planner still believes no request is in personalisation (the batch moved them after the last
 * analyze), and a move joined to its list of requests was then planned as a nested loop that compared every request
 * with every move (5,000 × 5,000 per return file at 100,000 cards).
 */
describe('request moves', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The statements `work` sends on the transaction's connection, with their parameters; the transaction rolls back. */
  const statementsOf = async (work: (em: EntityManager) => Promise<unknown>) => {
    const sent: Array<{ sql: string; params: unknown[] }> = [];
    await t.dataSource
      .transaction(async (em) => {
        const qr = em.queryRunner!;
        const query = qr.query;
        const send = query.bind(qr) as (...args: unknown[]) => Promise<unknown>;
        qr.query = ((sql: string, ...rest: unknown[]) => {
          sent.push({ sql, params: (rest[0] as unknown[] | undefined) ?? [] });
          return send(sql, ...rest);
        }) as typeof qr.query;
        try {
          await work(em);
        } finally {
          qr.query = query;
        }
        throw new Error('roll back');
      })
      .catch((e: Error) => {
        if (e.message !== 'roll back') throw e;
      });
    return sent;
  };

  /** The plan of a statement as executed (EXPLAIN ANALYZE, in a transaction rolled back). */
  const executedPlan = async (sql: string, params: unknown[]) => {
    const qr = t.dataSource.createQueryRunner();
    try {
      await qr.startTransaction();
      // The plan a nested loop would give (the planner's pick when it believes one side holds one row), made sure.
      await qr.query(`SET LOCAL enable_hashjoin = off`);
      await qr.query(`SET LOCAL enable_mergejoin = off`);
      const rows = (await qr.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}`, params)) as Array<
        Record<string, string>
      >;
      return rows.map((r) => Object.values(r)[0]).join('\n');
    } finally {
      await qr.rollbackTransaction();
      await qr.release();
    }
  };

  it('a return moves each request once, whatever the statistics believe about its status', async () => {
    // A register the size at which the planner reads requests by index (a few hundred would be one page, scanned).
    await writeSynthetic(t.ownerUrl, { count: 20_000, seed: 7, families: false });
    await t.dataSource.query(
      `INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, auto_order, reminder_due_at, expires_at)
       SELECT (90000000 + row_number() OVER (ORDER BY a.beneficiary_id))::text, a.beneficiary_id, a.organisme_code,
              'first_card', 'ordered', true, now() + interval '15 days', now() + interval '45 days'
         FROM affiliation a WHERE a.valid_to IS NULL`,
    );
    const n = 2_000;
    const ids = (
      (await t.dataSource.query(`SELECT id FROM card_request ORDER BY id LIMIT $1`, [n])) as Array<{
        id: string;
      }>
    ).map((r) => r.id);
    const other = await insertRequest(t.dataSource, { status: RequestStatus.PhotoAvailable });
    // Statistics taken while they are ordered, then the batch's move: the planner knows no request in personalisation.
    await t.dataSource.query(`ANALYZE card_request`);
    await t.dataSource.query(`UPDATE card_request SET status = 'in_personalisation' WHERE id = ANY($1::uuid[])`, [ids]);

    const moves = [...ids, other.id].map((id) => ({ id, status: RequestStatus.Completed }));
    const from = [RequestStatus.InPersonalisation, RequestStatus.Completed];
    const progress = t.app.get(CardRequestsService);
    const sent = await statementsOf((em) => progress.moveIn(em, moves, from));
    expect(sent.length).toBeGreaterThan(0);
    for (const s of sent) {
      const plan = await executedPlan(s.sql, s.params);
      // A nested loop over the list of moves would compare each request with each move: n × n rows filtered out.
      const filtered = [...plan.matchAll(/Rows Removed by Join Filter: (\d+)/g)].map((m) => Number(m[1]));
      expect(Math.max(0, ...filtered), plan).toBeLessThan(n);
    }

    // And the move itself: the requests in personalisation completed with their step row, the other left alone.
    const moved = await t.dataSource.transaction((em) => progress.moveIn(em, moves, from));
    expect(moved.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(new Set(moved.map((m) => m.status))).toEqual(new Set([RequestStatus.Completed]));
    const [counts] = await t.dataSource.query(
      `SELECT count(*) FILTER (WHERE r.status = 'completed')::int AS completed,
              (SELECT count(*)::int FROM card_request_step s WHERE s.request_id = ANY($1::uuid[]) AND s.status = 'completed') AS steps,
              (SELECT status::text FROM card_request WHERE id = $2) AS other
         FROM card_request r WHERE r.id = ANY($1::uuid[])`,
      [ids, other.id],
    );
    expect(counts).toEqual({ completed: n, steps: n, other: 'photo_available' });
  });
  it("a return's card update reads each card's facts once, whatever the statistics believe about its state", async () => {
    const n = 2_000;
    // Cards for holders of the register written above, analyzed while ordered, then taken into a batch.
    await t.dataSource.query(
      `INSERT INTO card (beneficiary_id, organisme_code, state, serial)
       SELECT a.beneficiary_id, a.organisme_code, 'ordered', 800000000000 + row_number() OVER (ORDER BY a.beneficiary_id)
         FROM affiliation a WHERE a.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM card c WHERE c.beneficiary_id = a.beneficiary_id)`,
    );
    const ids = (
      (await t.dataSource.query(`SELECT id FROM card WHERE serial >= 800000000000 ORDER BY id LIMIT $1`, [
        n,
      ])) as Array<{
        id: string;
      }>
    ).map((r) => r.id);
    await t.dataSource.query(`ANALYZE card`);
    await t.dataSource.query(`UPDATE card SET state = 'in_personalisation' WHERE id = ANY($1::uuid[])`, [ids]);

    const at = new Date('2026-11-30T08:00:00Z');
    const facts = ids.map((cardId, i) => ({ cardId, chipId: `CHIP${i}`, personalisedAt: at, shippedAt: at }));
    const cards = t.app.get(CardsService);
    const ship = (em: EntityManager) =>
      cards.transitionPathManyByIdIn(em, systemActor(), ids, [CardAction.Ship, CardAction.Activate], { facts });
    const sent = await statementsOf(ship);
    for (const s of sent) {
      const plan = await executedPlan(s.sql, s.params);
      const filtered = [...plan.matchAll(/Rows Removed by Join Filter: (\d+)/g)].map((m) => Number(m[1]));
      expect(Math.max(0, ...filtered), plan).toBeLessThan(n);
    }

    await t.dataSource.transaction(ship);
    const [row] = await t.dataSource.query(
      `SELECT count(*) FILTER (WHERE state = 'active' AND chip_id = 'CHIP' || (array_position($1::uuid[], id) - 1)
                                 AND personalised_at = $2 AND shipped_at = $2)::int AS shipped
         FROM card WHERE id = ANY($1::uuid[])`,
      [ids, at],
    );
    expect(row).toEqual({ shipped: n });
  });
});
