import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { parseReferenceCsv } from '../regimes/reference-csv.js';

type ReferenceRows = NonNullable<ReturnType<typeof parseReferenceCsv>['rows']>;

/**
 * The synthetic seed's statements (npm run seed:synthetic, the benchmarks): plain pg connections of its own, no Nest,
 * bulk COPY into the register and the reference tables. It writes tables other repositories own, as the table-owners
 * catalogue records: generated data for a fresh database, outside the running product.
 */

/** Serialises concurrent seed runs on one database (each must see the rows of the others before choosing its range). */
const SEED_LOCK = 7_384_101;

const BENEFICIARY_COPY =
  'COPY beneficiary (id, nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines) FROM STDIN';
const AFFILIATION_COPY = 'COPY affiliation (beneficiary_id, organisme_code, valid_from, valid_to) FROM STDIN';
const ATTACHMENT_COPY = 'COPY attachment (dependant_id, parent_id, valid_from) FROM STDIN';

/** A connection of the seed's own; a dropped connection also fails the pending query, which reports it. */
export async function seedConnection(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'vitale-seed-synthetic' });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Waits for the other seed runs on this database (session lock, released with the connection). */
export async function lockSeed(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [SEED_LOCK]);
}

export async function activeOrganismes(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ code: string }>('SELECT code FROM organisme WHERE active ORDER BY code');
  return rows.map((r) => r.code);
}

/** Every NIR of the register, as COPY's text output (one per line). */
export function registerNirs(client: pg.ClientBase): AsyncIterable<Buffer> {
  return client.query(copyTo('COPY (SELECT nir FROM beneficiary) TO STDOUT')) as AsyncIterable<Buffer>;
}

export async function begin(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
}

export async function commit(client: pg.ClientBase): Promise<void> {
  await client.query('COMMIT');
}

export async function rollback(client: pg.ClientBase): Promise<void> {
  await client.query('ROLLBACK');
}

/** Streams beneficiary lines (COPY text format, in the columns of BENEFICIARY_COPY) into the register. */
export async function copyBeneficiaries(client: pg.ClientBase, lines: Readable): Promise<void> {
  await pipeline(lines, client.query(copyFrom(BENEFICIARY_COPY)));
}

/** Streams affiliation lines (COPY text format); returns the rows copied. */
export async function copyAffiliations(client: pg.ClientBase, lines: Readable): Promise<number> {
  const stream = client.query(copyFrom(AFFILIATION_COPY));
  await pipeline(lines, stream);
  return Number(stream.rowCount);
}

/** Streams attachment lines (COPY text format: dependant, parent, from); the family rules' trigger checks each row. */
export async function copyAttachments(client: pg.ClientBase, lines: Readable): Promise<number> {
  const stream = client.query(copyFrom(ATTACHMENT_COPY));
  await pipeline(lines, stream);
  return Number(stream.rowCount);
}

export async function organismeCount(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM organisme');
  return Number(rows[0].n);
}

/** Adds the missing regimes, funds and organismes in one transaction (never overwrites); returns the organismes added. */
export async function insertReference(client: pg.ClientBase, ref: ReferenceRows): Promise<number> {
  await client.query('BEGIN');
  try {
    for (const r of ref.regimes)
      await client.query('INSERT INTO regime (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING', [
        r.code,
        r.name,
      ]);
    for (const f of ref.funds)
      await client.query(
        'INSERT INTO fund (code, regime_code, name) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING',
        [f.code, f.regimeCode, f.name],
      );
    let added = 0;
    for (const o of ref.organismes) {
      const res = await client.query(
        'INSERT INTO organisme (code, fund_code, regime_code, name, city) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING',
        [o.code, o.fundCode, o.regimeCode, o.name, o.city],
      );
      added += res.rowCount ?? 0;
    }
    await client.query('COMMIT');
    return added;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** The register's people with a NIR and a current affiliation (id, NIR, organisme), as COPY text lines. */
export function registerHolders(client: pg.ClientBase): AsyncIterable<Buffer> {
  return client.query(
    copyTo(
      `COPY (SELECT b.id, b.nir, a.organisme_code FROM beneficiary b
               JOIN affiliation a ON a.beneficiary_id = b.id AND a.valid_to IS NULL
              WHERE b.nir IS NOT NULL ORDER BY b.nir) TO STDOUT`,
    ),
  ) as AsyncIterable<Buffer>;
}

/**
 * What a synthetic card base needs the register to know (src/synthetic/card-base.ts): dates of death, and the
 * temporary NIRs people were known by before their definitive one. One transaction.
 */
export async function recordCardBaseFacts(
  client: pg.ClientBase,
  deceased: Array<{ beneficiaryId: string; diedOn: string }>,
  nirHistory: Array<{ nir: string; beneficiaryId: string }>,
): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(
      `UPDATE beneficiary b SET died_on = d.died_on FROM unnest($1::uuid[], $2::date[]) AS d(id, died_on) WHERE b.id = d.id`,
      [deceased.map((d) => d.beneficiaryId), deceased.map((d) => d.diedOn)],
    );
    await client.query(
      `INSERT INTO beneficiary_nir_history (nir, beneficiary_id) SELECT * FROM unnest($1::char(15)[], $2::uuid[])
       ON CONFLICT (nir) DO NOTHING`,
      [nirHistory.map((h) => h.nir), nirHistory.map((h) => h.beneficiaryId)],
    );
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
