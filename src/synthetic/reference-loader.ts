import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { parseReferenceCsv } from '../regimes/reference-csv.js';
import { insertReference, organismeCount } from './synthetic.repository.js';

const REFERENCE_FILE = path.join('data', 'reference', 'organismes.csv');

/** data/reference/organismes.csv of this project, found from this module's folder (works from src/ and dist/src/). */
export function referenceCsvPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, REFERENCE_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`${REFERENCE_FILE} not found above ${path.dirname(fileURLToPath(import.meta.url))}`);
    dir = parent;
  }
}

/**
 * Loads the bundled reference regimes, funds and organismes when the organisme table is empty (plain SQL, no Nest:
 * the app adds them at start-up, but the seed command and the benchmarks may run before the app ever did).
 * Returns the number of organismes added.
 */
export async function loadReferenceIfEmpty(client: pg.ClientBase, csvPath = referenceCsvPath()): Promise<number> {
  if ((await organismeCount(client)) > 0) return 0;
  const parsed = parseReferenceCsv(readFileSync(csvPath, 'utf8'));
  if (!parsed.rows) {
    throw new Error(`${csvPath} is invalid: ${parsed.errors.map((e) => `line ${e.line} ${e.code}`).join(', ')}`);
  }
  return insertReference(client, parsed.rows);
}
