import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { run } from '../../platform/database/sql.js';
import { CURRENT } from '../../register/sql.js';
import type { CardRequestRecord } from '../requests/card-requests.service.js';

/** The part of a card request that ordering reads, under its row lock. */
export type LockedRequest = Pick<
  CardRequestRecord,
  'id' | 'beneficiaryId' | 'organismeCode' | 'reason' | 'status' | 'autoOrder' | 'photoId' | 'cardId' | 'replacedCardId'
>;

export interface OrderPhoto {
  id: string;
  chipKey: string | null;
  printKey: string | null;
  receivedAt: Date;
  tooOld: boolean;
}

/**
 * The reads of step 4 (ordering a card): the request under lock, the register, the photo, the holder's cards. The
 * set-based reads name their rows with `= ANY` on an indexed column: joined to the input list alone, the planner
 * hashed the whole affiliation or photo table for each fetch of 500.
 */
@Injectable()
export class OrderRepository {
  /** Locks the request for the caller's transaction; a fund (scope) reaches only its organisme's requests. */
  async lockRequest(em: EntityManager, id: string, scopeOrganismeCode: string | null): Promise<LockedRequest | null> {
    const { rows } = await run<LockedRequest>(
      em,
      `SELECT id, beneficiary_id AS "beneficiaryId", organisme_code AS "organismeCode", reason, status, auto_order AS "autoOrder",
              photo_id AS "photoId", card_id AS "cardId", replaced_card_id AS "replacedCardId"
         FROM card_request WHERE id = $1 AND ($2::char(9) IS NULL OR organisme_code = $2) FOR UPDATE`,
      [id, scopeOrganismeCode],
    );
    return rows[0] ?? null;
  }

  /** Locks many requests (in id order, so two callers never deadlock); a fund (scope) reaches only its own. */
  async lockRequests(em: EntityManager, ids: string[], scopeOrganismeCode: string | null): Promise<LockedRequest[]> {
    const { rows } = await run<LockedRequest>(
      em,
      `SELECT id, beneficiary_id AS "beneficiaryId", organisme_code AS "organismeCode", reason, status, auto_order AS "autoOrder",
              photo_id AS "photoId", card_id AS "cardId", replaced_card_id AS "replacedCardId"
         FROM card_request WHERE id = ANY($1::uuid[]) AND ($2::char(9) IS NULL OR organisme_code = $2) ORDER BY id FOR UPDATE`,
      [ids, scopeOrganismeCode],
    );
    return rows;
  }

  /**
   * Which (beneficiary, organisme) pairs may have a card ordered on `today`: an affiliation current to that organisme,
   * or (a dependant's own card) a current attachment to a parent with one. Keys `beneficiaryId|organismeCode`.
   */
  async affiliatedPairs(
    em: EntityManager,
    pairs: Array<{ beneficiaryId: string; organismeCode: string }>,
    today: string,
  ): Promise<Set<string>> {
    if (pairs.length === 0) return new Set();
    const { rows } = await run<{ k: string }>(
      em,
      `SELECT DISTINCT a.beneficiary_id || '|' || a.organisme_code AS k
         FROM unnest($1::uuid[], $2::char(9)[]) AS p(b, o)
         JOIN affiliation a ON a.beneficiary_id = p.b AND a.organisme_code = p.o AND ${CURRENT('a', '$3::date')}
        WHERE a.beneficiary_id = ANY($1::uuid[])`,
      [pairs.map((p) => p.beneficiaryId), pairs.map((p) => p.organismeCode), today],
    );
    const found = new Set(rows.map((r) => r.k));
    // A young person's own card (from 12, or the 16th-birthday job) is ordered under the fund of a parent who carries
    // them: they become an insured of their own when that card is active. Asked only for the pairs not found above.
    const rest = pairs.filter((p) => !found.has(`${p.beneficiaryId}|${p.organismeCode}`));
    if (rest.length === 0) return found;
    const { rows: carried } = await run<{ k: string }>(
      em,
      `SELECT DISTINCT t.dependant_id || '|' || a.organisme_code AS k
         FROM unnest($1::uuid[], $2::char(9)[]) AS p(b, o)
         JOIN attachment t ON t.dependant_id = p.b AND ${CURRENT('t', '$3::date')}
         JOIN affiliation a ON a.beneficiary_id = t.parent_id AND a.organisme_code = p.o AND ${CURRENT('a', '$3::date')}
        WHERE t.dependant_id = ANY($1::uuid[])`,
      [rest.map((p) => p.beneficiaryId), rest.map((p) => p.organismeCode), today],
    );
    for (const r of carried) found.add(r.k);
    return found;
  }

  /** The accepted photos of many requests, by photo id, with whether each is older than `maxAgeDays`. */
  async acceptedPhotos(
    em: EntityManager,
    refs: Array<{ photoId: string; requestId: string }>,
    maxAgeDays: number,
  ): Promise<Map<string, OrderPhoto>> {
    if (refs.length === 0) return new Map();
    const { rows } = await run<OrderPhoto>(
      em,
      `SELECT ph.id, ph.chip_key AS "chipKey", ph.print_key AS "printKey", ph.received_at AS "receivedAt",
              ph.received_at < now() - make_interval(days => $3) AS "tooOld"
         FROM unnest($1::uuid[], $2::uuid[]) AS r(photo_id, request_id)
         JOIN photo ph ON ph.id = r.photo_id AND ph.request_id = r.request_id AND ph.status = 'accepted'
        WHERE ph.id = ANY($1::uuid[])`,
      [refs.map((r) => r.photoId), refs.map((r) => r.requestId), maxAgeDays],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The request's accepted photo and whether it was received more than `maxAgeDays` ago. */
  async acceptedPhoto(
    em: EntityManager,
    photoId: string,
    requestId: string,
    maxAgeDays: number,
  ): Promise<OrderPhoto | null> {
    const { rows } = await run<OrderPhoto>(
      em,
      `SELECT id, chip_key AS "chipKey", print_key AS "printKey", received_at AS "receivedAt",
              received_at < now() - make_interval(days => $3) AS "tooOld"
         FROM photo WHERE id = $1 AND request_id = $2 AND status = 'accepted'`,
      [photoId, requestId, maxAgeDays],
    );
    return rows[0] ?? null;
  }
}
