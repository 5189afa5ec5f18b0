import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { PG_UNIQUE_VIOLATION, pgError } from '../../platform/database/pg-error.js';
import { run } from '../../platform/database/sql.js';

export interface VendorRow {
  partnerId: string;
  name: string;
  active: boolean;
  login: string;
  isDefault: boolean;
  regimeCodes: string[];
  ageRecipient: string | null;
  ageRecipientSetAt: Date | null;
  createdAt: Date;
}

export interface SshKeyRow {
  id: string;
  partnerId: string;
  algorithm: string;
  fingerprint: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const VENDOR_COLUMNS = `v.partner_id AS "partnerId", p.name, p.active, v.login, v.is_default AS "isDefault",
  v.regime_codes::text[] AS "regimeCodes", v.age_recipient AS "ageRecipient", v.age_recipient_set_at AS "ageRecipientSetAt", v.created_at AS "createdAt"`;
const KEY_COLUMNS = `k.id, k.partner_id AS "partnerId", k.algorithm, k.fingerprint, k.created_at AS "createdAt", k.revoked_at AS "revokedAt"`;

/** The only place that reads and writes vendor_profile and sftp_public_key. */
@Injectable()
export class VendorRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Serialises changes to vendors in one transaction at a time (the one-regime-one-vendor rule spans rows). */
  async lockRouting(em: EntityManager): Promise<void> {
    await run(em, `SELECT pg_advisory_xact_lock(hashtextextended('vendor_profile:routing', 0))`);
  }

  async partner(em: EntityManager, partnerId: string): Promise<{ kind: string; active: boolean } | null> {
    const { rows } = await run<{ kind: string; active: boolean }>(
      em,
      `SELECT kind::text, active FROM partner WHERE id = $1`,
      [partnerId],
    );
    return rows[0] ?? null;
  }

  async find(partnerId: string, em: EntityManager = this.dataSource.manager): Promise<VendorRow | null> {
    const { rows } = await run<VendorRow>(
      em,
      `SELECT ${VENDOR_COLUMNS} FROM vendor_profile v JOIN partner p ON p.id = v.partner_id WHERE v.partner_id = $1`,
      [partnerId],
    );
    return rows[0] ?? null;
  }

  async list(): Promise<VendorRow[]> {
    return (
      await run<VendorRow>(
        this.dataSource.manager,
        `SELECT ${VENDOR_COLUMNS} FROM vendor_profile v JOIN partner p ON p.id = v.partner_id ORDER BY v.login`,
      )
    ).rows;
  }

  async loginTaken(em: EntityManager, login: string): Promise<boolean> {
    return (await run(em, `SELECT 1 FROM vendor_profile WHERE login = $1`, [login])).rows.length > 0;
  }

  /** The other vendor that is the default, if any. */
  async otherDefault(em: EntityManager, partnerId: string): Promise<string | null> {
    const { rows } = await run<{ partner_id: string }>(
      em,
      `SELECT partner_id FROM vendor_profile WHERE is_default AND partner_id <> $1`,
      [partnerId],
    );
    return rows[0]?.partner_id ?? null;
  }

  /** Regime codes of `codes` another vendor already serves. */
  async regimesTakenByOthers(
    em: EntityManager,
    partnerId: string,
    codes: string[],
  ): Promise<Array<{ regimeCode: string; partnerId: string }>> {
    const { rows } = await run<{ regimeCode: string; partnerId: string }>(
      em,
      `SELECT DISTINCT r.code AS "regimeCode", v.partner_id AS "partnerId"
         FROM vendor_profile v, unnest(v.regime_codes::text[]) AS r(code)
        WHERE v.partner_id <> $1 AND r.code = ANY($2::text[]) ORDER BY 1`,
      [partnerId, codes],
    );
    return rows;
  }

  async unknownRegimes(em: EntityManager, codes: string[]): Promise<string[]> {
    const { rows } = await run<{ code: string }>(
      em,
      `SELECT c AS code FROM unnest($1::text[]) AS c WHERE NOT EXISTS (SELECT 1 FROM regime r WHERE r.code = c) ORDER BY 1`,
      [codes],
    );
    return rows.map((r) => r.code);
  }

  async insert(
    em: EntityManager,
    v: { partnerId: string; login: string; isDefault: boolean; regimeCodes: string[] },
  ): Promise<void> {
    await run(
      em,
      `INSERT INTO vendor_profile (partner_id, login, is_default, regime_codes) VALUES ($1, $2, $3, $4::char(2)[])`,
      [v.partnerId, v.login, v.isDefault, v.regimeCodes],
    );
  }

