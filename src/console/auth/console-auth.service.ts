import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config.js';
import type { Actor } from '../../platform/auth/actor.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { Transactions } from '../../platform/database/transactions.js';
import { type AgentCredentials, ConsoleAgentRepository } from '../agents/console-agent.repository.js';
import { ConsoleSessionRepository } from './console-session.repository.js';
import { decoyHash, verifyPassword } from './passwords.js';
import { matchTotp } from './totp.js';
import { TotpSealer } from './totp-sealer.js';

export type SignInResult =
  { ok: true; token: string } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'locked'; until: Date };

/** A session token: 256 random bits, base64url (43 characters). */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

const agentActor = (
  c: Pick<AgentCredentials, 'id' | 'kind' | 'partnerId' | 'organismeCode'>,
  requestId: string | null,
): Actor => ({
  kind: c.kind,
  partnerId: c.partnerId,
  organismeCode: c.organismeCode,
  apiKeyId: null,
  agentId: c.id,
  requestId,
});

/** Sign-in (password and TOTP), lockout, sessions (absolute and idle expiry), sign-out here and everywhere. */
@Injectable()
export class ConsoleAuthService {
  private readonly logger = new Logger(ConsoleAuthService.name);

  constructor(
    private readonly tx: Transactions,
    private readonly agents: ConsoleAgentRepository,
    private readonly sessions: ConsoleSessionRepository,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly sealer: TotpSealer,
  ) {}

  /** The agent's TOTP secret; null (and logged, for the operators) when it does not open with this DATA_DIR's key. */
  private totpSecretOf(agent: AgentCredentials): Buffer | null {
    if ('clear' in agent.totp) return agent.totp.clear;
    const secret = this.sealer.open(agent.id, agent.totp.sealed);
    if (!secret)
      this.logger.error({
        msg: 'console TOTP secret does not open with DATA_DIR/keys/console-totp.key',
        agentId: agent.id,
      });
    return secret;
  }

  /**
   * Checks the login, the password (Argon2id) and the TOTP code together and says only "refused" whichever was
   * wrong; an unknown login costs the same Argon2id work. Each refusal of a known agent counts towards the lockout
   * (CONSOLE_LOCKOUT_ATTEMPTS in a row lock it CONSOLE_LOCKOUT_MINUTES); a locked agent is refused without its
   * password even being checked.
   */
  async signIn(
    input: { login: string; password: string; code: string },
    requestId: string | null,
    nowSeconds = Date.now() / 1000,
  ): Promise<SignInResult> {
    const login = input.login.trim().toLowerCase();
    const agent = login.length > 0 && login.length <= 64 ? await this.agents.findCredentials(login) : null;
    if (!agent) {
      await verifyPassword(await decoyHash(), input.password);
      return { ok: false, reason: 'invalid' };
    }
    if (agent.lockedUntil && agent.lockedUntil.getTime() > nowSeconds * 1000) {
      return { ok: false, reason: 'locked', until: agent.lockedUntil };
    }
    const passwordOk = await verifyPassword(agent.passwordHash, input.password);
    const secret = this.totpSecretOf(agent);
    const step = secret ? matchTotp(secret, input.code.trim(), nowSeconds) : null;
    const accepted = agent.usable && passwordOk && step !== null && step > agent.totpLastStep;
    if (accepted) {
      const token = randomBytes(32).toString('base64url');
      const opened = await this.tx.run(async (em) => {
        if (!(await this.agents.recordSuccess(em, agent.id, step))) return false;
        const sessionId = await this.sessions.insert(em, {
          tokenHash: hashToken(token),
          agentId: agent.id,
          absoluteHours: this.config.consoleSessionHours,
          csrfToken: randomBytes(24).toString('base64url'),
        });
        await this.audit.record(em, agentActor(agent, requestId), {
          action: 'console.signed_in',
          entityType: 'console_session',
          entityId: sessionId,
          organismeCode: agent.organismeCode,
        });
        return true;
      });
      if (opened) return { ok: true, token };
    }
    const lockedUntil = await this.agents.recordFailure(
      agent.id,
      this.config.consoleLockoutAttempts,
      this.config.consoleLockoutMinutes,
    );
    await this.tx.run((em) =>
      this.audit.record(em, agentActor(agent, requestId), {
        action: lockedUntil ? 'console.locked' : 'console.sign_in_refused',
        entityType: 'console_agent',
        entityId: agent.id,
        organismeCode: agent.organismeCode,
      }),
    );
    return lockedUntil ? { ok: false, reason: 'locked', until: lockedUntil } : { ok: false, reason: 'invalid' };
  }

  /** The live session a cookie's token names (its last use recorded), or null: what the request gate calls. */
  authenticate(token: string): Promise<ConsolePrincipal | null> {
    if (!TOKEN.test(token)) return Promise.resolve(null);
    return this.sessions.touchLive(hashToken(token), this.config.consoleIdleMinutes);
  }

  async signOut(actor: Actor, sessionId: string): Promise<void> {
    await this.tx.run(async (em) => {
      await this.sessions.revoke(em, sessionId);
      await this.audit.record(em, actor, {
        action: 'console.signed_out',
        entityType: 'console_session',
        entityId: sessionId,
        organismeCode: actor.organismeCode,
      });
    });
  }

  /** Ends every session of the agent, this one included (a lost laptop, a shared computer). */
  async signOutEverywhere(actor: Actor & { agentId: string }): Promise<number> {
    return this.tx.run(async (em) => {
      const ended = await this.sessions.revokeAllOf(em, actor.agentId);
      await this.audit.record(em, actor, {
        action: 'console.signed_out_everywhere',
        entityType: 'console_agent',
        entityId: actor.agentId,
        organismeCode: actor.organismeCode,
        details: { sessions: ended },
      });
      return ended;
    });
  }
}
