import { generateSshKeyPair } from './ssh-key-pair.js';
import { Injectable } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import { readOrCreateKeyFile } from '../crypto/key-file.js';
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
    let pair: { private: string; public: string } | undefined;
    return readOrCreateKeyFile(this.file, () => Buffer.from((pair = generateSshKeyPair('vitale-sftp')).private), {
      won: () => writeFileSync(`${this.file}.pub`, pair!.public + '\n', { mode: 0o644 }),
    });
  }
}
