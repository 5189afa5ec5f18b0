import { randomInt, randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { nirKey } from '../../src/register/nir.js';
import { CardState, OppositionReason } from '../../src/cards/card-state.enum.js';

/**
 * A valid, unique-enough NIR whose year and month agree with `birthDate` (the factories' default birth date);
 * pass `body13` to choose it (2A/2B allowed in the department position).
 */
export function makeNir(body13?: string, birthDate = '1985-05-14'): string {
  const body =
    body13 ??
    `${randomInt(1, 3)}${birthDate.slice(2, 4)}${birthDate.slice(5, 7)}${String(randomInt(1, 96)).padStart(2, '0')}${String(randomInt(1, 1000)).padStart(3, '0')}${String(randomInt(1, 1000)).padStart(3, '0')}`;
  return body + nirKey(body);
}

export interface BeneficiaryRow {
  id: string;
  nir: string;
  firstName: string;
  birthName: string;
  usageName: string | null;
  birthDate: string;
  birthRank: number;
  addressLines: string[];
  organismeCode: string;
  affiliatedFrom: string;
}

/** Inserts a beneficiary and its current affiliation straight into the database (test set-up only). */
export async function insertBeneficiary(
  ds: DataSource,
  overrides: Partial<BeneficiaryRow> = {},
): Promise<BeneficiaryRow> {
  const row: BeneficiaryRow = {
    id: randomUUID(),
    nir: makeNir(),
    firstName: 'MARIE-CLAIRE',
    birthName: "D'ARTAGNAN",
    usageName: null,
    birthDate: '1985-05-14',
    birthRank: 1,
    addressLines: ['MME MARIE-CLAIRE DARTAGNAN', '12 RUE DES LILAS', '75011 PARIS'],
    organismeCode: '017510001',
    affiliatedFrom: '2020-01-01',
    ...overrides,
  };
  await ds.query(
    `INSERT INTO beneficiary (id, nir, nir_temporary, first_name, birth_name, usage_name, birth_date, birth_rank, address_lines)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      row.id,
      row.nir,
      /^[78]/.test(row.nir),
      row.firstName,
      row.birthName,
      row.usageName,
      row.birthDate,
      row.birthRank,
      row.addressLines,
    ],
  );
  await ds.query(`INSERT INTO affiliation (beneficiary_id, organisme_code, valid_from) VALUES ($1, $2, $3)`, [
    row.id,
    row.organismeCode,
    row.affiliatedFrom,
  ]);
  return row;
}

export interface CardRow {
  id: string;
  serial: string;
  beneficiaryId: string;
  organismeCode: string;
  state: CardState;
  oppositionReason: OppositionReason | null;
}

/** Inserts a card straight into the database, its serial from the real allocator row (test set-up only). */
export async function insertCard(
  ds: DataSource,
  overrides: Partial<CardRow> & { beneficiaryId: string },
): Promise<CardRow> {
  const [[{ serial }]] = await ds.query(
    `UPDATE serial_allocator SET next_serial = next_serial + 1 WHERE id = 1 RETURNING (next_serial - 1)::text AS serial`,
  );
  const row: CardRow = {
    id: randomUUID(),
    serial,
    organismeCode: '017510001',
    state: CardState.Ordered,
    oppositionReason: null,
    ...overrides,
  };
  if (row.state === CardState.Opposed && !row.oppositionReason) row.oppositionReason = OppositionReason.Lost;
  await ds.query(
    `INSERT INTO card (id, serial, beneficiary_id, organisme_code, state, opposition_reason) VALUES ($1, $2, $3, $4, $5, $6)`,
    [row.id, row.serial, row.beneficiaryId, row.organismeCode, row.state, row.oppositionReason],
  );
  return row;
}
