import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataSourceOptions } from '../src/platform/database/data-source-options.js';
import { createTestDatabase } from './support/test-app.js';
import { insertBeneficiary } from './support/factories.js';

/** The family rules are the database's: a statement that breaks one is refused whoever sends it. */
describe('families: the attachment rules in the database', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    ds = await new DataSource(dataSourceOptions(db.url, 4)).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await drop?.();
  });

  const attach = (dependantId: string, parentId: string, from = '2020-01-01', to: string | null = null) =>
    ds.query(`INSERT INTO attachment (dependant_id, parent_id, valid_from, valid_to) VALUES ($1, $2, $3, $4)`, [
      dependantId,
      parentId,
      from,
      to,
    ]);
  const constraintOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'accepted';
    } catch (e) {
      return (e as { constraint?: string }).constraint;
    }
  };

  it('refuses a third parent, but not a third parent after another has left', async () => {
    const [child, p1, p2, p3] = await Promise.all([1, 2, 3, 4].map(() => insertBeneficiary(ds)));
    await attach(child.id, p1.id);
    await attach(child.id, p2.id, '2020-01-01', '2022-01-01');
    expect(await constraintOf(attach(child.id, p3.id, '2021-06-01'))).toBe('attachment_two_parents');
    expect(await constraintOf(attach(child.id, p3.id, '2022-01-01'))).toBe('accepted');
  });

  it('refuses a third parent when three attachments race', async () => {
    const [child, p1, p2, p3] = await Promise.all([1, 2, 3, 4].map(() => insertBeneficiary(ds)));
    const results = await Promise.all([p1, p2, p3].map((p) => constraintOf(attach(child.id, p.id))));
    expect(results.filter((r) => r === 'accepted')).toHaveLength(2);
    expect(results.filter((r) => r === 'attachment_two_parents')).toHaveLength(1);
  });

  it('refuses the same child twice under one parent, oneself, chains and reversed periods', async () => {
    const [child, parent, grandParent, other] = await Promise.all([1, 2, 3, 4].map(() => insertBeneficiary(ds)));
    await attach(child.id, parent.id);
    expect(await constraintOf(attach(child.id, parent.id, '2024-01-01'))).toBe('attachment_once_per_parent');
    expect(await constraintOf(attach(child.id, child.id))).toBe('attachment_not_self');
    expect(await constraintOf(attach(parent.id, grandParent.id))).toBe('attachment_dependant_is_parent');
    expect(await constraintOf(attach(other.id, child.id))).toBe('attachment_parent_is_dependant');
    expect(await constraintOf(attach(other.id, parent.id, '2024-01-01', '2023-01-01'))).toBe('attachment_period');
  });
});
