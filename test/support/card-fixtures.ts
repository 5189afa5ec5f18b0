import { type DataSource } from 'typeorm';
import { CardState, OppositionReason } from '../../src/cards/card-state.enum.js';
import { formatSerial } from '../../src/cards/card-serial.js';
import { insertBeneficiary, insertCard, type CardRow } from './factories.js';

export interface TestCard extends CardRow {
  /** The serial as the API shows it (12 digits). */
  serial12: string;
}

/**
 * A card in any state, straight into the database (test set-up only). An opposed card remembers
 * `previousState` (default `active`) so a withdrawal has somewhere to go; a new holder is created unless given.
 */
export async function cardIn(
  ds: DataSource,
  state: CardState,
  opts: {
    beneficiaryId?: string;
    organismeCode?: string;
    previousState?: CardState | null;
    reason?: OppositionReason;
  } = {},
): Promise<TestCard> {
  const organismeCode = opts.organismeCode ?? '017510001';
  const beneficiaryId = opts.beneficiaryId ?? (await insertBeneficiary(ds, { organismeCode })).id;
  const row = await insertCard(ds, {
    beneficiaryId,
    organismeCode,
    state,
    oppositionReason: state === CardState.Opposed ? (opts.reason ?? OppositionReason.Lost) : null,
  });
  if (state === CardState.Opposed) {
    const previous = opts.previousState === undefined ? CardState.Active : opts.previousState;
    await ds.query(`UPDATE card SET previous_state = $2 WHERE id = $1`, [row.id, previous]);
  }
  return { ...row, serial12: formatSerial(row.serial) };
}

/** The whole card row as stored, to prove a refused transition changed nothing. */
export async function cardRowBySerial(ds: DataSource, serial: string): Promise<Record<string, unknown>> {
  const rows = await ds.query(`SELECT * FROM card WHERE serial = $1`, [BigInt(serial).toString()]);
  return rows[0];
}

/** The audit entries about one card (kept under its id), oldest first; the serial is in `details`. */
export async function cardAuditEntries(
  ds: DataSource,
  serial12: string,
): Promise<
  Array<{ action: string; actor_kind: string; organisme_code: string | null; details: Record<string, unknown> }>
> {
  return ds.query(
    `SELECT action, actor_kind, organisme_code, details FROM audit_entry
      WHERE entity_type = 'card' AND entity_id = (SELECT id::text FROM card WHERE serial = $1) ORDER BY id`,
    [BigInt(serial12).toString()],
  );
}

/** A syntactically valid serial that no card has (beyond the sequence's range in use). */
export const UNKNOWN_SERIAL = '999999999998';
