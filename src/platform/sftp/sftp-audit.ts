import { Injectable } from '@nestjs/common';
import { Transactions } from '../database/transactions.js';
import { systemActor, type Actor } from '../auth/actor.js';
import { AuditService, type AuditRecord } from '../audit/audit.service.js';
import type { SftpAccount } from './sftp-account.js';
import { SFTP_LOGIN } from './sftp-folders.js';

/** Why a log-in was refused (audit `details.reason`). */
export type SftpRefusalReason =
  | 'method_not_allowed' // a password or keyboard-interactive attempt: only public keys are accepted
  | 'unknown_login' // no active account with this login
  | 'key_not_registered' // the key is not one of the account's live keys
  | 'signature_invalid' // the client showed a registered key but could not sign with it
  | 'session_limit' // the account already holds SFTP_MAX_SESSIONS sessions on this instance
  | 'server_error'; // the account's folders could not be prepared

/**
 * The SFTP server's audit trail: log-ins that succeed, log-ins that are refused, and every file a partner
 * downloads (personalisation files carry NIRs, names and photos). Entries of one connection share its
 * `requestId` (`sftp-…`), so a download is tied to its log-in. Never personal data: logins, file names, sizes,
 * addresses of the partner's machine.
 */
@Injectable()
export class SftpAudit {
  constructor(
    private readonly tx: Transactions,
    private readonly audit: AuditService,
  ) {}

  login(account: SftpAccount, connectionId: string, ip: string): Promise<void> {
    return this.write(actorOf(account, connectionId), {
      action: 'sftp.login',
      entityType: 'sftp_account',
      entityId: account.login,
      details: { ip },
    });
  }

  /**
   * A refused log-in. The actor is the partner only when it proved who it is (its key signed: a session limit);
   * otherwise the system records the attempt, naming the login tried when it is a well-formed one.
   */
  refused(o: {
    connectionId: string;
    ip: string;
    login: string | null;
    reason: SftpRefusalReason;
    attempts: number;
    account?: SftpAccount;
    limit?: number;
  }): Promise<void> {
    const actor = o.account ? actorOf(o.account, o.connectionId) : systemActor(o.connectionId);
    const login = o.login !== null && SFTP_LOGIN.test(o.login) ? o.login : null;
    return this.write(actor, {
      action: 'sftp.login.refused',
      entityType: 'sftp_account',
      entityId: login ?? '-',
      details: {
        ip: o.ip,
        reason: o.reason,
        attempts: o.attempts,
        ...(login ? {} : { loginWellFormed: false }),
        ...(o.limit ? { limit: o.limit } : {}),
      },
    });
  }

  download(account: SftpAccount, connectionId: string, folder: string, fileName: string, bytes: number): Promise<void> {
    return this.write(actorOf(account, connectionId), {
      action: 'sftp.download',
      entityType: 'sftp_account',
      entityId: account.login,
      details: { folder, fileName, bytes },
    });
  }

  private write(actor: Actor, record: AuditRecord): Promise<void> {
    return this.tx.run((em) => this.audit.record(em, actor, record));
  }
}

function actorOf(account: SftpAccount, connectionId: string): Actor {
  return {
    kind: account.partnerKind,
    partnerId: account.partnerId,
    organismeCode: null,
    apiKeyId: null,
    requestId: connectionId,
  };
}
