import pg from 'pg';

/**
 * The baseline of the emission benchmark: the final rows the chain wrote (cards, their chip keys, fund events, audit entries),
 * read back from the chain's database, then written into another database with plain parameterised multi-row
 * INSERTs (1,000 rows per statement, one connection), which is the cheapest "obvious way" to get the same rows in.
 */
export interface TableRows {
  table: string;
  columns: string[];
  /** Every value as text (null stays null): PostgreSQL casts each to its column's type on insert. */
  rows: Array<Array<string | null>>;
}

/** Columns left out: identity columns the database numbers itself, and the batch (its table is not copied). */
const SKIP: Record<string, string[]> = {
  card: ['batch_id'],
  fund_event: ['id'],
  audit_entry: ['id'],
};

async function columnsOf(c: pg.Client, table: string): Promise<string[]> {
  const { rows } = await c.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => r.name).filter((n) => !(SKIP[table] ?? []).includes(n));
}

/** Reads cards, chip keys, fund events and the audit entries with an id above `auditAfterId` (those the chain wrote). */
export async function readChainRows(url: string, auditAfterId: string): Promise<TableRows[]> {
  const c = new pg.Client({ connectionString: url, application_name: 'vitale-bench-baseline' });
  await c.connect();
  try {
    const out: TableRows[] = [];
    for (const [table, where, params] of [
      ['card', 'true', []],
      ['card_key', 'true', []],
      ['fund_event', 'true', []],
      ['audit_entry', 'id > $1', [auditAfterId]],
    ] as const) {
      const columns = await columnsOf(c, table);
      const res = await c.query({
        text: `SELECT ${columns.map((col) => `"${col}"::text`).join(', ')} FROM ${table} WHERE ${where} ORDER BY ${table === 'card' ? 'serial' : table === 'card_key' ? 'card_id' : 'id'}`,
        values: [...params],
        rowMode: 'array',
      });
      out.push({ table, columns, rows: res.rows as Array<Array<string | null>> });
    }
    return out;
  } finally {
    await c.end();
  }
}

function insertSql(table: string, columns: string[], rows: number): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(`(${columns.map((_, i) => `$${r * columns.length + i + 1}`).join(',')})`);
  return `INSERT INTO ${table} (${columns.map((col) => `"${col}"`).join(',')}) VALUES ${tuples.join(',')}`;
}

/** Writes the rows, table by table, 1,000 rows per statement (each its own transaction). Returns the seconds taken. */
export async function insertRows(url: string, tables: readonly TableRows[], perStatement = 1000): Promise<number> {
  const c = new pg.Client({ connectionString: url, application_name: 'vitale-bench-baseline' });
  await c.connect();
  try {
    const started = performance.now();
    for (const t of tables) {
      const full = insertSql(t.table, t.columns, perStatement);
      for (let i = 0; i < t.rows.length; i += perStatement) {
        const slice = t.rows.slice(i, i + perStatement);
        await c.query(slice.length === perStatement ? full : insertSql(t.table, t.columns, slice.length), slice.flat());
      }
    }
    return (performance.now() - started) / 1000;
  } finally {
    await c.end();
  }
}
