import { Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { generateSshKeyPair } from '../../src/platform/sftp/ssh-key-pair.js';
import { generateCardKeys, type CardKeys } from '../../src/update/card-crypto.js';
import ssh2, { type Client as SshClient, type ConnectConfig, type FileEntry, type SFTPWrapper, type Stats } from 'ssh2';
import { PartnerKind } from '../../src/partners/partner-kind.enum.js';
import { SftpServer } from '../../src/platform/sftp/sftp-server.js';
import { bearer, type TestApp } from './test-app.js';

export interface TestVendor {
  partnerId: string;
  login: string;
  /** OpenSSH private key (ed25519) the vendor logs in with. */
  privateKey: string;
  publicKey: string;
  keyId: string;
  /** The vendor's age key pair (`AGE-SECRET-KEY-1…`, as `age-keygen` writes it; `age1…`), when registered. */
  ageIdentity: string;
  ageRecipient: string;
}

export function sshKeyPair(): { privateKey: string; publicKey: string } {
  const k = generateSshKeyPair('vendor@test');
  return { privateKey: k.private, publicKey: k.public };
}

/** An age X25519 key pair, as `age-keygen` makes one. */
export async function ageKeyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/**
 * A personalisation_vendor partner made a vendor over the API, with one SSH key and (unless `ageRecipient: false`) its
 * age recipient registered, so it gets batches.
 */
export async function createVendor(
  t: TestApp,
  o: { login: string; regimeCodes?: string[]; isDefault?: boolean; ageRecipient?: boolean },
): Promise<TestVendor> {
  const partner = await t.partner(PartnerKind.PersonalisationVendor);
  const op = bearer(t.operatorKey);
  const res = await t
    .http()
    .post('/v1/vendors')
    .set(op)
    .send({ partnerId: partner.id, login: o.login, regimeCodes: o.regimeCodes ?? [], isDefault: o.isDefault ?? false });
  if (res.status !== 201) throw new Error(`create vendor: ${res.status} ${JSON.stringify(res.body)}`);
  const keys = sshKeyPair();
  const key = await t.http().post(`/v1/vendors/${partner.id}/ssh-keys`).set(op).send({ publicKey: keys.publicKey });
  if (key.status !== 201) throw new Error(`add key: ${key.status} ${JSON.stringify(key.body)}`);
  const age = await ageKeyPair();
  if (o.ageRecipient !== false) {
    const set = await t
      .http()
      .put(`/v1/vendors/${partner.id}/age-recipient`)
      .set(op)
      .send({ recipient: age.recipient });
    if (set.status !== 200) throw new Error(`age recipient: ${set.status} ${JSON.stringify(set.body)}`);
  }
  return {
    partnerId: partner.id,
    login: o.login,
    ...keys,
    keyId: key.body.id,
    ageIdentity: age.identity,
    ageRecipient: age.recipient,
  };
}

/** The vendor opens a perso/2 file with its age identity (as `age -d -i key.txt` does). Throws with another key. */
export async function decryptForVendor(vendor: Pick<TestVendor, 'ageIdentity'>, encrypted: Buffer): Promise<Buffer> {
  const d = new Decrypter();
  d.addIdentity(vendor.ageIdentity);
  return Buffer.from(await d.decrypt(new Uint8Array(encrypted)));
}

/** The serials of a clear personalisation file's records, in file order. */
export const persoSerials = (clear: Buffer): string[] =>
  clear
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('R|'))
    .map((l) => l.split('|')[1]);

/** A card the vendor made: its chip's keys are born in the chip (here: generated as a chip would). */
export interface MadeCard {
  serial: string;
  chipId: string;
  keys: CardKeys;
}
export const makeCard = (serial: string, chipId = `CHIP${serial.slice(-8)}`): MadeCard => ({
  serial,
  chipId,
  keys: generateCardKeys(),
});

