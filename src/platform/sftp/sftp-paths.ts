import path from 'node:path';
import type { SftpAccount } from './sftp-account.js';

/** File names a user may see or create: one segment, no leading dot, no separators, bounded. */
export const SFTP_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export type SftpTarget =
  { kind: 'root' } | { kind: 'folder'; folder: string } | { kind: 'file'; folder: string; name: string };

/**
 * The virtual path a client sent, normalised against the user's root `/` ('..' cannot climb above it), then
 * mapped onto the only things that exist for this user: `/`, its folders and the plain files directly in them.
 * Anything else (deeper paths, hidden or odd names, host paths) is null: the server answers NO_SUCH_FILE.
 * Pure: the security boundary is tested without a server.
 */
export function resolveSftpPath(account: Pick<SftpAccount, 'folders'>, raw: string): SftpTarget | null {
  if (typeof raw !== 'string' || raw.includes('\0') || raw.length > 1024) return null;
  const normalised = path.posix.resolve('/', raw);
  const parts = normalised.split('/').filter(Boolean);
  if (parts.length === 0) return { kind: 'root' };
  const folder = parts[0];
  if (!Object.hasOwn(account.folders, folder)) return null;
  if (parts.length === 1) return { kind: 'folder', folder };
  if (parts.length === 2 && SFTP_FILE_NAME.test(parts[1])) return { kind: 'file', folder, name: parts[1] };
  return null;
}

/** The path a client is shown for a target (REALPATH answers). */
export function virtualPath(target: SftpTarget): string {
  if (target.kind === 'root') return '/';
  if (target.kind === 'folder') return `/${target.folder}`;
  return `/${target.folder}/${target.name}`;
}
