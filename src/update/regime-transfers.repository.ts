import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import { CURRENT } from '../register/sql.js';
import type { RegimeTransferMapping } from './regime-transfer.entity.js';

export interface RegimeTransferRow {
  id: string;
  effectiveDate: string;
  mappings: RegimeTransferMapping[];
  status: string;
  insuredCount: number;
  cardsCount: number;
  skippedCount: number;
  mutationsCount: number;
  appliedCount: number;
  cursorOrganisme: string | null;
  cursorBeneficiary: string | null;
  failure: string | null;
  requestId: string | null;
  createdAt: Date;
  recordedAt: Date | null;
  appliedAt: Date | null;
}

/** One insured of a source organisme met by the recording job; `skip` says why they are left alone (null: moved). */
export interface TransferCandidate {
  affiliationId: string;
  beneficiaryId: string;
  skip: 'affiliation_ends' | 'affiliation_starts' | 'mutation_pending' | null;
}

const COLUMNS = `id, effective_date::text AS "effectiveDate", mappings, status, insured_count AS "insuredCount", cards_count AS "cardsCount",
  skipped_count AS "skippedCount", mutations_count AS "mutationsCount", applied_count AS "appliedCount", cursor_organisme AS "cursorOrganisme",
  cursor_beneficiary::text AS "cursorBeneficiary", failure, request_id AS "requestId", created_at AS "createdAt", recorded_at AS "recordedAt",
  applied_at AS "appliedAt"`;

/** Key of the transaction-level advisory lock that serialises the creation of transfers (their source checks). */
const CREATE_LOCK = 0x7265_6774; // "regt"

/** The SQL of regime transfers: the transfer rows and the set-based recording of one chunk of insured. */
@Injectable()
export class RegimeTransfersRepository {
  /** Two operators creating transfers at once could both pass the "source not already in a transfer" check. */
  async lockCreation(em: EntityManager): Promise<void> {
    await run(em, `SELECT pg_advisory_xact_lock($1)`, [CREATE_LOCK]);
  }

  async missingOrganismes(em: EntityManager, codes: string[]): Promise<string[]> {
    const { rows } = await run<{ code: string }>(
      em,
      `SELECT x.code FROM unnest($1::char(9)[]) AS x(code)
        WHERE NOT EXISTS (SELECT 1 FROM organisme o WHERE o.code = x.code AND o.active) ORDER BY x.code`,
      [codes],
    );
    return rows.map((r) => r.code);
  }

  /** Source organismes already in a transfer not yet in force (pending, recording, recorded or failed). */
  async busySources(em: EntityManager, codes: string[]): Promise<Array<{ code: string; transferId: string }>> {
    const { rows } = await run<{ code: string; transferId: string }>(
      em,
      `SELECT DISTINCT m->>'fromOrganismeCode' AS code, t.id AS "transferId"
         FROM regime_transfer t CROSS JOIN jsonb_array_elements(t.mappings) AS m
        WHERE t.status <> 'applied' AND m->>'fromOrganismeCode' = ANY($1::text[])
        ORDER BY 1`,
      [codes],
    );
    return rows;
  }

  async insert(
    em: EntityManager,
    t: {
      effectiveDate: string;
      mappings: RegimeTransferMapping[];
      requestedBy: string | null;
      requestId: string | null;
    },
  ): Promise<RegimeTransferRow> {
    const { rows } = await run<RegimeTransferRow>(
      em,
      `INSERT INTO regime_transfer (effective_date, mappings, requested_by, request_id) VALUES ($1, $2::jsonb, $3, $4)
       RETURNING ${COLUMNS}`,
      [t.effectiveDate, JSON.stringify(t.mappings), t.requestedBy, t.requestId],
    );
    return rows[0];
  }

