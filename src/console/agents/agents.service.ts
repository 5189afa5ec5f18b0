import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import { PartnersService } from '../../partners/partners.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { PG_UNIQUE_VIOLATION, pgError } from '../../platform/database/pg-error.js';
import { Transactions } from '../../platform/database/transactions.js';
import { textFault } from '../../platform/validation/text.js';
import { ConsoleSessionRepository } from '../auth/console-session.repository.js';
import {
  hashPassword,
  oneTimePassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from '../auth/passwords.js';
import { base32, newTotpSecret, otpauthUri } from '../auth/totp.js';
import { TotpSealer } from '../auth/totp-sealer.js';
import { ConsoleErrors } from '../console.errors.js';
import { type AgentListItem, ConsoleAgentRepository } from './console-agent.repository.js';

const LOGIN = /^[a-z0-9][a-z0-9._-]{2,63}$/;

/** What creating an agent gives, once: never stored in clear, never shown again. */
export interface CreatedAgent {
  id: string;
  login: string;
  displayName: string;
  partnerName: string;
  oneTimePassword: string;
  /** The TOTP secret in base32, for typing into an authenticator app. */
  totpSecret: string;
  /** The same as an otpauth:// URI (what a QR code would hold). */
  otpauthUri: string;
}

/** Console agents: created by operators (or the CLI for the first one), listed, disabled; their passwords. */
@Injectable()
export class AgentsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AgentsService.name);

  constructor(
    private readonly tx: Transactions,
    private readonly agents: ConsoleAgentRepository,
    private readonly sessions: ConsoleSessionRepository,
    private readonly partners: PartnersService,
    private readonly audit: AuditService,
    private readonly sealer: TotpSealer,
  ) {}

  /** At every start (the API, the workers, the CLI): the secrets still in clear get sealed. */
  async onApplicationBootstrap(): Promise<void> {
    try {
      const sealed = await this.sealClearTotpSecrets();
      if (sealed > 0) this.logger.log({ msg: 'console TOTP secrets sealed', agents: sealed });
    } catch (e) {
      // The database is out at this start: the next start seals them (they still sign in meanwhile).
      this.logger.warn({ msg: 'console TOTP secrets not sealed at this start', error: (e as Error).message });
    }
  }

  /** Seals the TOTP secrets of agents made before secrets were sealed; answers how many this call sealed. */
  async sealClearTotpSecrets(): Promise<number> {
    let n = 0;
    for (const { id, secret } of await this.agents.clearTotpSecrets()) {
      if (await this.agents.sealTotp(id, this.sealer.seal(id, secret))) n++;
    }
    return n;
  }

  async create(actor: Actor, input: { partnerId: string; login: string; displayName: string }): Promise<CreatedAgent> {
    const login = input.login.trim().toLowerCase();
    if (!LOGIN.test(login)) throw ConsoleErrors.AGENT_LOGIN_INVALID();
    const displayName = input.displayName.trim();
    if (textFault(displayName, 120) !== null) throw ConsoleErrors.AGENT_NAME_INVALID();
    const partner = await this.partners.get(input.partnerId).catch(() => null);
    if (!partner || !partner.active || ![PartnerKind.Operator, PartnerKind.Fund].includes(partner.kind)) {
      throw ConsoleErrors.AGENT_PARTNER_INVALID();
    }
    const password = oneTimePassword();
    const secret = newTotpSecret();
    const passwordHash = await hashPassword(password);
    const id = await this.tx
      .run(async (em) => {
        const agentId = randomUUID();
        await this.agents.insert(em, {
          id: agentId,
          partnerId: partner.id,
          login,
          displayName,
          passwordHash,
          totpSealed: this.sealer.seal(agentId, secret),
          createdByAgentId: actor.agentId ?? null,
        });
        await this.audit.record(em, actor, {
          action: 'console_agent.created',
          entityType: 'console_agent',
          entityId: agentId,
          organismeCode: partner.organismeCode,
          details: { partnerId: partner.id, kind: partner.kind },
        });
        return agentId;
      })
      .catch((e: unknown) => {
        if (pgError(e)?.code === PG_UNIQUE_VIOLATION) throw ConsoleErrors.AGENT_LOGIN_TAKEN();
        throw e;
      });
    return {
      id,
      login,
      displayName,
      partnerName: partner.name,
      oneTimePassword: password,
      totpSecret: base32(secret),
      otpauthUri: otpauthUri(secret, login),
    };
  }

  /** The first operator partner (the bootstrap operator on a fresh install): where the CLI's first agent goes. */
  async firstOperatorPartnerId(): Promise<string | null> {
    const operators = await this.partners.list(PartnerKind.Operator);
    return operators.find((p) => p.active)?.id ?? null;
  }

  list(): Promise<AgentListItem[]> {
    return this.agents.list();
  }

  /** Disables an agent and ends all their sessions at once. */
  async disable(actor: Actor, id: string): Promise<void> {
    await this.tx.run(async (em) => {
      const agent = await this.agents.disable(em, id);
      if (!agent) throw ConsoleErrors.AGENT_NOT_FOUND();
      const sessions = await this.sessions.revokeAllOf(em, id);
      await this.audit.record(em, actor, {
        action: 'console_agent.disabled',
        entityType: 'console_agent',
        entityId: id,
        organismeCode: agent.organismeCode,
        details: { sessions },
      });
    });
  }

  /** The agent's own new password (the one-time password replaced): the agent's other sessions end. */
  async changePassword(
    actor: Actor & { agentId: string },
    sessionId: string,
    current: string,
    next: string,
  ): Promise<void> {
    const hash = await this.agents.passwordHashOf(actor.agentId);
    if (!hash || !(await verifyPassword(hash, current))) throw ConsoleErrors.PASSWORD_WRONG();
    if (next.length < PASSWORD_MIN_LENGTH || textFault(next, PASSWORD_MAX_LENGTH) !== null || next === current) {
      throw ConsoleErrors.PASSWORD_TOO_WEAK();
    }
    const nextHash = await hashPassword(next);
    await this.tx.run(async (em) => {
      await this.agents.setPassword(em, actor.agentId, nextHash, false);
      await this.sessions.revokeAllOf(em, actor.agentId, sessionId);
      await this.audit.record(em, actor, {
        action: 'console_agent.password_changed',
        entityType: 'console_agent',
        entityId: actor.agentId,
        organismeCode: actor.organismeCode,
      });
    });
  }
}
