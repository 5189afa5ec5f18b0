import { Injectable, OnModuleInit } from '@nestjs/common';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppConfig } from '../../config/app-config.js';
import { buildTree, leafHash } from './merkle.js';

export interface DetachedSignature {
  /** Which key signed: the first 16 hex digits of the SHA-256 of its public key (SPKI DER). */
  keyId: string;
  algorithm: 'Ed25519';
  /** base64 */
  signature: string;
}

/**
 * A signature shared by a batch of documents: `signature` signs the tree head (`treeHeadMessage`) of an RFC 9162
 * Merkle tree over the batch, and `path` (base64 hashes, nearest first) proves this document's leaf `index` in it.
 */
export interface TreeSignature extends DetachedSignature {
  tree: { size: number; index: number; path: string[] };
}

/** The bytes a tree signature signs: `vitale-signed-tree/1:<size>:<root, hex>`, ASCII. */
export function treeHeadMessage(size: number, root: Buffer): Buffer {
  return Buffer.from(`vitale-signed-tree/1:${size}:${root.toString('hex')}`, 'ascii');
}

/** How stale this instance's view of the key folder may get (rotations by other instances). */
const REFRESH_MS = 10_000;

/** Largest batch under one tree signature. */
const MAX_TREE = 1024;

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
  private loadedAt = 0;
  private treeQueue: { leaf: Buffer; resolve(s: TreeSignature): void; reject(e: Error): void }[] = [];

  constructor(config: AppConfig) {
    this.dir = path.resolve(config.dataDir, 'keys', 'signing');
  }

  onModuleInit(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.load();
    if (this.keys.size === 0) this.rotate();
  }

  sign(data: Buffer | string): DetachedSignature {
    this.refreshIfStale();
    const key = this.keys.get(this.currentId)!;
    // A Buffer is signed as is (no copy: personalisation files are ~75 MB).
    return {
      keyId: this.currentId,
      algorithm: 'Ed25519',
      signature: sign(null, typeof data === 'string' ? Buffer.from(data) : data, key.priv).toString('base64'),
    };
  }

  /**
   * Signs `data` together with every other document asked for in the same turn of the event loop: one Ed25519
   * signature per batch over a Merkle tree of the documents (for the receipts of the kiosk hot path, where a
   * signature per answer cost more CPU than the rest of the request). A batch of one is a tree of one leaf.
   */
  signInTree(data: Buffer): Promise<TreeSignature> {
    return new Promise((resolve, reject) => {
      this.treeQueue.push({ leaf: leafHash(data), resolve, reject });
      if (this.treeQueue.length === 1) setImmediate(() => this.flushTree());
      else if (this.treeQueue.length >= MAX_TREE) this.flushTree();
    });
  }

  private flushTree(): void {
    const batch = this.treeQueue;
    if (batch.length === 0) return;
    this.treeQueue = [];
    try {
      const { root, proofs } = buildTree(batch.map((b) => b.leaf));
      const sig = this.sign(treeHeadMessage(batch.length, root));
      batch.forEach((b, index) =>
        b.resolve({
          ...sig,
          tree: { size: batch.length, index, path: proofs[index].map((p) => p.toString('base64')) },
        }),
      );
    } catch (e) {
      for (const b of batch) b.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  verify(data: Buffer | string, sig: DetachedSignature): boolean {
    const key = this.keys.get(sig.keyId);
    return (
      !!key &&
      sig.algorithm === 'Ed25519' &&
      verify(null, Buffer.from(data), key.pub, Buffer.from(sig.signature, 'base64'))
    );
  }

  publicKeys(): PublishedKey[] {
    // Another instance may have rotated the key a moment ago: the published list is read fresh.
    this.load();
    return [...this.keys.entries()]
      .sort((a, b) => a[1].createdAt - b[1].createdAt)
      .map(([keyId, k]) => ({
        keyId,
        algorithm: 'Ed25519',
        publicKey: k.pub.export({ type: 'spki', format: 'pem' }).toString(),
        current: keyId === this.currentId,
      }));
  }

  /** Makes a new key the signing key; the old ones remain published for verification. */
  rotate(): PublishedKey {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyId = keyIdOf(publicKey);
    // Written aside then renamed: another instance reading the folder never sees half a key or half a name.
    const tmp = path.join(this.dir, `.${keyId}.tmp`);
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path.join(this.dir, `${keyId}.key`));
    writeFileSync(path.join(this.dir, '.current.tmp'), keyId + '\n', { mode: 0o600 });
    renameSync(path.join(this.dir, '.current.tmp'), path.join(this.dir, 'current'));
    this.load();
    return this.publicKeys().find((k) => k.keyId === keyId)!;
  }

  /**
   * Instances share DATA_DIR: a rotation made by another one is picked up within REFRESH_MS (one small
   * directory read per interval, none per signature).
   */
  private refreshIfStale(): void {
    const now = Date.now();
    if (now - this.loadedAt < REFRESH_MS) return;
    this.load();
  }

  private load(): void {
    this.loadedAt = Date.now();
    const keys = new Map<string, { priv: KeyObject; pub: KeyObject; createdAt: number }>();
    for (const file of readdirSync(this.dir).filter((f) => f.endsWith('.key'))) {
      const known = this.keys.get(file.slice(0, -4));
      if (known) {
        keys.set(file.slice(0, -4), known);
        continue;
      }
      let priv: KeyObject;
      try {
        priv = createPrivateKey(readFileSync(path.join(this.dir, file)));
      } catch {
        continue; // not a key (yet): skipped, read again at the next refresh
      }
      const pub = createPublicKey(priv);
      keys.set(keyIdOf(pub), { priv, pub, createdAt: fileTime(path.join(this.dir, file)) });
    }
    this.keys = keys;
    let current = '';
    try {
      current = readFileSync(path.join(this.dir, 'current'), 'utf8').trim();
    } catch {
      /* first start */
    }
    this.currentId = keys.has(current)
      ? current
      : ([...keys.entries()].sort((a, b) => b[1].createdAt - a[1].createdAt)[0]?.[0] ?? '');
  }
}

export function keyIdOf(pub: KeyObject): string {
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function fileTime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
