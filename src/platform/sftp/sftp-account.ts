import type { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { SftpFolderAccess } from './sftp-folder-access.enum.js';

/**
 * One SFTP user as the server sees it: a login, the partner behind it, the public keys it may log in with and
 * its folders under `<DATA_DIR>/sftp/<login>/`. Nothing here is vendor-specific: concentrators collecting
 * opposition lists get accounts from their own provider.
 */
export interface SftpAccount {
  login: string;
  partnerId: string;
  /** The partner's kind: the actor of its audit entries (log-ins, downloads). */
  partnerKind: PartnerKind;
  /** OpenSSH one-line public keys, revoked ones already left out. */
  publicKeys: string[];
  /** Folder name (one path segment under the user's root) → access. */
  folders: Record<string, SftpFolderAccess>;
}

/**
 * Knows some SFTP users (vendors, later concentrators). Providers register themselves with SftpServer; logins
 * are unique across providers (the first that knows a login answers for it).
 */
export interface SftpAccountProvider {
  /** The account for this login, or null when this provider does not know it or it is not allowed in now. */
  findAccount(login: string): Promise<SftpAccount | null>;
  /**
   * A complete file (not `*.part` / `*.tmp`) was closed or renamed in one of the account's write folders.
   * Errors are logged by the server; the provider's own inbox scan is the safety net.
   */
  fileReceived(account: SftpAccount, folder: string, name: string): Promise<void>;
}

/** Names still being uploaded: a client writes `x.part` (or `x.tmp`) and renames it to `x` when done. */
export const isIncompleteName = (name: string): boolean => /\.(part|tmp)$/i.test(name);
