import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { run } from '../../platform/database/sql.js';
import { RequestStatus } from '../requests/request-status.enum.js';

export interface RequestMove {
  id: string;
  status: RequestStatus;
  /** The request's card from now on (a re-made card after a failure); unchanged when absent. */
  cardId?: string | null;
}

/**
 * Moves card requests along steps 4-6, set-based: one UPDATE for many requests and one card_request_step row
 * per request that moved (the step history the lead times are computed from). Only requests still in one of
 * `from` move; the caller holds their row locks. The requests are found by primary key (`id = ANY`): joined to the
 * moves alone, the planner hashed every request in the `from` states, a scan of the whole table per call.
 */
@Injectable()
export class RequestProgressRepository {
  async move(em: EntityManager, moves: RequestMove[], from: RequestStatus[]): Promise<Array<{ id: string; status: RequestStatus; organismeCode: string }>> {
    if (moves.length === 0) return [];
    const { rows } = await run<{ id: string; status: RequestStatus; organismeCode: string }>(em,
      `WITH m AS (SELECT * FROM unnest($1::uuid[], $2::request_status[], $3::uuid[]) AS m(id, status, card_id)),
       upd AS (
         UPDATE card_request r
            SET status = m.status, card_id = COALESCE(m.card_id, r.card_id), status_changed_at = now(), updated_at = now(),
                version = r.version + 1, reinjections = 0
           FROM m
          WHERE r.id = ANY($1::uuid[]) AND r.id = m.id AND r.status = ANY($4::request_status[])
         RETURNING r.id, r.status, r.organisme_code),
       steps AS (INSERT INTO card_request_step (request_id, status) SELECT id, status FROM upd)
       SELECT id, status::text AS status, organisme_code AS "organismeCode" FROM upd`,
      [moves.map((m) => m.id), moves.map((m) => m.status), moves.map((m) => m.cardId ?? null), from],
    );
    return rows;
  }
}