  async find(em: EntityManager, id: string, lock = false): Promise<RegimeTransferRow | undefined> {
    const { rows } = await run<RegimeTransferRow>(
      em,
      `SELECT ${COLUMNS} FROM regime_transfer WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  /** Newest first; with `after`, those that come after that transfer in this order (a page's cursor). */
  async list(em: EntityManager, limit: number, after: string | null = null): Promise<RegimeTransferRow[]> {
    const { rows } = await run<RegimeTransferRow>(
      em,
      `SELECT ${COLUMNS} FROM regime_transfer t
        WHERE $2::uuid IS NULL
           OR EXISTS (SELECT 1 FROM regime_transfer c
                       WHERE c.id = $2 AND (t.created_at < c.created_at OR (t.created_at = c.created_at AND t.id > c.id)))
        ORDER BY created_at DESC, id LIMIT $1`,
      [limit, after],
    );
    return rows;
  }

  async setStatus(em: EntityManager, id: string, status: string, failure: string | null = null): Promise<void> {
    await run(em, `UPDATE regime_transfer SET status = $2, failure = $3 WHERE id = $1`, [id, status, failure]);
  }

  /**
   * The next insured of source organisme `from` after `after` (beneficiary id order: the (organisme_code,
   * beneficiary_id) index of affiliation) whose affiliation to it is current on the effective date, locked as a
   * single change of fund locks them. Those already switched are not here: their affiliation ends on the date, so it
   * is no longer current on it.
   */
  async lockChunk(
    em: EntityManager,
    from: string,
    after: string,
    effectiveDate: string,
    limit: number,
  ): Promise<TransferCandidate[]> {
    const { rows } = await run<TransferCandidate>(
      em,
      `SELECT a.id::text AS "affiliationId", a.beneficiary_id::text AS "beneficiaryId",
              CASE WHEN a.valid_to IS NOT NULL THEN 'affiliation_ends'
                   WHEN a.valid_from >= $3::date THEN 'affiliation_starts'
                   WHEN EXISTS (SELECT 1 FROM card_mutation m WHERE m.beneficiary_id = a.beneficiary_id AND m.applied_at IS NULL) THEN 'mutation_pending'
              END AS skip
         FROM affiliation a JOIN beneficiary b ON b.id = a.beneficiary_id
        WHERE a.organisme_code = $1 AND a.beneficiary_id > $2::uuid AND ${CURRENT('a', '$3::date')}
        ORDER BY a.beneficiary_id
        LIMIT $4
        FOR UPDATE OF b, a`,
      [from, after, effectiveDate, limit],
    );
    return rows;
  }

  /** Adds one chunk's counts and moves the cursor, in the chunk's transaction. */
  async advance(
    em: EntityManager,
    id: string,
    c: {
      insured: number;
      cards: number;
      skipped: number;
      mutations: number;
      cursorOrganisme: string;
      cursorBeneficiary: string;
    },
  ): Promise<void> {
    await run(
      em,
      `UPDATE regime_transfer SET insured_count = insured_count + $2, cards_count = cards_count + $3, skipped_count = skipped_count + $4,
              mutations_count = mutations_count + $5, cursor_organisme = $6, cursor_beneficiary = $7, status = 'recording', failure = NULL
        WHERE id = $1`,
      [id, c.insured, c.cards, c.skipped, c.mutations, c.cursorOrganisme, c.cursorBeneficiary],
    );
  }

  /** Every source done: `recorded`, or `applied` at once when in force and everything is already applied. */
  async finish(em: EntityManager, id: string, today: string): Promise<string> {
    const { rows } = await run<{ status: string }>(
      em,
      `UPDATE regime_transfer
          SET status = CASE WHEN effective_date <= $2::date AND applied_count >= mutations_count THEN 'applied' ELSE 'recorded' END,
              applied_at = CASE WHEN effective_date <= $2::date AND applied_count >= mutations_count THEN now() END,
              recorded_at = now(), failure = NULL
        WHERE id = $1 RETURNING status`,
      [id, today],
    );
    return rows[0].status;
  }

  /**
   * Counts applied mutations on their regime transfers; a transfer fully recorded whose every mutation is applied
   * becomes `applied`. The row lock of this UPDATE serialises it with the recording job's last step.
   */
  async countTransferApplied(em: EntityManager, perTransfer: Map<string, number>): Promise<void> {
    if (perTransfer.size === 0) return;
    await run(
      em,
      `UPDATE regime_transfer t
          SET applied_count = t.applied_count + x.n,
              status = CASE WHEN t.status = 'recorded' AND t.applied_count + x.n >= t.mutations_count THEN 'applied' ELSE t.status END,
              applied_at = CASE WHEN t.status = 'recorded' AND t.applied_count + x.n >= t.mutations_count THEN now() ELSE t.applied_at END
         FROM unnest($1::uuid[], $2::int[]) AS x(id, n)
        WHERE t.id = x.id`,
      [[...perTransfer.keys()], [...perTransfer.values()]],
    );
  }

  /** Recorded transfers in force with nothing left to apply (also those that moved nobody) become `applied`. */
  async closeAppliedTransfers(em: EntityManager, day: string): Promise<number> {
    const { count } = await run(
      em,
      `UPDATE regime_transfer SET status = 'applied', applied_at = now()
        WHERE status = 'recorded' AND effective_date <= $1::date AND applied_count >= mutations_count`,
      [day],
    );
    return count;
  }
}
