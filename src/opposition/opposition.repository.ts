import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import type { OppositionListRow } from './list-producer.js';

/**
 * The reads and writes of the opposition module (the streamed list production has its own connection and SQL in
 * list-producer.ts, where the COPY stream is).
 */
/** Most lists in one page of GET /v1/opposition-lists. */
export const LISTS_PAGE = 1000;

@Injectable()
export class OppositionRepository {
  constructor(private readonly dataSource: DataSource) {}

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
