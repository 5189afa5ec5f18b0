import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

// TypeORM's PostgreSQL driver answers an UPDATE … RETURNING with [rows, count].
import type { PartnerKind } from '../../partners/partner-kind.enum.js';

/** An agent as the sign-in needs them: the secrets, the lockout state, the partner's kind and whether all is live. */
export interface AgentCredentials {
  id: string;
  login: string;
  passwordHash: string;
  /** Sealed (TotpSealer), or in clear for an agent made before secrets were sealed and not yet sealed. */
  totp: { sealed: Buffer } | { clear: Buffer };
  totpLastStep: bigint;
  lockedUntil: Date | null;
  /** Disabled, or its partner deactivated: it cannot sign in. */
  usable: boolean;
  kind: PartnerKind;
  organismeCode: string | null;
  partnerId: string;
}

/** An agent as the operators' list shows them. */
export interface AgentListItem {
  id: string;
  login: string;
  displayName: string;
  partnerId: string;
  partnerName: string;
  kind: PartnerKind;
  organismeCode: string | null;
  lockedUntil: Date | null;
  disabledAt: Date | null;
  createdAt: Date;
}

/** The owner of `console_agent`. */
@Injectable()
export class ConsoleAgentRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    em: EntityManager,
    a: {
      id: string;
      partnerId: string;
      login: string;
      displayName: string;
      passwordHash: string;
      totpSealed: Buffer;
      createdByAgentId: string | null;
    },
  ): Promise<void> {
    await em.query(
      `INSERT INTO console_agent (id, partner_id, login, display_name, password_hash, totp_sealed, created_by_agent_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [a.id, a.partnerId, a.login, a.displayName, a.passwordHash, a.totpSealed, a.createdByAgentId],
    );
  }

  /** The agents whose TOTP secret is still in clear (made before secrets were sealed). */
  async clearTotpSecrets(): Promise<{ id: string; secret: Buffer }[]> {
    const rows: { id: string; totp_secret: Buffer }[] = await this.dataSource.query(
      `SELECT id, totp_secret FROM console_agent WHERE totp_secret IS NOT NULL`,
    );
    return rows.map((r) => ({ id: r.id, secret: r.totp_secret }));
  }

  /** Replaces an agent's secret in clear by its sealed form (once: false when another instance did it first). */
  async sealTotp(id: string, sealed: Buffer): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.dataSource.query(
      `UPDATE console_agent SET totp_sealed = $2, totp_secret = NULL WHERE id = $1 AND totp_secret IS NOT NULL RETURNING id`,
      [id, sealed],
    );
    return rows.length === 1;
  }

  async findCredentials(login: string): Promise<AgentCredentials | null> {
    const rows = await this.dataSource.query(
      `SELECT a.id, a.login, a.password_hash, a.totp_secret, a.totp_sealed, a.totp_last_step::text AS totp_last_step, a.locked_until,
              (a.disabled_at IS NULL AND p.active) AS usable, p.kind, p.organisme_code, p.id AS partner_id
         FROM console_agent a JOIN partner p ON p.id = a.partner_id
        WHERE a.login = $1`,
      [login],
    );
    const r = rows[0];
    return r
      ? {
          id: r.id,
          login: r.login,
          passwordHash: r.password_hash,
          totp: r.totp_sealed ? { sealed: r.totp_sealed } : { clear: r.totp_secret },
          totpLastStep: BigInt(r.totp_last_step),
          lockedUntil: r.locked_until,
          usable: r.usable,
          kind: r.kind,
          organismeCode: r.organisme_code,
          partnerId: r.partner_id,
        }
      : null;
  }

  async passwordHashOf(id: string): Promise<string | null> {
    const rows = await this.dataSource.query(`SELECT password_hash FROM console_agent WHERE id = $1`, [id]);
    return rows[0]?.password_hash ?? null;
  }

  /**
   * One more failure, in one statement (concurrent attempts all count): at `threshold` the agent is locked for
   * `lockMinutes` and the count starts again. Returns the lock's end when this failure locked it.
   */
  async recordFailure(id: string, threshold: number, lockMinutes: number): Promise<Date | null> {
    const [rows]: [{ locked_until: Date | null; locked_now: boolean }[], number] = await this.dataSource.query(
      `UPDATE console_agent
          SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
              locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END
        WHERE id = $1
        RETURNING locked_until, (locked_until > now()) AS locked_now`,
      [id, threshold, lockMinutes],
    );
    return rows[0]?.locked_now ? rows[0].locked_until : null;
  }

  /**
   * A success: failures forgotten, and the TOTP step recorded only if it is later than the last one accepted (the
   * same code twice, even from two browsers at once, succeeds once). False when the step was already used or the
   * agent got locked, disabled or deactivated meanwhile.
   */
  async recordSuccess(em: EntityManager, id: string, step: bigint): Promise<boolean> {
    const [rows]: [unknown[], number] = await em.query(
      `UPDATE console_agent a SET failed_attempts = 0, locked_until = NULL, totp_last_step = $2
         FROM partner p
        WHERE a.id = $1 AND p.id = a.partner_id AND p.active AND a.disabled_at IS NULL
          AND a.totp_last_step < $2 AND (a.locked_until IS NULL OR a.locked_until <= now())
        RETURNING a.id`,
      [id, step.toString()],
    );
    return rows.length === 1;
  }

  async setPassword(em: EntityManager, id: string, passwordHash: string, mustChange: boolean): Promise<void> {
    await em.query(`UPDATE console_agent SET password_hash = $2, must_change_password = $3 WHERE id = $1`, [
      id,
      passwordHash,
      mustChange,
    ]);
  }

  /** Disables an agent (once); null when there is no such agent. */
  async disable(em: EntityManager, id: string): Promise<{ partnerId: string; organismeCode: string | null } | null> {
    const [rows]: [{ partner_id: string; organisme_code: string | null }[], number] = await em.query(
      `UPDATE console_agent a SET disabled_at = coalesce(a.disabled_at, now())
         FROM partner p WHERE a.id = $1 AND p.id = a.partner_id
        RETURNING a.partner_id, p.organisme_code`,
      [id],
    );
    return rows[0] ? { partnerId: rows[0].partner_id, organismeCode: rows[0].organisme_code } : null;
  }

  async list(): Promise<AgentListItem[]> {
    const rows = await this.dataSource.query(
      `SELECT a.id, a.login, a.display_name, a.partner_id, p.name AS partner_name, p.kind, p.organisme_code,
              a.locked_until, a.disabled_at, a.created_at
         FROM console_agent a JOIN partner p ON p.id = a.partner_id
        ORDER BY p.name, a.login`,
    );
    return rows.map((r: Record<string, unknown>) => ({
      id: r.id,
      login: r.login,
      displayName: r.display_name,
      partnerId: r.partner_id,
      partnerName: r.partner_name,
      kind: r.kind,
      organismeCode: r.organisme_code,
      lockedUntil: r.locked_until,
      disabledAt: r.disabled_at,
      createdAt: r.created_at,
    })) as AgentListItem[];
  }
}