/** One ret/2 data line; SHIPPED lines carry the chip's two public keys. */
export function ret2Line(
  c: { serial: string; chipId?: string; keys?: CardKeys | null },
  status: 'SHIPPED' | 'FAILED' | 'UNDELIVERABLE',
  t: { personalisedAt: string; shippedAt?: string; failureCode?: string },
): string {
  const keys = status === 'SHIPPED' && c.keys ? [c.keys.authPublic, c.keys.encPublic] : ['', ''];
  return [
    'D',
    c.serial,
    c.chipId ?? `CHIP${c.serial.slice(-8)}`,
    t.personalisedAt,
    status === 'FAILED' ? '' : (t.shippedAt ?? t.personalisedAt),
    status,
    t.failureCode ?? '',
    ...keys,
  ].join('|');
}

/** A return file: header (ret/2 unless `version: 1`), the lines, the trailer. */
export function returnFile(
  login: string,
  lines: string[],
  o: { version?: 1 | 2; count?: number; producedAt?: string } = {},
): string {
  return (
    [
      `H|ret|${o.version ?? 2}|${login}|${o.producedAt ?? new Date().toISOString()}`,
      ...lines,
      `T|${o.count ?? lines.length}`,
    ].join('\n') + '\n'
  );
}

export const sftpPort = (t: TestApp): number => {
  const port = t.app.get(SftpServer).port();
  if (!port) throw new Error('the SFTP server is not listening');
  return port;
};

/** A promise-based view of a real ssh2 SFTP client session. */
export interface SftpClient {
  conn: SshClient;
  sftp: SFTPWrapper;
  list(path: string): Promise<string[]>;
  read(path: string): Promise<Buffer>;
  write(path: string, data: Buffer | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<Stats>;
  remove(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  realpath(path: string): Promise<string>;
  /** Opens a file with raw SFTP flags ('r', 'w', 'a', ...), closes it at once. */
  open(path: string, flags: string): Promise<void>;
  end(): void;
  /** Ends the connection and waits until it is closed. */
  close(): Promise<void>;
}

const cb = <T>(run: (done: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => run((err, v) => (err ? reject(err) : resolve(v as T))));

/** Connects and opens SFTP; rejects when authentication fails. */
export async function sftpConnect(
  port: number,
  username: string,
  auth: string | Partial<ConnectConfig>,
): Promise<SftpClient> {
  const conn = new ssh2.Client();
  await new Promise<void>((resolve, reject) => {
    conn.once('ready', () => resolve());
    conn.once('error', reject);
    conn.connect({
      host: '127.0.0.1',
      port,
      username,
      readyTimeout: 10_000,
      ...(typeof auth === 'string' ? { privateKey: auth } : auth),
    });
  });
  conn.setNoDelay(true);
  let closed = false;
  conn.once('close', () => (closed = true));
  const sftp = await cb<SFTPWrapper>((done) => conn.sftp(done));
  return {
    conn,
    sftp,
    list: async (p) => (await cb<FileEntry[]>((done) => sftp.readdir(p, done))).map((e) => e.filename).sort(),
    read: (p) => cb<Buffer>((done) => sftp.readFile(p, done)),
    write: (p, data) => cb<void>((done) => sftp.writeFile(p, data, done)),
    rename: (a, b) => cb<void>((done) => sftp.rename(a, b, done)),
    stat: (p) => cb<Stats>((done) => sftp.stat(p, done)),
    remove: (p) => cb<void>((done) => sftp.unlink(p, done)),
    mkdir: (p) => cb<void>((done) => sftp.mkdir(p, done)),
    realpath: (p) => cb<string>((done) => sftp.realpath(p, done)),
    open: async (p, flags) => {
      const h = await cb<Buffer>((done) => sftp.open(p, flags as 'r', done));
      await cb<void>((done) => sftp.close(h, done));
    },
    end: () => conn.end(),
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        conn.once('close', () => resolve());
        conn.end();
      }),
  };
}

/** SFTP status codes as the client reports them (err.code). */
export const SFTP = { NO_SUCH_FILE: 2, PERMISSION_DENIED: 3, FAILURE: 4 } as const;
