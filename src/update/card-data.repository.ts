import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';

/** The one place a whole chip record is written and the card's target version raised (funds, mutations, NIR changes). */
@Injectable()
export class CardDataRepository {
  /**
   * Stores the record whole; the target version rises by one only when the content changed (or `force`, when the
   * chip must be rewritten although the record reads the same). Answers the new version, or null when unchanged.
   */
  async writeRecord(em: EntityManager, cardId: string, recordType: string, content: unknown, force = false): Promise<number | null> {
    const { rows: st } = await run<{ target_version: number }>(em,
      `SELECT coalesce((SELECT target_version FROM card_update_state WHERE card_id = $1), 0) AS target_version`, [cardId]);
    const next = st[0].target_version + 1;
    const { rows } = await run(em,
      `INSERT INTO card_data_record (card_id, record_type, content, version) VALUES ($1, $2, $3::jsonb, $4)
       ON CONFLICT (card_id, record_type) DO UPDATE SET content = excluded.content, version = excluded.version, updated_at = now()
         WHERE $5 OR card_data_record.content IS DISTINCT FROM excluded.content
       RETURNING version`, [cardId, recordType, JSON.stringify(content), next, force]);
    if (rows.length === 0) return null;
    await run(em, `INSERT INTO card_update_state (card_id, target_version) VALUES ($1, $2)
                   ON CONFLICT (card_id) DO UPDATE SET target_version = excluded.target_version`, [cardId, next]);
    return next;
  }

  async recordVersion(em: EntityManager, cardId: string, recordType: string): Promise<number | null> {
    const { rows } = await run<{ version: number }>(em, `SELECT version FROM card_data_record WHERE card_id = $1 AND record_type = $2`, [cardId, recordType]);
    return rows[0]?.version ?? null;
  }
}
