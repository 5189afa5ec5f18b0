import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppConfig } from '../../config/app-config.js';

export interface DetachedSignature {
  /** Which key signed: the first 16 hex digits of the SHA-256 of its public key (SPKI DER). */
  keyId: string;
  algorithm: 'Ed25519';
  /** base64 */
  signature: string;
}

export interface PublishedKey {
  keyId: string;
  algorithm: 'Ed25519';
  /** SPKI, PEM */
  publicKey: string;
  current: boolean;
}

/**
 * Detached Ed25519 signatures for the files the system hands to partners (personalisation files, opposition
 * lists, receipts). Private keys stay on disk under DATA_DIR/keys/signing (mode 0600), never in the database
 * or the logs; every instance must share DATA_DIR. Older keys stay to verify what they signed.
 */
@Injectable()
export class SigningService implements OnModuleInit {
  private readonly dir: string;
  private keys = new Map<string, { priv: KeyObject; pub: KeyObject; createdAt: number }>();
  private currentId = '';

  constructor(config: AppConfig) {
    this.dir = path.resolve(config.dataDir, 'keys', 'signing');
  }

  onModuleInit(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.load();
    if (this.keys.size === 0) this.rotate();
  }

  sign(data: Buffer | string): DetachedSignature {
    const key = this.keys.get(this.currentId)!;
    return { keyId: this.currentId, algorithm: 'Ed25519', signature: sign(null, Buffer.from(data), key.priv).toString('base64') };
  }

  verify(data: Buffer | string, sig: DetachedSignature): boolean {
    const key = this.keys.get(sig.keyId);
    return !!key && sig.algorithm === 'Ed25519' && verify(null, Buffer.from(data), key.pub, Buffer.from(sig.signature, 'base64'));
  }

  publicKeys(): PublishedKey[] {
    return [...this.keys.entries()]
      .sort((a, b) => a[1].createdAt - b[1].createdAt)
      .map(([keyId, k]) => ({ keyId, algorithm: 'Ed25519', publicKey: k.pub.export({ type: 'spki', format: 'pem' }).toString(), current: keyId === this.currentId }));
  }

  /** Makes a new key the signing key; the old ones remain published for verification. */
  rotate(): PublishedKey {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyId = keyIdOf(publicKey);
    writeFileSync(path.join(this.dir, `${keyId}.key`), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    writeFileSync(path.join(this.dir, 'current'), keyId + '\n', { mode: 0o600 });
    this.load();
    return this.publicKeys().find((k) => k.keyId === keyId)!;
  }

  private load(): void {
    const keys = new Map<string, { priv: KeyObject; pub: KeyObject; createdAt: number }>();
    for (const file of readdirSync(this.dir).filter((f) => f.endsWith('.key'))) {
      const priv = createPrivateKey(readFileSync(path.join(this.dir, file)));
      const pub = createPublicKey(priv);
      keys.set(keyIdOf(pub), { priv, pub, createdAt: fileTime(path.join(this.dir, file)) });
    }
    this.keys = keys;
    let current = '';
    try { current = readFileSync(path.join(this.dir, 'current'), 'utf8').trim(); } catch { /* first start */ }
    this.currentId = keys.has(current) ? current : [...keys.entries()].sort((a, b) => b[1].createdAt - a[1].createdAt)[0]?.[0] ?? '';
  }
}

export function keyIdOf(pub: KeyObject): string {
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function fileTime(file: string): number {
  try { return statSync(file).mtimeMs; } catch { return 0; }
}
