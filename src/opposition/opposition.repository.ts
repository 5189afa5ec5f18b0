import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CardState, OppositionReason } from '../cards/card-state.enum.js';
import { run } from '../platform/database/sql.js';
import type { OppositionListRow } from './list-producer.js';

/** A card as an opposition declaration or withdrawal sees it, with its withdrawal window computed in SQL. */
export interface LockedCard {
  id: string;
  serial: string;
  organisme_code: string;
  state: CardState;
  opposition_reason: OppositionReason | null;
  state_changed_at: Date;
  withdrawable_until: Date;
  too_late: boolean;
  /** Another card of the same holder is ordered, being made, shipped or active: a replacement. */
  replaced: boolean;
}

/**
 * The reads and writes of the opposition module (the streamed list production has its own connection and SQL in
 * list-producer.ts, where the COPY stream is).
 */
/** Most lists in one page of GET /v1/opposition-lists. */
export const LISTS_PAGE = 1000;

@Injectable()
export class OppositionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The card by serial if the scope reaches it (null scope: every card), optionally locked. */
  async card(em: EntityManager, serial: string, scope: string | null, withdrawalHours: number, forUpdate: boolean): Promise<LockedCard | null> {
    const { rows } = await run<LockedCard>(em,
      `SELECT id, serial::text, organisme_code, state, opposition_reason, state_changed_at,
              state_changed_at + make_interval(hours => $3) AS withdrawable_until,
              now() > state_changed_at + make_interval(hours => $3) AS too_late,
              EXISTS (SELECT 1 FROM card o WHERE o.beneficiary_id = card.beneficiary_id AND o.id <> card.id
                         AND o.state IN ('ordered', 'in_personalisation', 'shipped', 'active')) AS replaced
         FROM card WHERE serial = $1 AND ($2::text IS NULL OR organisme_code = $2) ${forUpdate ? 'FOR UPDATE' : ''}`,
      [serial, scope, withdrawalHours]);
    return rows[0] ?? null;
  }

  listsAfter(after: number, limit = LISTS_PAGE): Promise<OppositionListRow[]> {
    return this.dataSource.query(`SELECT * FROM opposition_list WHERE number > $1 ORDER BY number LIMIT $2`, [after, limit]);
  }

  async list(number: number): Promise<OppositionListRow | null> {
    const [row] = await this.dataSource.query(`SELECT * FROM opposition_list WHERE number = $1`, [number]);
    return row ?? null;
  }

  async latest(kind: string): Promise<OppositionListRow | null> {
    const [row] = await this.dataSource.query(`SELECT * FROM opposition_list WHERE kind = $1 ORDER BY number DESC LIMIT 1`, [kind]);
    return row ?? null;
  }

  listFiles(): Promise<Array<{ text_file: string; compact_file: string }>> {
    return this.dataSource.query(`SELECT text_file, compact_file FROM opposition_list ORDER BY number`);
  }

  /** The active pharmacy-software partner whose id starts with the hex digits of a concentrator login, with its keys. */
  async concentratorByLoginPrefix(hex: string): Promise<Array<{ partnerId: string; publicKeys: string[] }>> {
    const { rows } = await run<{ partnerId: string; publicKeys: string[] }>(this.dataSource.manager,
      `SELECT p.id AS "partnerId", COALESCE(array_agg(k.public_key ORDER BY k.created_at) FILTER (WHERE k.id IS NOT NULL), '{}') AS "publicKeys"
         FROM partner p LEFT JOIN sftp_public_key k ON k.partner_id = p.id AND k.revoked_at IS NULL
        WHERE p.active AND p.kind = 'pharmacy_software' AND replace(p.id::text, '-', '') LIKE $1 || '%'
        GROUP BY p.id`, [hex]);
    return rows;
  }

  async isActiveConcentrator(em: EntityManager, partnerId: string): Promise<boolean> {
    const { rows } = await run(em, `SELECT 1 FROM partner WHERE id = $1 AND active AND kind = 'pharmacy_software'`, [partnerId]);
    return rows.length > 0;
  }

  /** Registers a key; null when the fingerprint is already registered (to anyone). */
  async insertKey(em: EntityManager, partnerId: string, algorithm: string, publicKey: string, fingerprint: string): Promise<{ id: string; createdAt: Date } | null> {
    const { rows } = await run<{ id: string; createdAt: Date }>(em,
      `INSERT INTO sftp_public_key (partner_id, algorithm, public_key, fingerprint) VALUES ($1, $2, $3, $4)
       ON CONFLICT (fingerprint) DO NOTHING RETURNING id, created_at AS "createdAt"`,
      [partnerId, algorithm, publicKey, fingerprint]);
    return rows[0] ?? null;
  }
}
