import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppConfig } from '../config/app-config.js';

const MASTER_KEY_BYTES = 32;

/**
 * Webhook secrets are never stored: each is HMAC-SHA256(master key, subscription id), so the database alone
 * (a backup, a replica) cannot sign. The master key is 32 random bytes in DATA_DIR/keys/webhook-master.key
 * (mode 0600), created on first start and shared by every instance through DATA_DIR. Losing or replacing it
 * changes every subscription's secret.
 */
@Injectable()
export class WebhookKeyStore implements OnModuleInit {
  private readonly file: string;
  private master: Buffer | null = null;

  constructor(config: AppConfig) {
    this.file = path.resolve(config.dataDir, 'keys', 'webhook-master.key');
  }

  onModuleInit(): void {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    this.master = this.readOrCreate();
  }

  /** The secret a fund uses to check the signatures of one subscription (shown once, when it is created). */
  secretFor(subscriptionId: string): string {
    if (!this.master) throw new Error('webhook master key not loaded');
    return 'whsec_' + createHmac('sha256', this.master).update(`webhook-subscription:${subscriptionId}`, 'utf8').digest('base64url');
  }

  private readOrCreate(): Buffer {
    try {
      return this.check(readFileSync(this.file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    // Written aside then hard-linked into place: link() fails if another instance got there first, and a reader
    // never sees a half-written key.
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, randomBytes(MASTER_KEY_BYTES), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(tmp, this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
    return this.check(readFileSync(this.file));
  }

  private check(key: Buffer): Buffer {
    if (key.length !== MASTER_KEY_BYTES) throw new Error(`${this.file} must hold exactly ${MASTER_KEY_BYTES} bytes; refusing to sign webhooks with it`);
    return key;
  }
}
