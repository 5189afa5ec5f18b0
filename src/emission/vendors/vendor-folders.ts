import { SftpFolderAccess } from '../../platform/sftp/sftp-folder-access.enum.js';

/** The system publishes personalisation files (and reject files) here; the vendor downloads them. */
export const VENDOR_OUTBOX = 'outbox';
/** The vendor drops its return files here. */
export const VENDOR_INBOX = 'inbox';

export const VENDOR_FOLDERS: Record<string, SftpFolderAccess> = {
  [VENDOR_OUTBOX]: SftpFolderAccess.Read,
  [VENDOR_INBOX]: SftpFolderAccess.Write,
};
