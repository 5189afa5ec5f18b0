import { generateSshKeyPair } from './ssh-key-pair.js';
import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppConfig } from '../../config/app-config.js';

/**
 * The SFTP server's Ed25519 host key, generated once into DATA_DIR/keys/ssh_host_ed25519 (mode 0600) and kept:
 * partners pin it, so it must survive restarts and be shared by every instance on DATA_DIR.
 */
@Injectable()
export class SftpHostKey {
  readonly file: string;

  constructor(config: AppConfig) {
    this.file = path.resolve(config.dataDir, 'keys', 'ssh_host_ed25519');
  }

  /** The private key (OpenSSH format), created on first use. Two instances starting at once keep the same one. */
  load(): Buffer {
    try {
      return readFileSync(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const pair = generateSshKeyPair('vitale-sftp');
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, pair.private, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    try {
      // link() refuses to replace: the first writer wins and everyone reads its key.
      linkSync(tmp, this.file);
      writeFileSync(`${this.file}.pub`, pair.public + '\n', { mode: 0o644 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
    return readFileSync(this.file);
  }
}
