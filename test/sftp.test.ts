import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReturnIntakeService } from '../src/emission/returns/return-intake.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { SftpFolders } from '../src/platform/sftp/sftp-folders.js';
import { resolveSftpPath } from '../src/platform/sftp/sftp-paths.js';
import { tempDataDir } from './support/order-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import {
  createVendor,
  SFTP,
  sftpConnect,
  sftpPort,
  sshKeyPair,
  type SftpClient,
  type TestVendor,
} from './support/vendor-fixtures.js';

/** The SFTP status code of a refused client call. */
async function sftpError(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    return (e as { code: number }).code;
  }
  throw new Error('the call succeeded');
}

async function loginFails(p: Promise<SftpClient>): Promise<void> {
  let client: SftpClient;
  try {
    client = await p;
  } catch (e) {
    expect((e as { level?: string }).level).toBe('client-authentication');
    return;
  }
  client.end();
  throw new Error('the log-in succeeded');
}

describe('the built-in SFTP server', () => {
  let t: TestApp;
  let dataDir: string;
  let port: number;
  let a: TestVendor;
  let b: TestVendor;
  let op: Record<string, string>;
  const clients: SftpClient[] = [];

  const connect = async (v: { login: string; privateKey: string }) => {
    const c = await sftpConnect(port, v.login, v.privateKey);
    clients.push(c);
    return c;
  };
  const returnFiles = (partnerId: string) =>
    t.dataSource.query(
      `SELECT file_name, sha256, status FROM vendor_return_file WHERE vendor_partner_id = $1 ORDER BY received_at, id`,
      [partnerId],
    );
  const userDir = (login: string, ...rest: string[]) => path.join(dataDir, 'sftp', login, ...rest);

  beforeAll(async () => {
    dataDir = tempDataDir();
    t = await startTestApp({ dataDir, sftpPort: 0, workersEnabled: false });
    port = sftpPort(t);
    op = bearer(t.operatorKey);
    a = await createVendor(t, { login: 'vendor_a', regimeCodes: ['01'] });
    b = await createVendor(t, { login: 'vendor-b', regimeCodes: ['02'] });
    await t.app.get(SftpFolders).publish(a.login, 'outbox', 'PERSO_00000001.txt', 'for vendor a\n');
    await t.app.get(SftpFolders).publish(b.login, 'outbox', 'PERSO_00000002.txt', 'for vendor b only\n');
  });
  // Sessions count against the account's limit (SFTP_MAX_SESSIONS): each test ends its own.
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    for (const c of clients) c.end();
    await t?.close();
  });

  describe('host key and connection', () => {
    it('generates the Ed25519 host key once into DATA_DIR/keys (0600) and presents it', async () => {
      const file = path.join(dataDir, 'keys', 'ssh_host_ed25519');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const expected = (ssh2.utils.parseKey(readFileSync(file)) as ParsedKey).getPublicSSH();
      let seen: Buffer | null = null;
      const conn = new ssh2.Client();
      await new Promise<void>((resolve, reject) => {
        conn.once('ready', () => resolve()).once('error', reject);
        conn.connect({
          host: '127.0.0.1',
          port,
          username: a.login,
          privateKey: a.privateKey,
          hostVerifier: (key: Buffer) => {
            seen = key;
            return true;
          },
        });
      });
      conn.end();
      expect(seen && Buffer.compare(seen, expected)).toBe(0);
    });
  });

  describe('authentication: public keys only, signature checked', () => {
    it('lets a vendor in with its registered key', async () => {
      const c = await connect(a);
      expect(await c.realpath('.')).toBe('/');
    });

    it("refuses a key that is not registered, another vendor's key, an unknown login, a password", async () => {
      await loginFails(sftpConnect(port, a.login, sshKeyPair().privateKey));
      await loginFails(sftpConnect(port, a.login, b.privateKey));
      await loginFails(sftpConnect(port, 'nobody', a.privateKey));
      await loginFails(sftpConnect(port, a.login, { password: 'secret', tryKeyboard: true }));
    });

    it('refuses a client that shows a registered public key but cannot sign with it', async () => {
      const pub = ssh2.utils.parseKey(a.publicKey) as ParsedKey;
      class ForgingAgent extends ssh2.BaseAgent<ParsedKey> {
        getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void) {
          cb(undefined, [pub]);
        }
        sign(_k: ParsedKey, _d: Buffer, ...rest: unknown[]) {
          const cb = rest[rest.length - 1] as (err: Error | undefined, sig?: Buffer) => void;
          cb(undefined, randomBytes(64));
        }
      }
      await loginFails(sftpConnect(port, a.login, { agent: new ForgingAgent() as never }));
    });

    it('refuses a revoked key at the next log-in', async () => {
      const v = await createVendor(t, { login: 'vendor_revoked' });
      (await connect(v)).end();
      const res = await t.http().delete(`/v1/vendors/${v.partnerId}/ssh-keys/${v.keyId}`).set(op);
      expect(res.status).toBe(200);
      expect(res.body.revokedAt).toBeTruthy();
      await loginFails(sftpConnect(port, v.login, v.privateKey));
    });

    it('refuses every key of a deactivated vendor partner', async () => {
      const v = await createVendor(t, { login: 'vendor_gone' });
      expect((await t.http().delete(`/v1/partners/${v.partnerId}`).set(op)).status).toBe(200);
      await loginFails(sftpConnect(port, v.login, v.privateKey));
    });
  });

  describe('the jail', () => {
    it('shows only /outbox and /inbox; ".." never climbs above /', async () => {
      const c = await connect(a);
      expect(await c.list('/')).toEqual(['inbox', 'outbox']);
      expect(await c.list('../../..')).toEqual(['inbox', 'outbox']);
      expect(await c.realpath('/outbox/../../..')).toBe('/');
      expect(await c.list('/outbox')).toContain('PERSO_00000001.txt');
    });

    it('serves a large file intact and fast (small packets are not held back)', async () => {
      const big = randomBytes(3 * 1024 * 1024 + 17);
      await t.app.get(SftpFolders).publish(a.login, 'outbox', 'BIG.bin', big);
      const c = await connect(a);
      const started = performance.now();
      const got = await c.read('/outbox/BIG.bin');
      expect(got.equals(big)).toBe(true);
      expect(performance.now() - started).toBeLessThan(5000);
      const up = randomBytes(1024 * 1024 + 3);
      await c.write('/inbox/BIG_UPLOAD.bin.part', up);
      expect(readFileSync(userDir(a.login, 'inbox', 'BIG_UPLOAD.bin.part')).equals(up)).toBe(true);
    });

    it('lists a large outbox in pages', async () => {
      const v = await createVendor(t, { login: 'vendor_many' });
      const folders = t.app.get(SftpFolders);
      for (let i = 0; i < 250; i++)
        await folders.publish(v.login, 'outbox', `F_${String(i).padStart(4, '0')}.txt`, 'x');
      const c = await connect(v);
      const names = await c.list('/outbox');
      expect(names).toHaveLength(250);
      expect(names[249]).toBe('F_0249.txt');
    });

    it('reads its own outbox files, through odd but jailed paths too', async () => {
      const c = await connect(a);
      expect((await c.read('/outbox/PERSO_00000001.txt')).toString()).toBe('for vendor a\n');
      expect((await c.read('outbox/../outbox/PERSO_00000001.txt')).toString()).toBe('for vendor a\n');
      expect((await c.stat('/outbox/PERSO_00000001.txt')).size).toBe(13);
    });

    it("cannot reach another vendor's folder, the host files, or the system's own areas (NO_SUCH_FILE)", async () => {
      const c = await connect(a);
      for (const p of [
        '../vendor-b/outbox/PERSO_00000002.txt',
        '/../../vendor-b/outbox/PERSO_00000002.txt',
        '/outbox/../../vendor-b/outbox/PERSO_00000002.txt',
        '/vendor-b/outbox/PERSO_00000002.txt',
        '../../../../../../etc/passwd',
        '/etc/passwd',
        userDir(b.login, 'outbox', 'PERSO_00000002.txt'),
        userDir(a.login, 'outbox', 'PERSO_00000001.txt'),
        '/.staging',
        '/.received',
        '/outbox/.hidden',
        '/outbox/sub/file',
        '/outbox/PERSO_00000002.txt',
      ]) {
        expect(await sftpError(c.read(p)), p).toBe(SFTP.NO_SUCH_FILE);
      }
      expect(await sftpError(c.list('../vendor-b/outbox'))).toBe(SFTP.NO_SUCH_FILE);
      expect(await sftpError(c.list(userDir(a.login)))).toBe(SFTP.NO_SUCH_FILE);
      expect(await sftpError(c.stat('/../vendor-b'))).toBe(SFTP.NO_SUCH_FILE);
      // And vendor b sees only its own file.
      const cb = await connect(b);
      expect(await cb.list('/outbox')).toEqual(['PERSO_00000002.txt']);
      expect(await sftpError(cb.read('/outbox/PERSO_00000001.txt'))).toBe(SFTP.NO_SUCH_FILE);
    });

    it('the outbox is read-only: no write, no delete, no rename, no mkdir (PERMISSION_DENIED)', async () => {
      const c = await connect(a);
      expect(await sftpError(c.write('/outbox/PERSO_00000001.txt', 'overwritten'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.write('/outbox/NEW.txt', 'x'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.open('/outbox/PERSO_00000001.txt', 'r+'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.remove('/outbox/PERSO_00000001.txt'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.rename('/outbox/PERSO_00000001.txt', '/outbox/X.txt'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.mkdir('/outbox/dir'))).toBe(SFTP.PERMISSION_DENIED);
      expect(readFileSync(userDir(a.login, 'outbox', 'PERSO_00000001.txt'), 'utf8')).toBe('for vendor a\n');
      expect(existsSync(userDir(a.login, 'outbox', 'NEW.txt'))).toBe(false);
    });

    it('the inbox is write-only: no read, no list, no delete, no rename out of it (PERMISSION_DENIED)', async () => {
      const c = await connect(a);
      await c.write('/inbox/DROP.txt.part', 'half');
      expect(await sftpError(c.read('/inbox/DROP.txt.part'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.list('/inbox'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.remove('/inbox/DROP.txt.part'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.rename('/inbox/DROP.txt.part', '/outbox/DROP.txt'))).toBe(SFTP.PERMISSION_DENIED);
      expect(await sftpError(c.rename('/inbox/DROP.txt.part', '/../vendor-b/inbox/DROP.txt'))).toBe(SFTP.NO_SUCH_FILE);
      expect(existsSync(userDir(b.login, 'inbox', 'DROP.txt'))).toBe(false);
      expect(existsSync(userDir(a.login, 'inbox', 'DROP.txt.part'))).toBe(true);
    });

    it('never follows a symbolic link out of the tree', async () => {
      const outside = path.join(dataDir, 'outside.txt');
      writeFileSync(outside, 'secret');
      symlinkSync(outside, userDir(a.login, 'outbox', 'LINK.txt'));
      const c = await connect(a);
      expect(await c.list('/outbox')).not.toContain('LINK.txt');
      expect(await sftpError(c.read('/outbox/LINK.txt'))).toBe(SFTP.NO_SUCH_FILE);
      // A folder replaced by a link to elsewhere is not served at all.
      const v = await createVendor(t, { login: 'vendor_link' });
      const elsewhere = path.join(dataDir, 'elsewhere');
      mkdirSync(elsewhere);
      mkdirSync(userDir(v.login), { recursive: true });
      rmSync(userDir(v.login, 'inbox'), { recursive: true, force: true });
      symlinkSync(elsewhere, userDir(v.login, 'inbox'));
      const cv = await connect(v);
      expect(await sftpError(cv.write('/inbox/RET.txt', 'x'))).toBe(SFTP.NO_SUCH_FILE);
      expect(existsSync(path.join(elsewhere, 'RET.txt'))).toBe(false);
    });

    it('the path mapping itself: only root, folders and plain names directly inside them', () => {
      const acc = { folders: { outbox: 'read', inbox: 'write' } } as never;
      expect(resolveSftpPath(acc, '/')).toEqual({ kind: 'root' });
      expect(resolveSftpPath(acc, '../../inbox/../outbox')).toEqual({ kind: 'folder', folder: 'outbox' });
      expect(resolveSftpPath(acc, 'inbox/RET_1.txt')).toEqual({ kind: 'file', folder: 'inbox', name: 'RET_1.txt' });
      for (const bad of [
        '/etc',
        '/outbox/a/b',
        '/outbox/.x',
        '/outbox/a\0b',
        '/outbox/a b',
        '/outbox/a/../../../etc/passwd',
        '/toString',
        '/__proto__',
      ]) {
        expect(resolveSftpPath(acc, bad), bad).toBeNull();
      }
    });
  });

  describe('files arriving in an inbox', () => {
    it('a .part upload is not taken until renamed; then it is registered with its SHA-256 and its job, once', async () => {
      const c = await connect(a);
      const content = `H|ret|1|${a.login}|2025-01-01T00:00:00Z\nT|0\n`;
      await c.write('/inbox/RET_0001.txt.part', content);
      expect(await returnFiles(a.partnerId)).toEqual([]);
      await c.rename('/inbox/RET_0001.txt.part', '/inbox/RET_0001.txt');
      const rows = await returnFiles(a.partnerId);
      expect(rows).toEqual([expect.objectContaining({ file_name: 'RET_0001.txt', status: 'received' })]);
      expect(rows[0].sha256).toMatch(/^[0-9a-f]{64}$/);
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND data->>'returnFileId' IS NOT NULL`,
        [JobName.EmissionIngestReturnFile],
      );
      expect(n).toBe(1);
      // Taken in: out of the inbox, kept by content.
      expect(existsSync(userDir(a.login, 'inbox', 'RET_0001.txt'))).toBe(false);
      expect(existsSync(userDir(a.login, '.received', rows[0].sha256))).toBe(true);
      // The same bytes again, under another name, written directly: nothing new.
      await c.write('/inbox/RET_0001_again.txt', content);
      expect(await returnFiles(a.partnerId)).toHaveLength(1);
      // A rename onto an existing name fails (SFTP v3).
      await c.write('/inbox/X.part', 'a');
      await c.write('/inbox/Y.part', 'b');
      expect(await sftpError(c.rename('/inbox/X.part', '/inbox/Y.part'))).toBe(SFTP.FAILURE);
    });

    it('the inbox scan takes in settled complete files the server did not see, and leaves .part and fresh ones', async () => {
      const inbox = userDir(b.login, 'inbox');
      const old = new Date(Date.now() - 10 * 60_000);
      writeFileSync(path.join(inbox, 'RET_LOST.txt'), `H|ret|1|${b.login}|2025-01-01T00:00:00Z\nT|0\n`);
      utimesSync(path.join(inbox, 'RET_LOST.txt'), old, old);
      writeFileSync(path.join(inbox, 'RET_UPLOADING.txt.part'), 'partial');
      utimesSync(path.join(inbox, 'RET_UPLOADING.txt.part'), old, old);
      writeFileSync(path.join(inbox, 'RET_FRESH.txt'), 'being written');
      expect(await t.app.get(ReturnIntakeService).scan()).toBe(1);
      expect((await returnFiles(b.partnerId)).map((r: { file_name: string }) => r.file_name)).toEqual(['RET_LOST.txt']);
      expect(existsSync(path.join(inbox, 'RET_UPLOADING.txt.part'))).toBe(true);
      expect(existsSync(path.join(inbox, 'RET_FRESH.txt'))).toBe(true);
      // Run again: nothing new.
      expect(await t.app.get(ReturnIntakeService).scan()).toBe(0);
    });
  });

  describe('vendor and key administration', () => {
    it('validates logins and routing, one default, one vendor per regime', async () => {
      const p = await t.partner(PartnerKind.PersonalisationVendor);
      const post = (body: Record<string, unknown>) => t.http().post('/v1/vendors').set(op).send(body);
      expect((await post({ partnerId: p.id, login: 'Bad Login' })).body.code).toBe('VALIDATION_FAILED');
      expect((await post({ partnerId: p.id, login: '../x' })).body.code).toBe('VALIDATION_FAILED');
      expect((await post({ partnerId: p.id, login: 'okname', regimeCodes: ['1'] })).body.code).toBe(
        'VALIDATION_FAILED',
      );
      const fund = await t.partner(PartnerKind.Fund, '017510001');
      expect((await post({ partnerId: fund.id, login: 'okname' })).body.code).toBe('VENDOR_PARTNER_KIND');
      expect((await post({ partnerId: '6a1c1f8e-1b7e-4b8e-9a0d-2f4c6e8a0b1c', login: 'okname' })).body.code).toBe(
        'PARTNER_NOT_FOUND',
      );
      expect((await post({ partnerId: p.id, login: a.login })).body.code).toBe('VENDOR_LOGIN_TAKEN');
      expect((await post({ partnerId: p.id, login: 'okname', regimeCodes: ['01'] })).body).toMatchObject({
        code: 'VENDOR_REGIME_TAKEN',
        status: 409,
      });
      expect((await post({ partnerId: p.id, login: 'okname', regimeCodes: ['99'] })).body).toMatchObject({
        code: 'REGIME_UNKNOWN',
        status: 422,
      });
      expect((await post({ partnerId: p.id, login: 'okname', isDefault: true })).status).toBe(201);
      expect((await post({ partnerId: p.id, login: 'okname2' })).body.code).toBe('VENDOR_EXISTS');
      const other = await t.partner(PartnerKind.PersonalisationVendor);
      expect((await post({ partnerId: other.id, login: 'other_default', isDefault: true })).body.code).toBe(
        'VENDOR_DEFAULT_TAKEN',
      );
      expect((await t.http().patch(`/v1/vendors/${a.partnerId}`).set(op).send({ isDefault: true })).body.code).toBe(
        'VENDOR_DEFAULT_TAKEN',
      );
      const patched = await t
        .http()
        .patch(`/v1/vendors/${p.id}`)
        .set(op)
        .send({ isDefault: false, regimeCodes: ['04', '05'] });
      expect(patched.body).toMatchObject({ isDefault: false, regimeCodes: ['04', '05'], login: 'okname' });
      expect((await t.http().patch(`/v1/vendors/${p.id}`).set(op).send({ login: 'renamed' })).body.code).toBe(
        'VALIDATION_FAILED',
      );
      expect((await t.http().patch('/v1/vendors/not-a-uuid').set(op).send({})).body.code).toBe('VENDOR_NOT_FOUND');
      // Folders exist from the start.
      expect(existsSync(userDir('okname', 'outbox')) && existsSync(userDir('okname', 'inbox'))).toBe(true);
    });

    it('stores keys by algorithm and OpenSSH SHA256 fingerprint; refuses bad, private, weak and duplicate keys', async () => {
      const url = `/v1/vendors/${a.partnerId}/ssh-keys`;
      const pair = sshKeyPair();
      const added = await t.http().post(url).set(op).send({ publicKey: pair.publicKey });
      expect(added.status).toBe(201);
      const blob = (ssh2.utils.parseKey(pair.publicKey) as ParsedKey).getPublicSSH();
      const { createHash } = await import('node:crypto');
      expect(added.body).toMatchObject({
        algorithm: 'ssh-ed25519',
        fingerprint: 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, ''),
        revokedAt: null,
      });
      expect((await t.http().post(url).set(op).send({ publicKey: pair.publicKey })).body.code).toBe('SSH_KEY_EXISTS');
      expect(
        (await t.http().post(`/v1/vendors/${b.partnerId}/ssh-keys`).set(op).send({ publicKey: pair.publicKey })).body
          .code,
      ).toBe('SSH_KEY_EXISTS');
      expect((await t.http().post(url).set(op).send({ publicKey: 'ssh-ed25519 AAAAnotakey' })).body.code).toBe(
        'SSH_KEY_INVALID',
      );
      expect((await t.http().post(url).set(op).send({ publicKey: pair.privateKey })).body.code).toBe('SSH_KEY_INVALID');
      const weak = ssh2.utils.generateKeyPairSync('rsa', { bits: 1024 });
      expect((await t.http().post(url).set(op).send({ publicKey: weak.public })).body.code).toBe('SSH_KEY_TOO_WEAK');
      const listed = await t.http().get('/v1/vendors').set(op);
      const va = listed.body.items.find((v: { login: string }) => v.login === a.login);
      expect(va.sshKeys.map((k: { fingerprint: string }) => k.fingerprint)).toContain(added.body.fingerprint);
      expect(JSON.stringify(listed.body)).not.toContain(pair.publicKey.split(' ')[1]);
      expect((await t.http().delete(`/v1/vendors/${b.partnerId}/ssh-keys/${added.body.id}`).set(op)).body.code).toBe(
        'SSH_KEY_NOT_FOUND',
      );
      // The new key works for SFTP at once.
      (await connect({ login: a.login, privateKey: pair.privateKey })).end();
      expect(
        (
          await t
            .http()
            .get('/v1/vendors')
            .set(bearer((await t.partner(PartnerKind.Fund, '017510001')).key))
        ).status,
      ).toBe(403);
    });
  });

  it('stops with the application', async () => {
    for (const c of clients.splice(0)) c.end();
    await t.close();
    t = undefined as never;
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
