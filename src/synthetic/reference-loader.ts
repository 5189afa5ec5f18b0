import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { parseReferenceCsv } from '../regimes/reference-csv.js';

const REFERENCE_FILE = path.join('data', 'reference', 'organismes.csv');

/** data/reference/organismes.csv of this project, found from this module's folder (works from src/ and dist/src/). */
export function referenceCsvPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, REFERENCE_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`${REFERENCE_FILE} not found above ${path.dirname(fileURLToPath(import.meta.url))}`);
    dir = parent;
  }
}

/**
 * Loads the bundled reference regimes, funds and organismes when the organisme table is empty (plain SQL, no Nest:
 * the app adds them at start-up, but the seed command and the benchmarks may run before the app ever did).
 * Returns the number of organismes added.
 */
export async function loadReferenceIfEmpty(client: pg.ClientBase, csvPath = referenceCsvPath()): Promise<number> {
  const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM organisme');
  if (Number(rows[0].n) > 0) return 0;
  const parsed = parseReferenceCsv(readFileSync(csvPath, 'utf8'));
  if (!parsed.rows) {
    throw new Error(`${csvPath} is invalid: ${parsed.errors.map((e) => `line ${e.line} ${e.code}`).join(', ')}`);
  }
  const ref = parsed.rows;
  await client.query('BEGIN');
  try {
    for (const r of ref.regimes) await client.query('INSERT INTO regime (code, name) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING', [r.code, r.name]);
    for (const f of ref.funds) await client.query('INSERT INTO fund (code, regime_code, name) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING', [f.code, f.regimeCode, f.name]);
    let added = 0;
    for (const o of ref.organismes) {
      const res = await client.query('INSERT INTO organisme (code, fund_code, regime_code, name, city) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING', [o.code, o.fundCode, o.regimeCode, o.name, o.city]);
      added += res.rowCount ?? 0;
    }
    await client.query('COMMIT');
    return added;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
