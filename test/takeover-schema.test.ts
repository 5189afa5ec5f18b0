import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { dataSourceOptions } from '../src/platform/database/data-source-options.js';
import { insertBeneficiary, insertCard, makeNir } from './support/factories.js';
import { createTestDatabase } from './support/test-app.js';

/** What every step of a card-base takeover relies on is the database's: a statement breaking it is refused. */
describe('takeover: the card base schema', () => {
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

  const constraintOf = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'accepted';
    } catch (e) {
      return (e as { constraint?: string }).constraint;
    }
  };
  let nextSerial = 900000000000;
  const imported = (beneficiaryId: string | null, state: CardState, awaiting: boolean, origin = 'imported') =>
    ds.query(
      `INSERT INTO card (serial, beneficiary_id, organisme_code, state, origin, generation, awaiting_reconciliation)
       VALUES ($1, $2, '017510001', $3, $4, 1, $5) RETURNING id`,
      [String(nextSerial++), beneficiaryId, state, origin, awaiting],
    );

  it('keeps one usable card per holder, but lets imported cards awaiting reconciliation be duplicates', async () => {
    const holder = await insertBeneficiary(ds);
    await insertCard(ds, { beneficiaryId: holder.id, state: CardState.Active });
    expect(await constraintOf(imported(holder.id, CardState.Active, true))).toBe('accepted');
    expect(await constraintOf(imported(holder.id, CardState.Shipped, true))).toBe('accepted');
    expect(await constraintOf(imported(holder.id, CardState.Active, false))).toBe('card_one_usable_per_beneficiary');
    // Reconciliation keeping an imported card while another usable card stands is refused too.
    const [{ id }] = await imported(holder.id, CardState.Active, true);
    expect(await constraintOf(ds.query(`UPDATE card SET awaiting_reconciliation = false WHERE id = $1`, [id]))).toBe(
      'card_one_usable_per_beneficiary',
    );
  });

  it('lets only an imported card lack a holder or await reconciliation, and knows two generations', async () => {
    expect(await constraintOf(imported(null, CardState.Active, true))).toBe('accepted');
    expect(await constraintOf(imported(null, CardState.Active, false, 'issued'))).toBe(
      'card_holder_known_unless_imported',
    );
    const holder = await insertBeneficiary(ds);
    expect(await constraintOf(imported(holder.id, CardState.Shipped, true, 'issued'))).toBe(
      'card_reconciliation_imported_only',
    );
    expect(
      await constraintOf(
        ds.query(
          `INSERT INTO card (serial, beneficiary_id, organisme_code, state, generation) VALUES ($1, $2, '017510001', 'active', 3)`,
          [String(nextSerial++), holder.id],
        ),
      ),
    ).toBe('card_generation');
    expect(await constraintOf(ds.query(`SELECT 'surplus'::opposition_reason`))).toBe('accepted');
  });

  it('records the NIR a person leaves, whoever changes it, and only when it changes', async () => {
    const temporary = makeNir('7850575123456');
    const person = await insertBeneficiary(ds, { nir: temporary });
    const definitive = makeNir('2850575123456');
    await ds.query(`UPDATE beneficiary SET first_name = 'ANNE' WHERE id = $1`, [person.id]);
    expect(await ds.query(`SELECT nir FROM beneficiary_nir_history WHERE beneficiary_id = $1`, [person.id])).toEqual(
      [],
    );
    await ds.query(`UPDATE beneficiary SET nir = $2, nir_temporary = false WHERE id = $1`, [person.id, definitive]);
    expect(await ds.query(`SELECT nir FROM beneficiary_nir_history WHERE beneficiary_id = $1`, [person.id])).toEqual([
      { nir: temporary },
    ]);
    await ds.query(`UPDATE beneficiary SET died_on = '2026-11-30' WHERE id = $1`, [person.id]);
    const [{ died_on }] = await ds.query(`SELECT died_on::text FROM beneficiary WHERE id = $1`, [person.id]);
    expect(died_on).toBe('2026-11-30');
  });
});
