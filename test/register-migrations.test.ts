import { randomUUID } from 'node:crypto';
import { DataSource, type MigrationInterface } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChipRecordsFromRegister1795468000000 } from '../src/migrations/1795468000000-ChipRecordsFromRegister.js';
import { OneUsableCardPerHolder1795468100000 } from '../src/migrations/1795468100000-OneUsableCardPerHolder.js';
import { dataSourceOptions } from '../src/platform/database/data-source-options.js';
import { insertBeneficiary } from './support/factories.js';
import { createTestDatabase } from './support/test-app.js';

/** The issue-10 migrations on a database that already holds cards: what they do to existing data. */
describe('migrations on existing data', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    // Migrations run as the schema's owner, as in production.
    ds = await new DataSource(dataSourceOptions(db.ownerUrl, 2)).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await drop?.();
  });

  const inMigration = async (
    fn: (run: (m: MigrationInterface, way: 'up' | 'down') => Promise<void>) => Promise<void>,
  ) => {
    const qr = ds.createQueryRunner();
    try {
      await fn((m, way) => (way === 'up' ? m.up(qr) : m.down(qr)));
    } finally {
      await qr.release();
    }
  };
  const card = async (beneficiaryId: string, state: string, serial: number) => {
    const id = randomUUID();
    await ds.query(
      `INSERT INTO card (id, serial, beneficiary_id, organisme_code, state, data_version) VALUES ($1, $2, $3, '017510001', $4, 3)`,
      [id, serial, beneficiaryId, state],
    );
    return id;
  };

  it("ChipRecordsFromRegister gives the cards in use the register's identity and organisme, replacing what a fund typed (a pending update)", async () => {
    await inMigration(async (run) => {
      const m = new ChipRecordsFromRegister1795468000000();
      await run(m, 'down');
      // Before: records typed by a fund, one of them hostile; no organisme record; a card out of use.
      const b = await insertBeneficiary(ds);
      const inUse = await card(b.id, 'active', 900000000001);
      const other = await insertBeneficiary(ds);
      const outOfUse = await card(other.id, 'destroyed', 900000000002);
      await ds.query(
        `INSERT INTO card_data_record (card_id, record_type, content, version) VALUES ($1, 'identity', $2, 3), ($1, 'coverage', '[]', 2)`,
        [
          inUse,
          JSON.stringify({
            nir: other.nir,
            firstName: 'J'.repeat(60),
            birthName: 'X\u202E',
            usageName: null,
            birthDate: '2999-01-01',
            birthRank: 1,
          }),
        ],
      );
      await ds.query(`INSERT INTO card_update_state (card_id, target_version) VALUES ($1, 3)`, [inUse]);
      await run(m, 'up');
      const records = await ds.query(
        `SELECT record_type, content, version FROM card_data_record WHERE card_id = $1 ORDER BY version`,
        [inUse],
      );
      expect(records).toEqual([
        { record_type: 'coverage', content: [], version: 2 },
        {
          record_type: 'identity',
          version: 4,
          content: {
            nir: b.nir,
            firstName: b.firstName,
            birthName: b.birthName,
            usageName: null,
            birthDate: b.birthDate,
            birthRank: 1,
          },
        },
        {
          record_type: 'organisme',
          version: 5,
          content: { code: '017510001', regimeCode: '01', caisseCode: '751', centreCode: '0001' },
        },
      ]);
      expect(await ds.query(`SELECT target_version FROM card_update_state WHERE card_id = $1`, [inUse])).toEqual([
        { target_version: 5 },
      ]);
      expect(await ds.query(`SELECT 1 FROM card_data_record WHERE card_id = $1`, [outOfUse])).toEqual([]);
    });
  });

  it('OneUsableCardPerHolder stops, saying how to find them, while a holder has two usable cards; once one is opposed it goes through', async () => {
    await inMigration(async (run) => {
      const m = new OneUsableCardPerHolder1795468100000();
      await run(m, 'down');
      const b = await insertBeneficiary(ds);
      await card(b.id, 'active', 900000000011);
      const shipped = await card(b.id, 'shipped', 900000000012);
      await expect(run(m, 'up')).rejects.toThrow(
        /1 holder\(s\) have more than one usable \(shipped or active\) card; oppose or destroy the extra ones/,
      );
      await ds.query(
        `UPDATE card SET state = 'opposed', opposition_reason = 'lost', previous_state = 'shipped' WHERE id = $1`,
        [shipped],
      );
      await run(m, 'up');
      await expect(
        ds.query(`UPDATE card SET state = 'shipped', opposition_reason = NULL, previous_state = NULL WHERE id = $1`, [
          shipped,
        ]),
      ).rejects.toMatchObject({
        driverError: expect.objectContaining({ constraint: 'card_one_usable_per_beneficiary' }),
      });
    });
  });
});
