/** What an SFTP user may do in one of its folders. No folder is both: a drop box is never readable. */
export enum SftpFolderAccess {
  /** List, stat and read (files the system published for the partner). */
  Read = 'read',
  /** Create, write, close and rename within the folder (files the partner hands in); no read, no list, no delete. */
  Write = 'write',
}
