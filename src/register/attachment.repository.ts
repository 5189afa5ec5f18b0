import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { pgError, PG_CHECK_VIOLATION, PG_EXCLUSION_VIOLATION } from '../platform/database/pg-error.js';
import { RegisterErrors } from './register.errors.js';
import { CURRENT, run } from './sql.js';

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
  // Families (FamiliesService): reads scoped to a fund, the family rules' refusals as the register's errors.

  /** Attaches a dependant to a parent; a broken family rule (a constraint of the database) is the register's error. */
  async add(em: EntityManager, a: AttachmentInput): Promise<string> {
    try {
      const { rows } = await run<{ id: string }>(
        em,
        `INSERT INTO attachment (dependant_id, parent_id, valid_from, valid_to, coverage, ald_periods)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb) RETURNING id`,
        [a.dependantId, a.parentId, a.validFrom, a.validTo, JSON.stringify(a.coverage), JSON.stringify(a.aldPeriods)],
      );
      return rows[0].id;
    } catch (e) {
      throw familyRuleError(e) ?? e;
    }
  }

  /** Locks both people's register rows in id order (as the family trigger does), before counting a parent's dependants. */
  async lockPeople(em: EntityManager, ids: string[]): Promise<void> {
    await run(em, `SELECT 1 FROM beneficiary WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [ids]);
  }

  /** How many dependants a parent carries over any part of [from, to) (to null: open-ended). */
  async countOverlapping(em: EntityManager, parentId: string, from: string, to: string | null): Promise<number> {
    const { rows } = await run<{ n: number }>(
      em,
      `SELECT count(DISTINCT dependant_id)::int AS n FROM attachment
        WHERE parent_id = $1 AND daterange(valid_from, valid_to, '[)') && daterange($2::date, $3::date, '[)')`,
      [parentId, from, to],
    );
    return rows[0].n;
  }

  /**
   * A dependant as `organismeCode` reaches it on `today` (null: an operator, anyone): through an attachment that has
   * not ended to a parent currently affiliated to that organisme. `lock` takes its register row's lock.
   */
  async findDependant(em: EntityManager, scope: FamilyScope, id: string, lock = false): Promise<DependantRow | null> {
    const { rows } = await run<DependantRow>(
      em,
      `SELECT b.id, ${DEPENDANT_COLUMNS} FROM beneficiary b
        WHERE b.id = $1 AND ($2::char(9) IS NULL AND EXISTS (SELECT 1 FROM attachment t WHERE t.dependant_id = b.id)
              OR ${MANAGED_DEPENDANT('b.id', '$2', '$3')})${lock ? ' FOR NO KEY UPDATE OF b' : ''}`,
      [id, scope.organismeCode, scope.today],
    );
    return rows[0] ?? null;
  }

  /** The attachments of a dependant: those to parents the scope manages (operator: all), and how many others are current. */
  async attachmentsOf(
    em: EntityManager,
    scope: FamilyScope,
    dependantId: string,
  ): Promise<{ managed: AttachmentRow[]; others: number }> {
    const { rows } = await run<AttachmentRow & { managed: boolean }>(
      em,
      `SELECT ${ATTACHMENT_COLUMNS}, ($2::char(9) IS NULL OR EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = t.parent_id
              AND a.organisme_code = $2 AND ${CURRENT('a', '$3::date')})) AS managed
         FROM attachment t WHERE t.dependant_id = $1 ORDER BY t.valid_from, t.id`,
      [dependantId, scope.organismeCode, scope.today],
    );
    const current = (r: AttachmentRow) => r.validFrom <= scope.today && (r.validTo === null || r.validTo > scope.today);
    return {
      managed: rows.filter((r) => r.managed).map(({ managed: _m, ...r }) => r),
      others: rows.filter((r) => !r.managed && current(r)).length,
    };
  }

  /** Every attachment of a parent (the caller checked it may see the parent), with each dependant's identity. */
  async dependantsOf(em: EntityManager, parentId: string): Promise<Array<AttachmentRow & { dependant: DependantRow }>> {
    const { rows } = await run<AttachmentRow & DependantRow & { dependantRowId: string }>(
      em,
      `SELECT ${ATTACHMENT_COLUMNS}, ${DEPENDANT_COLUMNS}, b.id AS "dependantRowId"
         FROM attachment t JOIN beneficiary b ON b.id = t.dependant_id
        WHERE t.parent_id = $1 ORDER BY t.valid_from, b.birth_date, b.birth_rank, t.id`,
      [parentId],
    );
    return rows.map((r) => ({
      id: r.id,
      dependantId: r.dependantId,
      parentId: r.parentId,
      validFrom: r.validFrom,
      validTo: r.validTo,
      coverage: r.coverage,
      aldPeriods: r.aldPeriods,
      dependant: {
        id: r.dependantRowId,
        nir: r.nir,
        nirTemporary: r.nirTemporary,
        firstName: r.firstName,
        birthName: r.birthName,
        usageName: r.usageName,
        birthDate: r.birthDate,
        birthRank: r.birthRank,
        addressLines: r.addressLines,
        version: r.version,
      },
    }));
  }

  /**
   * One attachment whose parent the scope manages today (operator: any), with the parent's organisme; `lock` locks
   * the attachment row.
   */
  async findManaged(
    em: EntityManager,
    scope: FamilyScope,
    id: string,
    lock = false,
  ): Promise<(AttachmentRow & { parentOrganisme: string | null }) | null> {
    const { rows } = await run<AttachmentRow & { parentOrganisme: string | null }>(
      em,
      `SELECT ${ATTACHMENT_COLUMNS}, a.organisme_code AS "parentOrganisme"
         FROM attachment t LEFT JOIN affiliation a ON a.beneficiary_id = t.parent_id AND ${CURRENT('a', '$3::date')}
        WHERE t.id = $1 AND ($2::char(9) IS NULL OR a.organisme_code = $2)${lock ? ' FOR UPDATE OF t' : ''}`,
      [id, scope.organismeCode, scope.today],
    );
    return rows[0] ?? null;
  }

  async setRights(em: EntityManager, id: string, coverage: unknown[], aldPeriods: unknown[]): Promise<void> {
    await run(
      em,
      `UPDATE attachment SET coverage = $2::jsonb, ald_periods = $3::jsonb, updated_at = now()
        WHERE id = $1 AND (coverage, ald_periods) IS DISTINCT FROM ($2::jsonb, $3::jsonb)`,
      [id, JSON.stringify(coverage), JSON.stringify(aldPeriods)],
    );
  }

  async end(em: EntityManager, id: string, validTo: string): Promise<void> {
    try {
      await run(em, `UPDATE attachment SET valid_to = $2, updated_at = now() WHERE id = $1`, [id, validTo]);
    } catch (e) {
      throw familyRuleError(e) ?? e;
    }
  }

  /** The current attachments of a dependant with each parent's current organisme (whom to tell of a change). */
  async currentParents(
    em: EntityManager,
    dependantId: string,
    today: string,
  ): Promise<Array<{ attachmentId: string; parentId: string; organismeCode: string | null }>> {
    const { rows } = await run<{ attachmentId: string; parentId: string; organismeCode: string | null }>(
      em,
      `SELECT t.id::text AS "attachmentId", t.parent_id AS "parentId", a.organisme_code AS "organismeCode"
         FROM attachment t LEFT JOIN affiliation a ON a.beneficiary_id = t.parent_id AND ${CURRENT('a', '$2::date')}
        WHERE t.dependant_id = $1 AND ${CURRENT('t', '$2::date')} ORDER BY t.id`,
      [dependantId, today],
    );
    return rows;
  }

  /** The insured holding these NIRs with their current organisme (none when not affiliated today). */
  async insuredByNir(
    em: EntityManager,
    nirs: string[],
    today: string,
  ): Promise<Array<{ id: string; nir: string; organismeCode: string; addressLines: string[] }>> {
    const { rows } = await run<{ id: string; nir: string; organismeCode: string; addressLines: string[] }>(
      em,
      `SELECT b.id, b.nir, a.organisme_code AS "organismeCode", b.address_lines AS "addressLines"
         FROM beneficiary b JOIN affiliation a ON a.beneficiary_id = b.id AND ${CURRENT('a', '$2::date')}
        WHERE b.nir = ANY($1::char(15)[])`,
      [nirs, today],
    );
    return rows;
  }

  /** The dependants attached to each parent on that parent's day (one statement for a chunk of mutations). */
  async dependantsOn(
    em: EntityManager,
    parents: Array<{ parentId: string; day: string }>,
  ): Promise<Array<{ parentId: string; dependantId: string }>> {
    if (parents.length === 0) return [];
    const { rows } = await run<{ parentId: string; dependantId: string }>(
      em,
      `SELECT p.parent_id AS "parentId", t.dependant_id AS "dependantId"
         FROM unnest($1::uuid[], $2::date[]) AS p(parent_id, day)
         JOIN attachment t ON t.parent_id = p.parent_id AND ${CURRENT('t', 'p.day')}
        ORDER BY t.id`,
      [parents.map((p) => p.parentId), parents.map((p) => p.day)],
    );
    return rows;
  }

  /**
   * Runs `work` inside a savepoint of the caller's transaction: when it throws, only its own writes are undone (one
   * line of a bulk import refused by a family rule), and the error is rethrown.
   */
  async inSavepoint<T>(em: EntityManager, work: () => Promise<T>): Promise<T> {
    await run(em, `SAVEPOINT attachment_line`);
    try {
      const out = await work();
      await run(em, `RELEASE SAVEPOINT attachment_line`);
      return out;
    } catch (e) {
      await run(em, `ROLLBACK TO SAVEPOINT attachment_line`);
      throw e;
    }
  }

  /** The person holding a NIR, locked, and whether they are an insured in their own right (an affiliation or a card). */
  async personByNir(
    em: EntityManager,
    nir: string,
  ): Promise<{ id: string; birthDate: string; insured: boolean } | null> {
    const { rows } = await run<{ id: string; birthDate: string; insured: boolean }>(
      em,
      `SELECT b.id, b.birth_date::text AS "birthDate",
              EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = b.id)
              OR EXISTS (SELECT 1 FROM card c WHERE c.beneficiary_id = b.id) AS insured
         FROM beneficiary b WHERE b.nir = $1 FOR NO KEY UPDATE`,
      [nir],
    );
    return rows[0] ?? null;
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

/** Who sees which families: a fund (its organisme) or an operator (null), on a day. */
export interface FamilyScope {
  organismeCode: string | null;
  today: string;
}

export interface DependantRow {
  id: string;
  nir: string | null;
  nirTemporary: boolean;
  firstName: string;
  birthName: string;
  usageName: string | null;
  birthDate: string;
  birthRank: number;
  addressLines: string[];
  version: number;
}

export interface AttachmentRow {
  id: string;
  dependantId: string;
  parentId: string;
  validFrom: string;
  validTo: string | null;
  coverage: unknown[];
  aldPeriods: unknown[];
}

const DEPENDANT_COLUMNS = `b.nir, b.nir_temporary AS "nirTemporary", b.first_name AS "firstName", b.birth_name AS "birthName",
  b.usage_name AS "usageName", b.birth_date::text AS "birthDate", b.birth_rank AS "birthRank",
  b.address_lines AS "addressLines", b.version`;
const ATTACHMENT_COLUMNS = `t.id::text AS id, t.dependant_id AS "dependantId", t.parent_id AS "parentId",
  t.valid_from::text AS "validFrom", t.valid_to::text AS "validTo", t.coverage, t.ald_periods AS "aldPeriods"`;

/**
 * The tenant rule for dependants: `dependant` is reached by organisme `org` on `today` through an attachment that
 * has not ended to a parent currently affiliated to `org`. Defined through the parent's affiliation, so it follows
 * the parent's changes of fund and regime transfers without any write to the family.
 */
const MANAGED_DEPENDANT = (dependant: string, org: string, today: string) =>
  `EXISTS (SELECT 1 FROM attachment t JOIN affiliation a ON a.beneficiary_id = t.parent_id
            AND a.organisme_code = ${org} AND ${CURRENT('a', `${today}::date`)}
          WHERE t.dependant_id = ${dependant} AND (t.valid_to IS NULL OR t.valid_to > ${today}::date))`;

/** The family rules the database enforces (migration Families), as the register's errors; null for anything else. */
function familyRuleError(e: unknown): Error | null {
  const pg = pgError(e);
  if (pg?.code === PG_EXCLUSION_VIOLATION && pg.constraint === 'attachment_once_per_parent')
    return RegisterErrors.ATTACHMENT_EXISTS();
  if (pg?.code !== PG_CHECK_VIOLATION) return null;
  switch (pg.constraint) {
    case 'attachment_two_parents':
      return RegisterErrors.ATTACHMENT_TWO_PARENTS();
    case 'attachment_parent_is_dependant':
      return RegisterErrors.ATTACHMENT_PARENT_IS_DEPENDANT();
    case 'attachment_dependant_is_parent':
      return RegisterErrors.ATTACHMENT_DEPENDANT_IS_PARENT();
    case 'attachment_not_self':
      return RegisterErrors.ATTACHMENT_SELF();
    case 'attachment_period':
      return RegisterErrors.ATTACHMENT_DATES_INVALID('validTo must be after validFrom', 'validTo');
    default:
      return null;
  }
}
