import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { readOrCreateSecret } from '../platform/crypto/key-file.js';

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
    this.master = readOrCreateSecret(this.file, MASTER_KEY_BYTES, 'sign webhooks');
  }

  /** The secret a fund uses to check the signatures of one subscription (shown once, when it is created). */
  secretFor(subscriptionId: string): string {
    if (!this.master) throw new Error('webhook master key not loaded');
    return (
      'whsec_' +
      createHmac('sha256', this.master).update(`webhook-subscription:${subscriptionId}`, 'utf8').digest('base64url')
    );
  }
}
