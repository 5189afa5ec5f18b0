import { spawn } from 'node:child_process';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { insertBeneficiary, makeNir, type BeneficiaryRow } from './factories.js';

/**
 * A dependant as the register keeps one (test set-up only): a beneficiary without an affiliation of its own, born
 * `birthDate`, its NIR agreeing with it.
 */
export async function insertDependant(
  ds: DataSource,
  overrides: Partial<BeneficiaryRow> = {},
): Promise<BeneficiaryRow> {
  const birthDate = overrides.birthDate ?? '2019-03-02';
  const b = await insertBeneficiary(ds, {
    firstName: 'LOU',
    birthName: 'MARTIN',
    addressLines: ['LOU MARTIN', '3 RUE DES ECOLES', '75005 PARIS'],
    nir: makeNir(undefined, birthDate),
    ...overrides,
    birthDate,
  });
  await ds.query(`DELETE FROM affiliation WHERE beneficiary_id = $1`, [b.id]);
  return b;
}

/** Attaches a dependant to a parent by SQL, as the register's attachment repository does (test set-up only). */
export async function attachSql(
  ds: DataSource,
  dependantId: string,
  parentId: string,
  rights: { coverage?: unknown[]; aldPeriods?: unknown[]; from?: string; to?: string | null } = {},
): Promise<string> {
  const [{ id }] = await ds.query(
    `INSERT INTO attachment (dependant_id, parent_id, valid_from, valid_to, coverage, ald_periods)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb) RETURNING id::text`,
    [
      dependantId,
      parentId,
      rights.from ?? '2020-01-01',
      rights.to ?? null,
      JSON.stringify(rights.coverage ?? []),
      JSON.stringify(rights.aldPeriods ?? []),
    ],
  );
  return id;
}

/** A card's record of one type as stored (content and version), undefined when the card has none. */
export async function storedRecord(
  ds: DataSource,
  cardId: string,
  type: string,
): Promise<{ content: unknown; version: number } | undefined> {
  return (
    await ds.query(`SELECT content, version FROM card_data_record WHERE card_id = $1 AND record_type = $2`, [
      cardId,
      type,
    ])
  )[0];
}

/** The kiosk simulator as built (`npm run kiosk`), its JSON lines; the key from the environment. */
export function runKiosk(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('dist/src/cli/kiosk.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let all = '';
    child.stdout.on('data', (d) => {
      out += d;
      all += d;
    });
    child.stderr.on('data', (d) => (all += d));
    child.on('exit', (code) =>
      resolve({
        code,
        output: all,
        lines: out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l)),
      }),
    );
  });
}