  async update(
    em: EntityManager,
    partnerId: string,
    change: { isDefault?: boolean; regimeCodes?: string[] },
  ): Promise<void> {
    await run(
      em,
      `UPDATE vendor_profile SET is_default = COALESCE($2, is_default), regime_codes = COALESCE($3::char(2)[], regime_codes) WHERE partner_id = $1`,
      [partnerId, change.isDefault ?? null, change.regimeCodes ?? null],
    );
  }

  /**
   * Sets the vendor's age recipient; false when another vendor already has this one (a unique index: one vendor
   * could otherwise open another's files).
   */
  async setAgeRecipient(em: EntityManager, partnerId: string, recipient: string): Promise<boolean> {
    try {
      await run(
        em,
        `UPDATE vendor_profile SET age_recipient = $2, age_recipient_set_at = now() WHERE partner_id = $1`,
        [partnerId, recipient],
      );
      return true;
    } catch (e) {
      if (pgError(e)?.code === PG_UNIQUE_VIOLATION) return false;
      throw e;
    }
  }

  /** The vendor's batches whose file is not written yet (they waited for its recipient). */
  async allocatedBatchIds(em: EntityManager, partnerId: string): Promise<string[]> {
    const { rows } = await run<{ id: string }>(
      em,
      `SELECT id FROM personalisation_batch WHERE vendor_partner_id = $1 AND status = 'allocated' ORDER BY batch_number`,
      [partnerId],
    );
    return rows.map((r) => r.id);
  }

  async keys(partnerIds: string[]): Promise<SshKeyRow[]> {
    if (partnerIds.length === 0) return [];
    return (
      await run<SshKeyRow>(
        this.dataSource.manager,
        `SELECT ${KEY_COLUMNS} FROM sftp_public_key k WHERE k.partner_id = ANY($1::uuid[]) ORDER BY k.created_at, k.id`,
        [partnerIds],
      )
    ).rows;
  }

  /** Inserts a key; null when the fingerprint is already registered (to this or another partner). */
  async insertKey(
    em: EntityManager,
    k: { partnerId: string; algorithm: string; publicKey: string; fingerprint: string },
  ): Promise<SshKeyRow | null> {
    try {
      const { rows } = await run<SshKeyRow>(
        em,
        `INSERT INTO sftp_public_key AS k (partner_id, algorithm, public_key, fingerprint) VALUES ($1, $2, $3, $4) RETURNING ${KEY_COLUMNS}`,
        [k.partnerId, k.algorithm, k.publicKey, k.fingerprint],
      );
      return rows[0];
    } catch (e) {
      if (pgError(e)?.code === PG_UNIQUE_VIOLATION) return null;
      throw e;
    }
  }

  /** Revokes a key of this partner (a no-op when it already is); null when the partner has no such key. */
  async revokeKey(em: EntityManager, partnerId: string, keyId: string): Promise<SshKeyRow | null> {
    await run(
      em,
      `UPDATE sftp_public_key SET revoked_at = now() WHERE id = $1 AND partner_id = $2 AND revoked_at IS NULL`,
      [keyId, partnerId],
    );
    const { rows } = await run<SshKeyRow>(
      em,
      `SELECT ${KEY_COLUMNS} FROM sftp_public_key k WHERE k.id = $1 AND k.partner_id = $2`,
      [keyId, partnerId],
    );
    return rows[0] ?? null;
  }

  /** Who may log in to SFTP under this login: an active vendor partner with a profile, and its live keys. */
  async sftpAccount(login: string): Promise<{ partnerId: string; login: string; publicKeys: string[] } | null> {
    const { rows } = await run<{ partnerId: string; login: string; publicKeys: string[] }>(
      this.dataSource.manager,
      `SELECT v.partner_id AS "partnerId", v.login,
              COALESCE(array_agg(k.public_key ORDER BY k.created_at) FILTER (WHERE k.id IS NOT NULL), '{}') AS "publicKeys"
         FROM vendor_profile v
         JOIN partner p ON p.id = v.partner_id AND p.active AND p.kind = 'personalisation_vendor'
         LEFT JOIN sftp_public_key k ON k.partner_id = v.partner_id AND k.revoked_at IS NULL
        WHERE v.login = $1
        GROUP BY v.partner_id, v.login`,
      [login],
    );
    return rows[0] ?? null;
  }

  /** Logins of the active vendors (the inbox scan visits them). */
  async activeVendors(): Promise<Array<{ partnerId: string; login: string }>> {
    return (
      await run<{ partnerId: string; login: string }>(
        this.dataSource.manager,
        `SELECT v.partner_id AS "partnerId", v.login FROM vendor_profile v JOIN partner p ON p.id = v.partner_id AND p.active ORDER BY v.login`,
      )
    ).rows;
  }
}
