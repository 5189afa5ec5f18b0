import { hash, verify } from '@node-rs/argon2';
import { randomInt } from 'node:crypto';

/**
 * Argon2id (algorithm 2 of @node-rs/argon2; its `Algorithm` is a const enum that isolated modules cannot import)
 * with OWASP's parameters: 19 MiB, 2 passes, 1 lane. The PHC string keeps them, so raising them later still
 * verifies older hashes.
 */
const ARGON2ID = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 200;

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2ID);

export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

/** Verified against when the login is unknown, so that an unknown login takes as long as a wrong password. */
let decoy: Promise<string> | undefined;
export const decoyHash = (): Promise<string> => (decoy ??= hashPassword('decoy password, never valid'));

/** Letters and digits that are never confused when read aloud or copied by hand. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A one-time password: 16 characters (≈ 92 bits), to be changed at the first sign-in. */
export function oneTimePassword(): string {
  let out = '';
  for (let i = 0; i < 16; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
