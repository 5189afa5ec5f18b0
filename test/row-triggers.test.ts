import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState, OppositionReason } from '../src/cards/card-state.enum.js';
import { RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { cardIn } from './support/card-fixtures.js';
import { insertRequest } from './support/event-fixtures.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * Row triggers run only for the rows they act on (migration RowTriggersOnlyWhenTheyAct): the emission chain moves
 * every card three times and every request three times, and a trigger called for nothing cost it a function call per
 * row. What they write stays the same whoever changes the rows; EXPLAIN ANALYZE lists a trigger only when it was called.
 */
describe('row triggers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Runs the statement under EXPLAIN ANALYZE (it is executed): the plan's text, trigger calls included. */
  const explained = async (sql: string, params: unknown[]) =>
    (
      (await t.dataSource.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}`, params)) as Array<
        Record<string, string>
      >
    )
      .map((r) => Object.values(r)[0])
      .join('\n');
  const changes = async (serial: string) =>
    (await t.dataSource.query(`SELECT op, reason::text FROM opposition_change WHERE serial = $1 ORDER BY id`, [
      serial,
    ])) as Array<{ op: string; reason: string | null }>;

  it('card_opposition_change: one change row when a card enters or leaves opposition, no call otherwise', async () => {
    const card = await cardIn(t.dataSource, CardState.InPersonalisation);
    const set = (to: string, extra = '') => `UPDATE card SET state = '${to}'${extra} WHERE id = $1`;

    const shipped = await explained(set('shipped'), [card.id]);
    expect(shipped).not.toContain('card_opposition_change');
    const active = await explained(set('active'), [card.id]);
    expect(active).not.toContain('card_opposition_change');
    expect(await changes(card.serial)).toEqual([]);

    const opposed = await explained(set('opposed', `, opposition_reason = 'lost', previous_state = 'active'`), [
      card.id,
    ]);
    expect(opposed).toMatch(/Trigger card_opposition_change: .*calls=1/);
    const withdrawn = await explained(set('active', ', opposition_reason = NULL, previous_state = NULL'), [card.id]);
    expect(withdrawn).toMatch(/Trigger card_opposition_change: .*calls=1/);
    expect(await changes(card.serial)).toEqual([
      { op: 'add', reason: 'lost' },
      { op: 'remove', reason: 'lost' },
    ]);

    // Inserted: only an opposed card is listed.
    const inUse = await cardIn(t.dataSource, CardState.Active);
    const stolen = await cardIn(t.dataSource, CardState.Opposed, { reason: OppositionReason.Stolen });
    expect(await changes(inUse.serial)).toEqual([]);
    expect(await changes(stolen.serial)).toEqual([{ op: 'add', reason: 'stolen' }]);
  });

  it('card_request_new_step: resets the step fields on a status change, and is not called when the statement does', async () => {
    const row = async (id: string) =>
      (
        await t.dataSource.query(`SELECT status::text, reinjections, needs_review FROM card_request WHERE id = $1`, [
          id,
        ])
      )[0];
    const left = await insertRequest(t.dataSource, {
      status: RequestStatus.Ordered,
      reinjections: 2,
      needsReview: true,
      idleHours: 5,
    });
    const plan = await explained(`UPDATE card_request SET status = 'in_personalisation' WHERE id = $1`, [left.id]);
    expect(plan).toMatch(/Trigger card_request_new_step: .*calls=1/);
    // EXPLAIN ANALYZE runs in its own transaction here, so now() is another instant: the date moved, the rest reset.
    expect(await row(left.id)).toMatchObject({ status: 'in_personalisation', reinjections: 0, needs_review: false });

    // The emission chain's moves set the three fields themselves (CardRequestRepository.move).
    const moved = await insertRequest(t.dataSource, {
      status: RequestStatus.Ordered,
      reinjections: 2,
      needsReview: true,
      idleHours: 5,
    });
    const setAll = await explained(
      `UPDATE card_request SET status = 'in_personalisation', status_changed_at = now(), reinjections = 0, needs_review = false WHERE id = $1`,
      [moved.id],
    );
    expect(setAll).not.toContain('card_request_new_step');
    expect(await row(moved.id)).toMatchObject({ status: 'in_personalisation', reinjections: 0, needs_review: false });

    // A statement that leaves one field behind still has it reset.
    const half = await insertRequest(t.dataSource, { status: RequestStatus.Ordered, needsReview: true, idleHours: 5 });
    await t.dataSource.query(
      `UPDATE card_request SET status = 'in_personalisation', status_changed_at = now(), reinjections = 0 WHERE id = $1`,
      [half.id],
    );
    expect(await row(half.id)).toMatchObject({ status: 'in_personalisation', reinjections: 0, needs_review: false });
  });
});
