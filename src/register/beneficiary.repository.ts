import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner.js';
import type { BeneficiaryInput, IdentityFields } from './beneficiary-input.js';
import type { AffiliationView, BeneficiaryView } from './dto/beneficiary.dto.js';
import type { ImportRow } from './import-parser.js';
import { pgError, PG_EXCLUSION_VIOLATION, PG_UNIQUE_VIOLATION } from '../platform/database/pg-error.js';
import { RegisterErrors } from './register.errors.js';
import { CURRENT, run } from './sql.js';

/**
 * Who may see what, decided in SQL: a fund (organismeCode set) reaches a beneficiary only through a current
 * affiliation to its organisme; an operator (organismeCode null) reaches every beneficiary.
 */
export interface Scope {
  organismeCode: string | null;
  /** YYYY-MM-DD, the day "current" is evaluated on. */
  today: string;
}

/** Where a NIR stands in the register, from the point of view of one organisme. */
export interface NirStanding {
  id: string;
  /** Has an affiliation to this organisme that has not ended (current or future). */
  mine: boolean;
  /** Has an affiliation to another organisme that has not ended. */
  elsewhere: boolean;
  /** The latest end of its past affiliations; a new one may not start before it. */
  lastEnd: string | null;
}

/** A holder leaving its current affiliation (by id) for another organisme. */
export interface AffiliationMove {
  affiliationId: string;
  beneficiaryId: string;
}

const affiliationOverlap = (field: string) => RegisterErrors.AFFILIATION_OVERLAP(field, 'changed');

export const nirTaken = RegisterErrors.NIR_TAKEN;

const VIEW_COLUMNS = `b.id, b.nir, b.nir_temporary, b.first_name, b.birth_name, b.usage_name, b.birth_date::text AS birth_date,
  b.birth_rank, b.address_lines, b.version, b.created_at, b.updated_at,
  a.id AS aff_id, a.organisme_code AS aff_organisme, a.valid_from::text AS aff_from, a.valid_to::text AS aff_to`;

interface ViewRow {
  id: string;
  nir: string;
  nir_temporary: boolean;
  first_name: string;
  birth_name: string;
  usage_name: string | null;
  birth_date: string;
  birth_rank: number;
  address_lines: string[];
  version: number;
  created_at: Date;
  updated_at: Date;
  aff_id: string | null;
  aff_organisme: string | null;
  aff_from: string | null;
  aff_to: string | null;
}

const COLUMN: Record<keyof IdentityFields, string> = {
  firstName: 'first_name',
  birthName: 'birth_name',
  usageName: 'usage_name',
  birthDate: 'birth_date',
  birthRank: 'birth_rank',
  addressLines: 'address_lines',
};

/** What the staged rows became: one entry per beneficiary written, for the audit trail. */
export interface StagedChange {
  beneficiaryId: string;
  action: 'create' | 'update' | 'reaffiliate';
  changed: string[] | null;
}

/** A staged row the register refuses: NIR affiliated elsewhere, or start inside a past affiliation. */
export interface RefusedRow {
  line: number;
  reason: 'elsewhere' | 'overlap';
}

export interface ApplyResult {
  created: number;
  updated: number;
  refused: RefusedRow[];
  changes: StagedChange[];
}

/** A bulk import's rows, staged for the set-based writes below (a temp table dropped at commit). */
const STAGE = 'register_import_stage';
const STAGE_COLUMNS =
  'line, new_id, nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines, affiliated_from';
const COPY_CHUNK = 2000;

/** The identity fields a staged row changes on its existing beneficiary (names of fields, never values). */
const CHANGED_FIELDS = `array_remove(ARRAY[
  CASE WHEN b.first_name IS DISTINCT FROM s.first_name THEN 'firstName' END,
  CASE WHEN b.birth_name IS DISTINCT FROM s.birth_name THEN 'birthName' END,
  CASE WHEN b.usage_name IS DISTINCT FROM s.usage_name THEN 'usageName' END,
  CASE WHEN b.birth_date IS DISTINCT FROM s.birth_date THEN 'birthDate' END,
  CASE WHEN b.birth_rank IS DISTINCT FROM s.birth_rank THEN 'birthRank' END,
  CASE WHEN b.address_lines IS DISTINCT FROM s.address_lines THEN 'addressLines' END
], NULL)`;

