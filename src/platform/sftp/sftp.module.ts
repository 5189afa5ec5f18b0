import { Module } from '@nestjs/common';
import { SftpAudit } from './sftp-audit.js';
import { SftpFolders } from './sftp-folders.js';
import { SftpHostKey } from './sftp-host-key.js';
import { SftpServer } from './sftp-server.js';

/**
 * The built-in SFTP server and the SFTP file tree. Feature modules register an SftpAccountProvider (who may log
 * in, with which keys, which folders, what happens when a file arrives) and publish files with SftpFolders.
 */
@Module({ providers: [SftpHostKey, SftpFolders, SftpAudit, SftpServer], exports: [SftpFolders, SftpServer] })
export class SftpModule {}
