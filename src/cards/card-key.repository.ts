import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import { USABLE_CARD_STATES } from './card-transitions.js';

/** A card's two chip public keys (65-byte uncompressed P-256 points), as the vendor reported them. */
export interface CardPublicKeys {
  cardId: string;
  authPublicKey: Buffer;
  encPublicKey: Buffer;
}

export interface KeylessCard {
  id: string;
  /** Database form (no padding). */
  serial: string;
  beneficiaryId: string;
  organismeCode: string;
  state: string;
  shippedAt: Date | null;
}

export interface KeylessFilter {
  /** A fund's organisme (the tenant rule), null for operators. */
  scopeOrganismeCode: string | null;
  organismeCode?: string;
  /** Keyset cursor: the serial (database form) of the last card already read. */
  afterSerial?: string;
  limit: number;
}

const USABLE = USABLE_CARD_STATES.map((s) => `'${s}'`).join(', ');

/**
 * The only place that reads and writes `card_key` (kiosk protocol 2: the keys born in a card's chip, reported by
 * the vendor's return file). The public keys are published nowhere: no route returns them.
 */
@Injectable()
export class CardKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Records the keys of cards being shipped, in the caller's transaction (the one that ships them). A key another
   * card holds, in either role, is refused by the database (unique indexes, card_key_point filled by a trigger; the
   * caller checks first with `heldBy`, the database is the arbiter).
   */
  async insertMany(em: EntityManager, keys: CardPublicKeys[]): Promise<void> {
    if (keys.length === 0) return;
    await run(
      em,
      `INSERT INTO card_key (card_id, auth_public_key, enc_public_key)
       SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::bytea[])`,
      [keys.map((k) => k.cardId), keys.map((k) => k.authPublicKey), keys.map((k) => k.encPublicKey)],
    );
  }

  /** Which of these points are already some card's key (auth or enc): point (hex) → that card's id. */
  async heldBy(em: EntityManager, points: Buffer[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (points.length === 0) return out;
    // `= ANY` on each column: two index scans (a join on `a = p OR b = p` would scan the table once per point).
    const { rows } = await run<{ auth: Buffer; enc: Buffer; cardId: string }>(
      em,
      `SELECT auth_public_key AS auth, enc_public_key AS enc, card_id AS "cardId" FROM card_key
        WHERE auth_public_key = ANY($1::bytea[]) OR enc_public_key = ANY($1::bytea[])`,
      [points],
    );
    const wanted = new Set(points.map((p) => p.toString('hex')));
    for (const r of rows) {
      for (const k of [r.auth.toString('hex'), r.enc.toString('hex')]) if (wanted.has(k)) out.set(k, r.cardId);
    }
    return out;
  }

  /** The keys of one card by its serial (database form); null when it has none (made before kiosk/2, or imported). */
  async findBySerial(serial: string, em: EntityManager = this.dataSource.manager): Promise<CardPublicKeys | null> {
    const { rows } = await run<CardPublicKeys>(
      em,
      `SELECT k.card_id AS "cardId", k.auth_public_key AS "authPublicKey", k.enc_public_key AS "encPublicKey"
         FROM card c JOIN card_key k ON k.card_id = c.id WHERE c.serial = $1`,
      [serial],
    );
    return rows[0] ?? null;
  }

  /** Usable cards (shipped or active) without keys, by serial; the tenant scope and the filter in the SQL. */
  async listKeyless(f: KeylessFilter): Promise<KeylessCard[]> {
    const { rows } = await run<KeylessCard>(
      this.dataSource.manager,
      `SELECT c.id, c.serial::text AS serial, c.beneficiary_id AS "beneficiaryId", c.organisme_code AS "organismeCode", c.state, c.shipped_at AS "shippedAt"
         FROM card c
        WHERE c.state IN (${USABLE})
          AND ($1::char(9) IS NULL OR c.organisme_code = $1) AND ($2::char(9) IS NULL OR c.organisme_code = $2)
          AND ($3::bigint IS NULL OR c.serial > $3)
          AND NOT EXISTS (SELECT 1 FROM card_key k WHERE k.card_id = c.id)
        ORDER BY c.serial
        LIMIT $4`,
      [f.scopeOrganismeCode, f.organismeCode ?? null, f.afterSerial ?? null, f.limit],
    );
    return rows;
  }

  /** How many usable cards have no keys, in the same scope as `listKeyless`. */
  async countKeyless(f: Omit<KeylessFilter, 'afterSerial' | 'limit'>): Promise<number> {
    const { rows } = await run<{ n: number }>(
      this.dataSource.manager,
      `SELECT count(*)::int AS n
         FROM card c
        WHERE c.state IN (${USABLE})
          AND ($1::char(9) IS NULL OR c.organisme_code = $1) AND ($2::char(9) IS NULL OR c.organisme_code = $2)
          AND NOT EXISTS (SELECT 1 FROM card_key k WHERE k.card_id = c.id)`,
      [f.scopeOrganismeCode, f.organismeCode ?? null],
    );
    return rows[0].n;
  }
}