@Injectable()
export class BeneficiaryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One beneficiary with its current affiliation, if the scope reaches it; `lock` takes its row lock. */
  async find(
    scope: Scope,
    id: string,
    em: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<BeneficiaryView | null> {
    const { sql, params } = this.scoped(scope, 'b.id = $1', [id]);
    const { rows } = await run<ViewRow>(em, `${sql}${lock ? ' FOR UPDATE OF b' : ''}`, params);
    return rows[0] ? toView(rows[0], scope.today) : null;
  }

  async findByNir(
    scope: Scope,
    nir: string,
    em: EntityManager = this.dataSource.manager,
  ): Promise<BeneficiaryView | null> {
    const { sql, params } = this.scoped(scope, 'b.nir = $1', [nir]);
    const { rows } = await run<ViewRow>(em, sql, params);
    return rows[0] ? toView(rows[0], scope.today) : null;
  }

  /** Keyset page ordered by id: the scope's beneficiaries whose id is after `afterId`. */
  async list(scope: Scope, afterId: string | null, limit: number): Promise<BeneficiaryView[]> {
    const em = this.dataSource.manager;
    let rows: ViewRow[];
    if (scope.organismeCode) {
      // Driven by the (organisme_code, beneficiary_id) index; periods never overlap, so one current row per person.
      ({ rows } = await run<ViewRow>(
        em,
        `SELECT ${VIEW_COLUMNS}
           FROM affiliation a JOIN beneficiary b ON b.id = a.beneficiary_id
          WHERE a.organisme_code = $1 AND ${CURRENT('a', '$2::date')} AND ($3::uuid IS NULL OR a.beneficiary_id > $3::uuid)
          ORDER BY a.beneficiary_id LIMIT $4`,
        [scope.organismeCode, scope.today, afterId, limit],
      ));
    } else {
      ({ rows } = await run<ViewRow>(
        em,
        `SELECT ${VIEW_COLUMNS}
           FROM beneficiary b LEFT JOIN affiliation a ON a.beneficiary_id = b.id AND ${CURRENT('a', '$1::date')}
          WHERE ($2::uuid IS NULL OR b.id > $2::uuid)
          ORDER BY b.id LIMIT $3`,
        [scope.today, afterId, limit],
      ));
    }
    return rows.map((r) => toView(r, scope.today));
  }

  /** Every affiliation of a beneficiary the scope reaches (none when it does not), oldest first. */
  async listAffiliations(scope: Scope, id: string): Promise<AffiliationView[] | null> {
    const visible = await this.find(scope, id);
    if (!visible) return null;
    const { rows } = await run<{ id: string; organisme_code: string; valid_from: string; valid_to: string | null }>(
      this.dataSource.manager,
      `SELECT a.id, a.organisme_code, a.valid_from::text AS valid_from, a.valid_to::text AS valid_to
         FROM affiliation a WHERE a.beneficiary_id = $1 ORDER BY a.valid_from, a.id`,
      [id],
    );
    return rows.map((r) => affiliationView(r.id, r.organisme_code, r.valid_from, r.valid_to, scope.today));
  }

  /** Locks the beneficiary holding this NIR (if any) and says where it is affiliated. */
  async standing(em: EntityManager, nir: string, organismeCode: string, today: string): Promise<NirStanding | null> {
    const { rows } = await run<{ id: string }>(em, `SELECT id FROM beneficiary WHERE nir = $1 FOR UPDATE`, [nir]);
    if (!rows[0]) return null;
    const { rows: s } = await run<{ mine: boolean; elsewhere: boolean; last_end: string | null }>(
      em,
      `SELECT coalesce(bool_or(organisme_code = $2 AND (valid_to IS NULL OR valid_to > $3::date)), false) AS mine,
              coalesce(bool_or(organisme_code <> $2 AND (valid_to IS NULL OR valid_to > $3::date)), false) AS elsewhere,
              max(valid_to)::text AS last_end
         FROM affiliation WHERE beneficiary_id = $1`,
      [rows[0].id, organismeCode, today],
    );
    return { id: rows[0].id, mine: s[0].mine, elsewhere: s[0].elsewhere, lastEnd: s[0].last_end };
  }

  /** Inserts a new beneficiary; null when the NIR was registered meanwhile (by a concurrent transaction). */
  async insert(em: EntityManager, b: BeneficiaryInput): Promise<string | null> {
    const { rows } = await run<{ id: string }>(
      em,
      `INSERT INTO beneficiary (nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (nir) DO NOTHING RETURNING id`,
      [b.nir, b.nirTemporary, b.firstName, b.birthName, b.usageName, b.birthDate, b.birthRank, b.addressLines],
    );
    return rows[0]?.id ?? null;
  }

  /** Opens an affiliation; one overlapping another of the holder's is refused by the exclusion constraint. */
  async insertAffiliation(
    em: EntityManager,
    beneficiaryId: string,
    organismeCode: string,
    validFrom: string,
  ): Promise<string> {
    try {
      const { rows } = await run<{ id: string }>(
        em,
        `INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from) VALUES ($1, $2, $3) RETURNING id`,
        [beneficiaryId, organismeCode, validFrom],
      );
      return rows[0].id;
    } catch (e) {
      if (pgError(e)?.code === PG_EXCLUSION_VIOLATION) throw affiliationOverlap('affiliatedFrom');
      throw e;
    }
  }

  /**
   * Moves holders to another organisme on `date`, in two statements whatever their number: each current
   * affiliation (locked by the caller) ends on `date`, the new one opens on it (periods never overlap). A concurrent
   * change of one holder's affiliations is refused by the exclusion constraint (AFFILIATION_OVERLAP; the caller's
   * transaction must roll back).
   */
  async moveAffiliations(
    em: EntityManager,
    moves: AffiliationMove[],
    toOrganisme: string,
    date: string,
  ): Promise<void> {
    if (moves.length === 0) return;
    try {
      await run(em, `UPDATE affiliation SET valid_to = $2 WHERE id = ANY($1::bigint[])`, [
        moves.map((m) => m.affiliationId),
        date,
      ]);
      await run(
        em,
        `INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from) SELECT unnest($1::uuid[]), $2, $3`,
        [moves.map((m) => m.beneficiaryId), toOrganisme, date],
      );
    } catch (e) {
      if (pgError(e)?.code === PG_EXCLUSION_VIOLATION) throw affiliationOverlap('effectiveDate');
      throw e;
    }
  }

  /** The NIR and birth date a NIR change is checked against (the caller holds the beneficiary's lock). */
  async nirOf(em: EntityManager, id: string): Promise<{ nir: string; birthDate: string } | null> {
    const { rows } = await run<{ nir: string; birthDate: string }>(
      em,
      `SELECT nir, birth_date::text AS "birthDate" FROM beneficiary WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async nirTaken(em: EntityManager, nir: string, id: string): Promise<boolean> {
    const { rows } = await run(em, `SELECT 1 FROM beneficiary WHERE nir = $1 AND id <> $2`, [nir, id]);
    return rows.length > 0;
  }

  /** A new NIR; one another beneficiary took meanwhile is refused by the unique index (NIR_TAKEN). */
  async updateNir(em: EntityManager, id: string, nir: string, temporary: boolean): Promise<void> {
    try {
      await run(
        em,
        `UPDATE beneficiary SET nir = $2, nir_temporary = $3, version = version + 1, updated_at = now() WHERE id = $1`,
        [id, nir, temporary],
      );
    } catch (e) {
      if (pgError(e)?.code === PG_UNIQUE_VIOLATION) throw nirTaken();
      throw e;
    }
  }

  /** Writes the given identity fields and bumps the version. */
  /** Records (or takes back, with null) a date of death; false when it was already so. */
  async setDiedOn(em: EntityManager, id: string, diedOn: string | null): Promise<boolean> {
    const { count } = await run(
      em,
      `UPDATE beneficiary SET died_on = $2::date, version = version + 1, updated_at = now()
        WHERE id = $1 AND died_on IS DISTINCT FROM $2::date`,
      [id, diedOn],
    );
    return count === 1;
  }

  async updateIdentity(em: EntityManager, id: string, fields: Partial<IdentityFields>): Promise<void> {
    const keys = Object.keys(fields) as (keyof IdentityFields)[];
    if (keys.length === 0) return;
    const sets = keys.map((k, i) => `${COLUMN[k]} = $${i + 2}`);
    await run(
      em,
      `UPDATE beneficiary SET ${sets.join(', ')}, version = version + 1, updated_at = now() WHERE id = $1`,
      [id, ...keys.map((k) => fields[k])],
    );
  }

  private scoped(scope: Scope, where: string, params: unknown[]): { sql: string; params: unknown[] } {
    const n = params.length;
    if (scope.organismeCode) {
      return {
        sql: `SELECT ${VIEW_COLUMNS} FROM beneficiary b
                JOIN affiliation a ON a.beneficiary_id = b.id AND a.organisme_code = $${n + 1} AND ${CURRENT('a', `$${n + 2}::date`)}
               WHERE ${where}`,
        params: [...params, scope.organismeCode, scope.today],
      };
    }
    return {
      sql: `SELECT ${VIEW_COLUMNS} FROM beneficiary b
              LEFT JOIN affiliation a ON a.beneficiary_id = b.id AND ${CURRENT('a', `$${n + 1}::date`)}
             WHERE ${where}`,
      params: [...params, scope.today],
    };
  }

  // Bulk imports (BulkImportsService): a file's rows applied to the register set-based, in the run's transaction.
  /** Loads the good rows into a transaction-scoped temp table with COPY (fast, no parameter limits). */
  async stageImport(em: EntityManager, rows: ImportRow[]): Promise<void> {
    await run(
      em,
      `CREATE TEMP TABLE ${STAGE} (
      line integer PRIMARY KEY, new_id uuid NOT NULL, nir char(15) NOT NULL, nir_temporary boolean NOT NULL, first_name varchar(45) NOT NULL,
      birth_name varchar(63) NOT NULL, usage_name varchar(42), birth_date date NOT NULL, birth_rank smallint NOT NULL,
      address_lines varchar(38)[] NOT NULL, affiliated_from date NOT NULL,
      beneficiary_id uuid, action text, changed text[]) ON COMMIT DROP`,
    );
    const client = await (em.queryRunner as PostgresQueryRunner).connect();
    const copy = client.query(copyFrom(`COPY ${STAGE} (${STAGE_COLUMNS}) FROM STDIN`));
    await pipeline(Readable.from(copyChunks(rows)), copy);
    await run(em, `ANALYZE ${STAGE}`);
  }

  /**
   * Decides each staged row (stageImport) against the register, locking the beneficiaries it touches: unknown NIR → create;
   * affiliated (now or later) here → update; affiliated elsewhere → reject; only past affiliations → reaffiliate
   * unless the new start falls inside one of them.
   */
  async classifyImport(em: EntityManager, organismeCode: string, today: string): Promise<void> {
    await run(em, `UPDATE ${STAGE} s SET beneficiary_id = b.id FROM beneficiary b WHERE b.nir = s.nir`);
    await run(
      em,
      `SELECT count(*) FROM (SELECT 1 FROM beneficiary b JOIN ${STAGE} s ON s.beneficiary_id = b.id ORDER BY b.id FOR UPDATE OF b) locked`,
    );
    await run(
      em,
      `UPDATE ${STAGE} s SET action = CASE
         WHEN s.beneficiary_id IS NULL THEN 'create'
         WHEN EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = s.beneficiary_id AND a.organisme_code = $1 AND (a.valid_to IS NULL OR a.valid_to > $2::date)) THEN 'update'
         WHEN EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = s.beneficiary_id AND (a.valid_to IS NULL OR a.valid_to > $2::date)) THEN 'elsewhere'
         WHEN EXISTS (SELECT 1 FROM affiliation a WHERE a.beneficiary_id = s.beneficiary_id AND a.valid_to > s.affiliated_from) THEN 'overlap'
         ELSE 'reaffiliate' END`,
      [organismeCode, today],
    );
  }

  /** Writes the staged rows classified by `classifyImport`; returns the counts, the refusals and the changes. */
  async applyImport(em: EntityManager, organismeCode: string): Promise<ApplyResult> {
    const { rows: refused } = await run<{ line: number; action: RefusedRow['reason'] }>(
      em,
      `SELECT line, action FROM ${STAGE} WHERE action IN ('elsewhere', 'overlap') ORDER BY line`,
    );

    // Existing beneficiaries: identity and address taken from the file where they differ.
    await run(
      em,
      `UPDATE ${STAGE} s SET changed = ${CHANGED_FIELDS} FROM beneficiary b WHERE b.id = s.beneficiary_id AND s.action IN ('update', 'reaffiliate')`,
    );
    await run(
      em,
      `UPDATE beneficiary b SET first_name = s.first_name, birth_name = s.birth_name, usage_name = s.usage_name, birth_date = s.birth_date,
              birth_rank = s.birth_rank, address_lines = s.address_lines, version = b.version + 1, updated_at = now()
         FROM ${STAGE} s WHERE b.id = s.beneficiary_id AND s.action IN ('update', 'reaffiliate') AND cardinality(s.changed) > 0`,
    );

    // New beneficiaries, then the affiliations of the new and the returning ones.
    await run(
      em,
      `INSERT INTO beneficiary (id, nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines)
       SELECT new_id, nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines
         FROM ${STAGE} WHERE action = 'create' ORDER BY line`,
    );
    const { count: affiliated } = await run(
      em,
      `INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from)
       SELECT coalesce(beneficiary_id, new_id), $1, affiliated_from FROM ${STAGE} WHERE action IN ('create', 'reaffiliate') ORDER BY line`,
      [organismeCode],
    );

    const { rows: changes } = await run<{
      beneficiary_id: string;
      action: StagedChange['action'];
      changed: string[] | null;
    }>(
      em,
      `SELECT coalesce(beneficiary_id, new_id) AS beneficiary_id, action, changed FROM ${STAGE}
        WHERE action IN ('create', 'reaffiliate') OR (action = 'update' AND cardinality(changed) > 0) ORDER BY line`,
    );
    const out = changes.map((c) => ({ beneficiaryId: c.beneficiary_id, action: c.action, changed: c.changed }));
    return {
      created: affiliated,
      updated: out.filter((c) => c.action === 'update').length,
      refused: refused.map((r) => ({ line: r.line, reason: r.action })),
      changes: out,
    };
  }

  // Families (FamiliesService): dependants enter the register without an affiliation, possibly without NIR.
  /** Inserts a dependant (no affiliation); null when the NIR was registered meanwhile. */
  async insertDependant(em: EntityManager, d: DependantInput): Promise<string | null> {
    const { rows } = await run<{ id: string }>(
      em,
      `INSERT INTO beneficiary (nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (nir) DO NOTHING RETURNING id`,
      [d.nir, d.nirTemporary, d.firstName, d.birthName, d.usageName, d.birthDate, d.birthRank, d.addressLines],
    );
    return rows[0]?.id ?? null;
  }
}

/** A dependant as the register stores it: a NIR (or none yet, for a newborn), identity and address. */
export interface DependantInput extends IdentityFields {
  nir: string | null;
  nirTemporary: boolean;
}

function affiliationView(
  id: string,
  organismeCode: string,
  validFrom: string,
  validTo: string | null,
  today: string,
): AffiliationView {
  return {
    id: String(id),
    organismeCode,
    validFrom,
    validTo,
    current: validFrom <= today && (validTo === null || validTo > today),
  };
}

function toView(r: ViewRow, today: string): BeneficiaryView {
  return {
    id: r.id,
    nir: r.nir,
    nirTemporary: r.nir_temporary,
    firstName: r.first_name,
    birthName: r.birth_name,
    usageName: r.usage_name,
    birthDate: r.birth_date,
    birthRank: r.birth_rank,
    addressLines: r.address_lines,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    affiliation: r.aff_id ? affiliationView(r.aff_id, r.aff_organisme!, r.aff_from!, r.aff_to, today) : null,
  };
}

/** COPY text format: tab-separated, `\N` for null, backslash escapes. */
function* copyChunks(rows: ImportRow[]): Generator<string> {
  let buf: string[] = [];
  for (const r of rows) {
    buf.push(
      [
        String(r.line),
        randomUUID(),
        r.nir,
        r.nirTemporary ? 't' : 'f',
        esc(r.firstName),
        esc(r.birthName),
        r.usageName === null ? '\\N' : esc(r.usageName),
        r.birthDate,
        String(r.birthRank),
        esc(pgArray(r.addressLines)),
        r.affiliatedFrom,
      ].join('\t'),
    );
    if (buf.length === COPY_CHUNK) {
      yield buf.join('\n') + '\n';
      buf = [];
    }
  }
  if (buf.length) yield buf.join('\n') + '\n';
}

function esc(v: string): string {
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : v;
}

function pgArray(items: string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
