import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { CardState } from '../cards/card-state.enum.js';
import { run } from '../platform/database/sql.js';
import { CURRENT } from '../register/sql.js';

/** The fund side's reads and writes of chip records (the register's records are written by the database's triggers). */
@Injectable()
export class CardDataRepository {
  /**
   * Stores the record whole; the target version rises by one only when the content changed. Answers the new
   * version, or null when unchanged. The database function card_data_write is the one versioned write (the
   * register's triggers use it too); the caller holds the card's row lock.
   */
  async writeRecord(em: EntityManager, cardId: string, recordType: string, content: unknown): Promise<number | null> {
    const { rows } = await run<{ version: number }>(
      em,
      `SELECT out_version AS version FROM card_data_write(ARRAY[$1]::uuid[], ARRAY[$2]::varchar[], ARRAY[$3::jsonb])`,
      [cardId, recordType, JSON.stringify(content)],
    );
    return rows[0]?.version ?? null;
  }

  async recordVersion(em: EntityManager, cardId: string, recordType: string): Promise<number | null> {
    const { rows } = await run<{ version: number }>(
      em,
      `SELECT version FROM card_data_record WHERE card_id = $1 AND record_type = $2`,
      [cardId, recordType],
    );
    return rows[0]?.version ?? null;
  }

  /** A card by serial within a tenant scope (null: every organisme), optionally locked for an update. */
  async findCard(
    em: EntityManager,
    serial: string,
    organismeCode: string | null,
    lock: boolean,
  ): Promise<CardDataCardRow | undefined> {
    const { rows } = await run<CardDataCardRow>(
      em,
      `SELECT c.id, c.serial::text AS serial, c.state, c.organisme_code AS "organismeCode", c.data_version AS "dataVersion", coalesce(u.target_version, 0) AS "targetVersion", u.data_updated_at AS "dataUpdatedAt"
         FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id
        WHERE c.serial = $1 AND ($2::char(9) IS NULL OR c.organisme_code = $2)${lock ? ' FOR UPDATE OF c' : ''}`,
      [serial, organismeCode],
    );
    return rows[0];
  }

  /** The cards of a beneficiary within a tenant scope, newest first. */
  async findBeneficiaryCards(
    em: EntityManager,
    beneficiaryId: string,
    organismeCode: string | null,
  ): Promise<CardDataCardRow[]> {
    const { rows } = await run<CardDataCardRow>(
      em,
      `SELECT c.id, c.serial::text AS serial, c.state, c.organisme_code AS "organismeCode", c.data_version AS "dataVersion", coalesce(u.target_version, 0) AS "targetVersion", u.data_updated_at AS "dataUpdatedAt"
         FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id
        WHERE c.beneficiary_id = $1 AND ($2::char(9) IS NULL OR c.organisme_code = $2)
        ORDER BY c.created_at DESC, c.id`,
      [beneficiaryId, organismeCode],
    );
    return rows;
  }

  async readRecord(
    em: EntityManager,
    cardId: string,
    recordType: string,
  ): Promise<{ content: unknown; version: number; updatedAt: Date } | undefined> {
    const { rows } = await run<{ content: unknown; version: number; updatedAt: Date }>(
      em,
      `SELECT content, version, updated_at AS "updatedAt" FROM card_data_record WHERE card_id = $1 AND record_type = $2`,
      [cardId, recordType],
    );
    return rows[0];
  }

  /** Type, version and time of every record of a card (not their content). */
  async recordVersions(
    em: EntityManager,
    cardId: string,
  ): Promise<Array<{ recordType: string; version: number; updatedAt: Date }>> {
    const { rows } = await run<{ recordType: string; version: number; updatedAt: Date }>(
      em,
      `SELECT record_type AS "recordType", version, updated_at AS "updatedAt" FROM card_data_record WHERE card_id = $1`,
      [cardId],
    );
    return rows;
  }

  /**
   * Usable cards (active or shipped) whose chip was last written (or, never updated online, personalised) more than
   * `months` months ago, by serial after `after`.
   */
  async stale(
    em: EntityManager,
    organismeCode: string | null,
    months: number,
    after: string,
    limit: number,
  ): Promise<StaleCardRow[]> {
    const { rows } = await run<StaleCardRow>(
      em,
      `SELECT c.serial::text AS serial, c.data_version AS "dataVersion", coalesce(u.target_version, 0) AS "targetVersion", u.data_updated_at AS "dataUpdatedAt",
              c.personalised_at AS "personalisedAt"
         FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id
        WHERE ($1::char(9) IS NULL OR c.organisme_code = $1) AND c.state IN ('active', 'shipped') AND c.serial > $2::bigint
          AND coalesce(u.data_updated_at, c.personalised_at, c.created_at) < now() - make_interval(months => $3::int)
        ORDER BY c.serial LIMIT $4`,
      [organismeCode, after, months, limit],
    );
    return rows;
  }

  /** Whether a fund may see this beneficiary (the register's rule: a current affiliation to it on `today`). */
  async beneficiaryVisible(
    em: EntityManager,
    beneficiaryId: string,
    organismeCode: string | null,
    today: string,
  ): Promise<boolean> {
    const { rows } = await run(
      em,
      `SELECT 1 FROM beneficiary b
        WHERE b.id = $1 AND ($2::char(9) IS NULL
           OR EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = b.id AND a.organisme_code = $2 AND ${CURRENT('a', '$3::date')}))`,
      [beneficiaryId, organismeCode, today],
    );
    return rows.length > 0;
  }
}

export interface CardDataCardRow {
  id: string;
  serial: string | null;
  state: CardState;
  organismeCode: string;
  dataVersion: number;
  targetVersion: number;
  dataUpdatedAt: Date | null;
}

export interface StaleCardRow {
  serial: string;
  dataVersion: number;
  targetVersion: number;
  dataUpdatedAt: Date | null;
  personalisedAt: Date | null;
}
