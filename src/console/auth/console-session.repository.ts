import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';

/** The owner of `console_session`. */
@Injectable()
export class ConsoleSessionRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(
    em: EntityManager,
    s: { tokenHash: Buffer; agentId: string; absoluteHours: number; csrfToken: string },
  ): Promise<string> {
    const rows: { id: string }[] = await em.query(
      `INSERT INTO console_session (token_hash, agent_id, expires_at, csrf_token)
       VALUES ($1, $2, now() + make_interval(hours => $3), $4) RETURNING id`,
      [s.tokenHash, s.agentId, s.absoluteHours, s.csrfToken],
    );
    return rows[0].id;
  }

  /**
   * The live session of a token hash, its last use moved to now in the same statement: not revoked, before its
   * absolute expiry, used within the idle time, its agent enabled and its partner active. Null otherwise.
   */
  async touchLive(tokenHash: Buffer, idleMinutes: number): Promise<ConsolePrincipal | null> {
    const rows = await this.dataSource.query(
      `UPDATE console_session s SET last_seen_at = now()
         FROM console_agent a JOIN partner p ON p.id = a.partner_id
        WHERE s.token_hash = $1 AND a.id = s.agent_id
          AND s.revoked_at IS NULL AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(mins => $2)
          AND a.disabled_at IS NULL AND p.active
        RETURNING s.id AS session_id, s.csrf_token, a.id AS agent_id, a.login, a.display_name, a.must_change_password,
                  p.id AS partner_id, p.name AS partner_name, p.kind, p.organisme_code`,
      [tokenHash, idleMinutes],
    );
    // TypeORM's PostgreSQL driver answers an UPDATE … RETURNING with [rows, count].
    const r = (rows as unknown[][])[0]?.[0] as Record<string, unknown> | undefined;
    return r
      ? {
          agentId: r.agent_id as string,
          sessionId: r.session_id as string,
          login: r.login as string,
          displayName: r.display_name as string,
          partnerId: r.partner_id as string,
          partnerName: r.partner_name as string,
          kind: r.kind as ConsolePrincipal['kind'],
          organismeCode: (r.organisme_code as string | null) ?? null,
          csrfToken: r.csrf_token as string,
          mustChangePassword: r.must_change_password as boolean,
        }
      : null;
  }

  async revoke(em: EntityManager, sessionId: string): Promise<void> {
    await em.query(`UPDATE console_session SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [sessionId]);
  }

  /** Every open session of an agent ends (sign-out everywhere, agent disabled, password changed). Returns how many. */
  async revokeAllOf(em: EntityManager, agentId: string, exceptSessionId: string | null = null): Promise<number> {
    const [rows]: [unknown[], number] = await em.query(
      `UPDATE console_session SET revoked_at = now()
        WHERE agent_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid) RETURNING id`,
      [agentId, exceptSessionId],
    );
    return rows.length;
  }
}
