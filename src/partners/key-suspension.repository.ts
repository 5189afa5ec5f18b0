import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';

export interface SuspensionRow {
  id: string;
  apiKeyId: string;
  partnerId: string;
  keyPrefix: string;
  reason: string;
  unprovenCards: number;
  threshold: number;
  suspendedAt: Date;
  liftedAt: Date | null;
  liftedByPartnerId: string | null;
}

const COLUMNS = `s.id::text, s.api_key_id AS "apiKeyId", k.partner_id AS "partnerId", k.prefix AS "keyPrefix", s.reason,
                 s.unproven_cards AS "unprovenCards", s.threshold, s.suspended_at AS "suspendedAt", s.lifted_at AS "liftedAt",
                 s.lifted_by_partner_id AS "liftedByPartnerId"`;

/**
 * API keys suspended by the kiosk enumeration guard (table api_key_suspension). A key with an open suspension
 * authenticates nowhere: PartnerRepository.findActiveKeyByPrefix leaves it out. One open suspension per key (a
 * partial unique index), so two instances deciding at once record it once.
 */
@Injectable()
export class KeySuspensionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Opens a suspension unless one is open; the new row, or undefined when the key was already suspended. */
  async suspend(
    em: EntityManager,
    apiKeyId: string,
    reason: string,
    unprovenCards: number,
    threshold: number,
  ): Promise<{ id: string; suspendedAt: Date } | undefined> {
    const { rows } = await run<{ id: string; suspendedAt: Date }>(
      em,
      `INSERT INTO api_key_suspension (api_key_id, reason, unproven_cards, threshold) VALUES ($1, $2, $3, $4)
       ON CONFLICT (api_key_id) WHERE lifted_at IS NULL DO NOTHING
       RETURNING id::text, suspended_at AS "suspendedAt"`,
      [apiKeyId, reason, unprovenCards, threshold],
    );
    return rows[0];
  }

  /** Lifts the open suspension of a key of this partner; undefined when there is none. */
  async lift(
    em: EntityManager,
    partnerId: string,
    apiKeyId: string,
    by: { partnerId: string | null; kind: string },
  ): Promise<SuspensionRow | undefined> {
    const { rows } = await run<SuspensionRow>(
      em,
      `UPDATE api_key_suspension s SET lifted_at = now(), lifted_by_partner_id = $3, lifted_by_kind = $4
         FROM api_key k
        WHERE s.api_key_id = k.id AND k.id = $2 AND k.partner_id = $1 AND s.lifted_at IS NULL
       RETURNING ${COLUMNS}`,
      [partnerId, apiKeyId, by.partnerId, by.kind],
    );
    return rows[0];
  }

  async keyBelongsTo(partnerId: string, apiKeyId: string): Promise<boolean> {
    const { rows } = await run(this.dataSource.manager, `SELECT 1 FROM api_key WHERE id = $1 AND partner_id = $2`, [
      apiKeyId,
      partnerId,
    ]);
    return rows.length > 0;
  }

  /** The last time each of these keys had a suspension lifted (keys never lifted are absent). */
  async lastLifts(apiKeyIds: string[]): Promise<Map<string, number>> {
    if (apiKeyIds.length === 0) return new Map();
    const { rows } = await run<{ apiKeyId: string; liftedAt: Date }>(
      this.dataSource.manager,
      `SELECT api_key_id AS "apiKeyId", max(lifted_at) AS "liftedAt" FROM api_key_suspension
        WHERE api_key_id = ANY ($1::uuid[]) AND lifted_at IS NOT NULL GROUP BY api_key_id`,
      [apiKeyIds],
    );
    return new Map(rows.map((r) => [r.apiKeyId, new Date(r.liftedAt).getTime()]));
  }

  /** Suspensions, newest first (`before`: the id of the last one read), open ones only when asked. */
  async list(q: { open?: boolean; partnerId?: string; before?: string; limit: number }): Promise<SuspensionRow[]> {
    const { rows } = await run<SuspensionRow>(
      this.dataSource.manager,
      `SELECT ${COLUMNS} FROM api_key_suspension s JOIN api_key k ON k.id = s.api_key_id
        WHERE ($1::boolean IS NULL OR (s.lifted_at IS NULL) = $1)
          AND ($2::uuid IS NULL OR k.partner_id = $2)
          AND ($3::bigint IS NULL OR s.id < $3)
        ORDER BY s.id DESC LIMIT $4`,
      [q.open ?? null, q.partnerId ?? null, q.before ?? null, q.limit],
    );
    return rows;
  }

  /** When each key of a partner was suspended, for its keys that are (partner detail view). */
  async openForPartner(partnerId: string): Promise<Map<string, Date>> {
    const { rows } = await run<{ apiKeyId: string; suspendedAt: Date }>(
      this.dataSource.manager,
      `SELECT s.api_key_id AS "apiKeyId", s.suspended_at AS "suspendedAt" FROM api_key_suspension s JOIN api_key k ON k.id = s.api_key_id
        WHERE k.partner_id = $1 AND s.lifted_at IS NULL`,
      [partnerId],
    );
    return new Map(rows.map((r) => [r.apiKeyId, r.suspendedAt]));
  }

  async countOpen(): Promise<number> {
    const {
      rows: [{ n }],
    } = await run<{ n: number }>(
      this.dataSource.manager,
      `SELECT count(*)::int AS n FROM api_key_suspension WHERE lifted_at IS NULL`,
    );
    return n;
  }
}
