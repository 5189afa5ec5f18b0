import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidFormNumber, makeFormNumber } from '../src/emission/requests/form-number.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { goodJpeg } from './support/photo-fixtures.js';
import { emissionCounts, fundKey, insured, openRequest, requestRow } from './support/request-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

/** Form numbers near the end of the 7-digit sequence (issue 10 §11): reuse, exhaustion, the database's rules. */
describe('form numbers: reuse once the sequence is spent', () => {
  let t: TestApp;
  let key: string;
  let centre: string;

  beforeAll(async () => {
    t = await startTestApp({ workersEnabled: false, formNumberReuseDays: 365 });
    key = await fundKey(t);
    centre = (await t.partner(PartnerKind.DigitisationCentre)).key;
  });
  afterAll(async () => {
    await t?.close();
  });

  const create = async () =>
    t
      .http()
      .post('/v1/card-requests')
      .set(bearer(key))
      .send({ beneficiaryId: (await insured(t)).id, reason: 'first_card' });
  const closedLongAgo = (id: string, days: number) =>
    t.dataSource.query(`UPDATE card_request SET status_changed_at = now() - make_interval(days => $2) WHERE id = $1`, [
      id,
      days,
    ]);

  it('the database refuses a number held twice and a released number on a request that awaits a photo', async () => {
    const a = await openRequest(t, key, (await insured(t)).id);
    const b = await insured(t);
    const insert = (formNumber: string) =>
      t.dataSource.query(
        `INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, reminder_due_at, expires_at)
       VALUES ($1, $2, '017510001', 'first_card', 'form_sent', now(), now())`,
        [formNumber, b.id],
      );
    await expect(insert(a.formNumber)).rejects.toMatchObject({
      driverError: expect.objectContaining({ code: '23505', constraint: 'card_request_form_number_held' }),
    });
    await expect(
      t.dataSource.query(`UPDATE card_request SET form_number_released_at = now() WHERE id = $1`, [a.id]),
    ).rejects.toMatchObject({
      driverError: expect.objectContaining({
        code: '23514',
        constraint: 'card_request_form_number_held_while_awaiting_photo',
      }),
    });
    // Once a's number is released (closed), another request may hold it.
    await t.dataSource.query(
      `UPDATE card_request SET status = 'expired', form_number_released_at = now() WHERE id = $1`,
      [a.id],
    );
    await insert(a.formNumber);
  });

  it('takes the last numbers of the sequence, then refuses with 503 FORM_NUMBERS_EXHAUSTED (nothing written) while none may be reused, then reuses the oldest closed one', async () => {
    // An old request that will be closed long enough ago, and a recent closed one, both from the sequence.
    const old = await openRequest(t, key, (await insured(t)).id);
    const recent = await openRequest(t, key, (await insured(t)).id);
    await t.http().post(`/v1/card-requests/${old.id}/cancel`).set(bearer(key)).expect(200);
    await t.http().post(`/v1/card-requests/${recent.id}/cancel`).set(bearer(key)).expect(200);

    // Moving a sequence is the owner's right, not the application's.
    const owner = new pg.Client(t.ownerUrl);
    await owner.connect();
    try {
      await owner.query(`SELECT setval('card_request_form_seq', 9999998)`);
    } finally {
      await owner.end();
    }
    const last = await create();
    expect(last.status).toBe(201);
    expect(last.body.formNumber).toBe(makeFormNumber(9999999));

    // Spent, and nothing closed long enough ago: a clear refusal, not a 500; nothing written.
    const before = await emissionCounts(t);
    const refused = await create();
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'FORM_NUMBERS_EXHAUSTED', reuseDays: 365 });
    expect(refused.body.detail).toMatch(/FORM_NUMBER_REUSE_DAYS/);
    expect(await emissionCounts(t)).toEqual(before);

    // The old request was closed 400 days ago, the recent one 10 days ago: the old one's number is given again.
    await closedLongAgo(old.id, 400);
    await closedLongAgo(recent.id, 10);
    const reused = await create();
    expect(reused.status).toBe(201);
    expect(reused.body.formNumber).toBe(old.formNumber);
    expect(isValidFormNumber(reused.body.formNumber)).toBe(true);
    expect((await requestRow(t.dataSource, old.id)).form_number_released_at).toBeInstanceOf(Date);
    expect((await requestRow(t.dataSource, recent.id)).form_number_released_at).toBeNull();
    // The number keyed in by the digitisation centre now designates the new request only.
    const photo = await t
      .http()
      .post('/v1/photos')
      .set(bearer(centre))
      .field('formNumber', old.formNumber)
      .attach('file', await goodJpeg(), 'scan.jpg');
    expect(photo.status).toBe(202);
    expect((await requestRow(t.dataSource, reused.body.id)).status).toBe('photo_received');
    expect((await requestRow(t.dataSource, old.id)).status).toBe('cancelled');

    // Each closed number is given once: the next request is refused again.
    expect((await create()).status).toBe(503);
    // The sequence says it is spent instead of failing the caller's transaction.
    expect((await t.dataSource.query(`SELECT next_form_sequence() AS v`))[0].v).toBeNull();
  });
});
