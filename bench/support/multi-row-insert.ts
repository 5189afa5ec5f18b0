import pg from 'pg';
import { activeOrganismes, DEFAULT_CHUNK_SIZE, DEFAULT_CONNECTIONS } from '../../src/synthetic/copy-writer.js';
import { generateBeneficiaries, type SyntheticAffiliation } from '../../src/synthetic/generator.js';
import { formFamilies } from '../../src/synthetic/families.js';

/**
 * The baseline for the seed benchmark: the same rows as writeSynthetic() (same seed, offset 0 on a fresh database),
 * same chunks, transactions and connections, but written with parameterised multi-row INSERTs instead of COPY.
 */
export interface InsertOptions {
  count: number;
  seed: number;
  rowsPerStatement?: number;
  chunkSize?: number;
  connections?: number;
}

const BENEFICIARY_COLUMNS = [
  'id',
  'nir',
  'nir_temporary',
  'first_name',
  'birth_name',
  'usage_name',
  'birth_date',
  'birth_rank',
  'address_lines',
];
const AFFILIATION_COLUMNS = ['beneficiary_id', 'organisme_code', 'valid_from', 'valid_to'];
const ATTACHMENT_COLUMNS = ['dependant_id', 'parent_id', 'valid_from'];

function insertSql(table: string, columns: string[], rows: number): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(`(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(',')})`);
  return `INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')}`;
}

export async function insertSynthetic(
  url: string,
  options: InsertOptions,
): Promise<{ beneficiaries: number; affiliations: number; attachments: number; seconds: number }> {
  const started = performance.now();
  const perStatement = options.rowsPerStatement ?? 1000;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const sqlCache = new Map<string, string>();
  const sql = (table: string, columns: string[], rows: number) => {
    const key = `${table}:${rows}`;
    let text = sqlCache.get(key);
    if (!text) sqlCache.set(key, (text = insertSql(table, columns, rows)));
    return text;
  };
  const clients: pg.Client[] = [];
  try {
    for (
      let i = 0;
      i < Math.max(1, Math.min(options.connections ?? DEFAULT_CONNECTIONS, Math.ceil(options.count / chunkSize)));
      i++
    ) {
      const c = new pg.Client({ connectionString: url, application_name: 'vitale-bench-baseline' });
      c.on('error', () => {});
      await c.connect();
      clients.push(c);
    }
    const organismes = await activeOrganismes(clients[0]);
    const chunks = Math.ceil(options.count / chunkSize);
    let next = 0;
    let beneficiaries = 0;
    let affiliations = 0;
    let attachments = 0;
    const work = async (client: pg.Client) => {
      while (next < chunks) {
        const chunk = next++;
        const n = Math.min(chunkSize, options.count - chunk * chunkSize);
        await client.query('BEGIN');
        try {
          const pending: Array<{ id: string; a: SyntheticAffiliation }> = [];
          let params: unknown[] = [];
          let rows = 0;
          const flush = async () => {
            if (rows) await client.query(sql('beneficiary', BENEFICIARY_COLUMNS, rows), params);
            params = [];
            rows = 0;
          };
          // The same chunks and families as the COPY writer's.
          const people = [...generateBeneficiaries(n, options.seed, chunk * chunkSize, { organismes })];
          const families = formFamilies(people, options.seed);
          for (const b of people) {
            params.push(
              b.id,
              b.nir,
              b.nirTemporary,
              b.firstName,
              b.birthName,
              b.usageName,
              b.birthDate,
              b.birthRank,
              b.addressLines,
            );
            for (const a of b.affiliations) pending.push({ id: b.id, a });
            if (++rows === perStatement) await flush();
          }
          await flush();
          for (let i = 0; i < pending.length; i += perStatement) {
            const slice = pending.slice(i, i + perStatement);
            await client.query(
              sql('affiliation', AFFILIATION_COLUMNS, slice.length),
              slice.flatMap(({ id, a }) => [id, a.organismeCode, a.validFrom, a.validTo]),
            );
          }
          for (let i = 0; i < families.length; i += perStatement) {
            const slice = families.slice(i, i + perStatement);
            await client.query(
              sql('attachment', ATTACHMENT_COLUMNS, slice.length),
              slice.flatMap((a) => [a.dependantId, a.parentId, a.validFrom]),
            );
          }
          await client.query('COMMIT');
          beneficiaries += n;
          affiliations += pending.length;
          attachments += families.length;
        } catch (e) {
          next = chunks;
          await client.query('ROLLBACK').catch(() => {});
          throw e;
        }
      }
    };
    await Promise.all(clients.map(work));
    return { beneficiaries, affiliations, attachments, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}
