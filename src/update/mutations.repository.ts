import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import { CURRENT } from '../register/sql.js';
import { CardMutationKind } from './mutation.entity.js';

export interface CurrentAffiliation {
  id: string;
  organismeCode: string;
  validFrom: string;
  validTo: string | null;
}
export interface MutationStats {
  cardsKept: number;
  fundChanges: number;
  nirChanges: number;
  regimeTransfers: number;
  pending: number;
}

export interface MutationRow {
  id: string;
  beneficiaryId: string;
  cardId: string | null;
  serial: string | null;
  fromOrganisme: string;
  toOrganisme: string;
  effectiveDate: string;
  kind: string;
  transferId?: string | null;
}

/** The SQL of mutations that keep the card. Scoping as in the register: a fund reaches only its current affiliates. */
/** Advisory lock key of the due-mutation runs ("mapl"). */
const APPLY_RUN_LOCK = 0x6d61_706c;

@Injectable()
export class MutationsRepository {
  /**
   * Locks the beneficiary and answers its current affiliation on `today`, when the scope reaches it (a fund: only
   * through a current affiliation to its own organisme; an operator: any beneficiary with a current affiliation).
   */
  async lockCurrent(
    em: EntityManager,
    organismeCode: string | null,
    id: string,
    today: string,
  ): Promise<CurrentAffiliation | null> {
    const { rows } = await run<CurrentAffiliation>(
      em,
      `SELECT a.id, a.organisme_code AS "organismeCode", a.valid_from::text AS "validFrom", a.valid_to::text AS "validTo"
         FROM beneficiary b JOIN affiliation a ON a.beneficiary_id = b.id AND ${CURRENT('a', '$2::date')}
        WHERE b.id = $1 AND ($3::char(9) IS NULL OR a.organisme_code = $3)
        FOR UPDATE OF b, a`,
      [id, today, organismeCode],
    );
    return rows[0] ?? null;
  }

  async beneficiaryExists(em: EntityManager, id: string): Promise<boolean> {
    const { rows } = await run(em, `SELECT 1 FROM beneficiary WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  async organismeExists(em: EntityManager, code: string): Promise<boolean> {
    const { rows } = await run(em, `SELECT 1 FROM organisme WHERE code = $1 AND active`, [code]);
    return rows.length > 0;
  }

  async hasPending(em: EntityManager, beneficiaryId: string): Promise<boolean> {
    const { rows } = await run(em, `SELECT 1 FROM card_mutation WHERE beneficiary_id = $1 AND applied_at IS NULL`, [
      beneficiaryId,
    ]);
    return rows.length > 0;
  }

  async insert(
    em: EntityManager,
    m: {
      beneficiaryId: string;
      cardId: string | null;
      from: string;
      to: string;
      effectiveDate: string;
      kind: string;
      applied?: boolean;
    },
  ): Promise<MutationRow> {
    const { rows } = await run<MutationRow>(
      em,
      `INSERT INTO card_mutation (beneficiary_id, card_id, from_organisme, to_organisme, effective_date, kind, applied_at)
       VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::boolean THEN now() END)
       RETURNING id, beneficiary_id AS "beneficiaryId", card_id AS "cardId", NULL::text AS serial, from_organisme AS "fromOrganisme",
                 to_organisme AS "toOrganisme", effective_date::text AS "effectiveDate", kind`,
      [m.beneficiaryId, m.cardId, m.from, m.to, m.effectiveDate, m.kind, m.applied ?? false],
    );
    return rows[0];
  }

  /**
   * Mutations not yet applied whose date has come, oldest first, at most `limit` (null: all), locked (others working
   * on them are skipped).
   */
  /**
   * Serialises the chunks of concurrent due-mutation runs (the hourly job, an operator's call, a mutation recorded
   * today): with SKIP LOCKED alone, a second run could take a beneficiary's later mutation while the first still
   * holds the earlier one, and apply them out of order. Held until the chunk's transaction ends.
   */
  async lockApplyRun(em: EntityManager): Promise<void> {
    await run(em, `SELECT pg_advisory_xact_lock($1)`, [APPLY_RUN_LOCK]);
  }

  async lockDue(
    em: EntityManager,
    day: string,
    beneficiaryId: string | null = null,
    limit: number | null = null,
  ): Promise<MutationRow[]> {
    const { rows } = await run<MutationRow>(
      em,
      `SELECT m.id, m.beneficiary_id AS "beneficiaryId", m.card_id AS "cardId", c.serial::text AS serial, m.from_organisme AS "fromOrganisme",
              m.to_organisme AS "toOrganisme", m.effective_date::text AS "effectiveDate", m.kind, m.transfer_id AS "transferId"
         FROM card_mutation m LEFT JOIN card c ON c.id = m.card_id
        WHERE m.applied_at IS NULL AND m.effective_date <= $1::date AND ($2::uuid IS NULL OR m.beneficiary_id = $2)
        ORDER BY m.effective_date, m.created_at, m.id
        LIMIT $3
        FOR UPDATE OF m SKIP LOCKED`,
      [day, beneficiaryId, limit],
    );
    return rows;
  }

  async markApplied(em: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await run(em, `UPDATE card_mutation SET applied_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async stats(em: EntityManager): Promise<MutationStats> {
    const { rows } = await run<MutationStats>(
      em,
      `SELECT count(*) FILTER (WHERE applied_at IS NOT NULL AND card_id IS NOT NULL)::int AS "cardsKept",
              count(*) FILTER (WHERE applied_at IS NOT NULL AND card_id IS NOT NULL AND kind = 'fund_change')::int AS "fundChanges",
              count(*) FILTER (WHERE applied_at IS NOT NULL AND card_id IS NOT NULL AND kind = 'nir_change')::int AS "nirChanges",
              count(*) FILTER (WHERE applied_at IS NOT NULL AND card_id IS NOT NULL AND kind = 'regime_transfer')::int AS "regimeTransfers",
              count(*) FILTER (WHERE applied_at IS NULL)::int AS pending
         FROM card_mutation`,
    );
    return rows[0];
  }

  /**
   * The mutation rows of one chunk in one INSERT: one per movable card of an insured, or one with no card for an
   * insured without one (`cardIds[i]` null), in the order given.
   */
  async insertMutations(
    em: EntityManager,
    transferId: string,
    rows: Array<{ beneficiaryId: string; cardId: string | null }>,
    from: string,
    to: string,
    date: string,
  ): Promise<void> {
    await run(
      em,
      `INSERT INTO card_mutation (beneficiary_id, card_id, from_organisme, to_organisme, effective_date, kind, transfer_id)
       SELECT x.b, x.c, $3, $4, $5, $6, $7
         FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS x(b, c, ord)
        ORDER BY x.ord`,
      [
        rows.map((r) => r.beneficiaryId),
        rows.map((r) => r.cardId),
        from,
        to,
        date,
        CardMutationKind.RegimeTransfer,
        transferId,
      ],
    );
  }
}
