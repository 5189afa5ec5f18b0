import { Injectable, OnModuleInit } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import path from 'node:path';
import { AppConfig } from '../../config/app-config.js';
import { readOrCreateSecret } from '../../platform/crypto/key-file.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** The sealed form's first byte: its format (AES-256-GCM, 12-byte nonce, 16-byte tag). */
const VERSION = 1;

/**
 * Console agents' TOTP secrets are never stored in clear: each is sealed with AES-256-GCM under a 32-byte key in
 * DATA_DIR/keys/console-totp.key (mode 0600, made at the first start, shared by every instance and the CLI through
 * DATA_DIR), bound to the agent's id (a sealed secret copied onto another agent does not open). The database alone
 * (a backup, a replica, a dump) cannot make an agent's codes. Losing or replacing the key file makes every agent's
 * secret unreadable: they can no longer sign in until an operator gives them new credentials (docs/console.md).
 */
@Injectable()
export class TotpSealer implements OnModuleInit {
  private readonly file: string;
  private key: Buffer | null = null;

  constructor(config: AppConfig) {
    this.file = path.resolve(config.dataDir, 'keys', 'console-totp.key');
  }

  onModuleInit(): void {
    this.key = readOrCreateSecret(this.file, KEY_BYTES, 'seal console TOTP secrets');
  }

  seal(agentId: string, secret: Buffer): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.loaded(), nonce);
    cipher.setAAD(aad(agentId));
    const body = Buffer.concat([cipher.update(secret), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]);
  }

  /** The agent's secret, or null when it does not open (another key, another agent's, altered). */
  open(agentId: string, sealed: Buffer): Buffer | null {
    if (sealed.length <= 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.loaded(), sealed.subarray(1, 1 + NONCE_BYTES));
      decipher.setAAD(aad(agentId));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      return null;
    }
  }

  private loaded(): Buffer {
    if (!this.key) throw new Error('console TOTP key not loaded');
    return this.key;
  }
}

const aad = (agentId: string) => Buffer.from(`vitale-console-totp:${agentId}`, 'utf8');
