import { createHash, randomBytes } from 'node:crypto';

/**
 * The one-time link an insured uses to upload a photo online: 32 random bytes (base64url, 43 characters).
 * Only its SHA-256 is stored, so a database leak gives no usable link; a fast hash is enough for 256 bits.
 */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const UPLOAD_PATH_PREFIX = '/v1/photo-uploads/';

export function newUploadToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashUploadToken(token) };
}

export function hashUploadToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function isWellFormedUploadToken(token: unknown): token is string {
  return typeof token === 'string' && TOKEN.test(token);
}

export const uploadLink = (token: string) => `${UPLOAD_PATH_PREFIX}${token}`;
