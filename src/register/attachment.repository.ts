import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { run } from './sql.js';
import { ownConnection } from '../platform/database/own-connection.js';

/** One attachment as the register keeps it (rights are the canonical `coverage` / `ald_periods` record contents). */
export interface AttachmentInput {
  dependantId: string;
  parentId: string;
  validFrom: string;
  validTo: string | null;
  coverage: unknown[];
  aldPeriods: unknown[];
}

/**
 * The owner of the `attachment` table (migration Families): which dependants each insured parent carries on their
 * cards, over which periods, with the rights that parent's regime gives them. The family rules (two parents at
 * most, no chains, never twice under one parent) are the database's constraints and trigger.
 */
@Injectable()
export class AttachmentRepository {
  /** Attaches a dependant to a parent; the database refuses what breaks a family rule. */
  async attach(em: EntityManager, a: AttachmentInput): Promise<string> {
    const { rows } = await run<{ id: string }>(
      em,
      `INSERT INTO attachment (dependant_id, parent_id, valid_from, valid_to, coverage, ald_periods)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb) RETURNING id`,
      [a.dependantId, a.parentId, a.validFrom, a.validTo, JSON.stringify(a.coverage), JSON.stringify(a.aldPeriods)],
    );
    return rows[0].id;
  }

  /**
   * A dependant currently attached to a parent currently affiliated to `organismeCode` (a parent that fund manages),
   * locked; null otherwise. Used for a card of the dependant's own, opened by a parent's fund.
   */
  async lockDependantOf(
    em: EntityManager,
    organismeCode: string,
    today: string,
    dependantId: string,
  ): Promise<{ id: string; birthDate: string } | null> {
    const { rows } = await run<{ id: string; birth_date: string }>(
      em,
      `SELECT b.id, to_char(b.birth_date, 'YYYY-MM-DD') AS birth_date FROM beneficiary b
        WHERE b.id = $1
          AND EXISTS (SELECT 1 FROM attachment a JOIN affiliation f ON f.beneficiary_id = a.parent_id
                       WHERE a.dependant_id = b.id AND a.valid_from <= $3 AND (a.valid_to IS NULL OR a.valid_to > $3)
                         AND f.organisme_code = $2 AND f.valid_from <= $3 AND (f.valid_to IS NULL OR f.valid_to > $3))
          FOR UPDATE OF b`,
      [dependantId, organismeCode, today],
    );
    return rows[0] ? { id: rows[0].id, birthDate: rows[0].birth_date } : null;
  }

  /** Whether the beneficiary is a dependant today (a current attachment to some parent). */
  async isDependant(em: EntityManager, beneficiaryId: string, today: string): Promise<boolean> {
    const { rows } = await run<{ n: number }>(
      em,
      `SELECT count(*)::int AS n FROM attachment
        WHERE dependant_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)`,
      [beneficiaryId, today],
    );
    return rows[0].n > 0;
  }

  /**
   * Dependants born on or before `bornBy` (they reach the age by the lead time's end) still on a parent's card today,
   * with a NIR, no card in the chain or in use and no open request, and never given the 16th-birthday request; each
   * with the organisme of the parent whose current attachment is the oldest (ties: the attachment created first) and
   * who has a current affiliation. Keyset by id, `limit` at a time.
   */
  async dueForOwnCard(
    em: EntityManager,
    today: string,
    bornBy: string,
    afterId: string | null,
    limit: number,
  ): Promise<Array<{ dependantId: string; organismeCode: string }>> {
    const { rows } = await run<{ dependant_id: string; organisme_code: string }>(
      em,
      `SELECT d.id AS dependant_id, p.organisme_code
         FROM beneficiary d
         JOIN LATERAL (
              SELECT f.organisme_code FROM attachment a
                JOIN affiliation f ON f.beneficiary_id = a.parent_id AND f.valid_from <= $1 AND (f.valid_to IS NULL OR f.valid_to > $1)
               WHERE a.dependant_id = d.id AND a.valid_from <= $1 AND (a.valid_to IS NULL OR a.valid_to > $1)
               ORDER BY a.valid_from, a.id LIMIT 1) p ON true
        WHERE d.id IN (SELECT a.dependant_id FROM attachment a WHERE a.valid_from <= $1 AND (a.valid_to IS NULL OR a.valid_to > $1))
          AND d.birth_date <= $2 AND d.nir IS NOT NULL
          AND ($3::uuid IS NULL OR d.id > $3)
          AND NOT EXISTS (SELECT 1 FROM card c WHERE c.beneficiary_id = d.id
                             AND c.state IN ('ordered', 'in_personalisation', 'shipped', 'active'))
          AND NOT EXISTS (SELECT 1 FROM card_request r WHERE r.beneficiary_id = d.id
                             AND (r.origin = 'sixteenth_birthday'
                                  OR r.status IN ('form_sent', 'photo_received', 'photo_rejected', 'photo_available', 'ordered', 'in_personalisation')))
        ORDER BY d.id
        LIMIT $4`,
      [today, bornBy, afterId, limit],
    );
    return rows.map((r) => ({ dependantId: r.dependant_id, organismeCode: r.organisme_code }));
  }
}

/**
 * Attachments written on a connection of its own to the product's database, in one transaction (`npm run demo`, which
 * plays the register from outside the running product until the register's families API takes over). The family
 * rules and the chip records' triggers apply as for any write.
 */
export async function attachOnOwnConnection(url: string, inputs: AttachmentInput[]): Promise<void> {
  const client = await ownConnection(url, 'vitale-demo');
  try {
    await client.query('BEGIN');
    for (const a of inputs)
      await client.query(
        `INSERT INTO attachment (dependant_id, parent_id, valid_from, valid_to, coverage, ald_periods)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`,
        [a.dependantId, a.parentId, a.validFrom, a.validTo, JSON.stringify(a.coverage), JSON.stringify(a.aldPeriods)],
      );
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await client.end().catch(() => {});
  }
}
