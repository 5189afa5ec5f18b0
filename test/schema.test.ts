import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../src/platform/database/data-source-options.js';
import { createTestDatabase } from './support/test-app.js';
import { insertBeneficiary } from './support/factories.js';

describe('schema', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    ds = await new DataSource(dataSourceOptions(db.url, 2)).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await drop?.();
  });

  it('the committed migrations produce exactly what the entities describe', async () => {
    const sql = await ds.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('resets the step counters of a request whenever its status changes, whoever changes it', async () => {
    const b = await insertBeneficiary(ds);
    const [{ id }] = await ds.query(
      `INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, reminder_due_at, expires_at, reinjections, needs_review, status_changed_at)
       VALUES ('10000016', $1, '017510001', 'first_card', 'ordered', now(), now(), 3, true, now() - interval '3 days') RETURNING id`,
      [b.id],
    );
    await ds.query(`UPDATE card_request SET reinjections = 4 WHERE id = $1`, [id]);
    expect((await ds.query(`SELECT reinjections, needs_review FROM card_request WHERE id = $1`, [id]))[0]).toEqual({
      reinjections: 4,
      needs_review: true,
    });
    await ds.query(`UPDATE card_request SET status = 'in_personalisation' WHERE id = $1`, [id]);
    const [row] = await ds.query(
      `SELECT reinjections, needs_review, status_changed_at > now() - interval '1 minute' AS fresh FROM card_request WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({ reinjections: 0, needs_review: false, fresh: true });
  });

  it('has no pending migration', async () => {
    expect(await ds.showMigrations()).toBe(false);
  });
});
