import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { lutimes, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ssh2, { type ParsedKey, type SFTPWrapper } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/app-config.js';
import { ReturnsJobs } from '../src/emission/returns/returns.jobs.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { JOB_SPECS, JobName } from '../src/platform/jobs/job-catalogue.js';
import { SftpFolders } from '../src/platform/sftp/sftp-folders.js';
import { QUOTA_MIN_FILE_BYTES } from '../src/platform/sftp/sftp-write-quota.js';
import { openSshSftp } from './support/openssh.js';
import { waitFor } from './support/order-fixtures.js';
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

const MAX_SESSIONS = 2;
const QUOTA = 100_000;
const HOUR_MS = 3_600_000;

interface AuditRow {
  action: string;
  actor_kind: string;
  actor_partner_id: string | null;
  request_id: string | null;
  entity_type: string;
  entity_id: string;
  details: Record<string, unknown>;
}

async function refusedWith(p: Promise<SftpClient>): Promise<string> {
  try {
    (await p).end();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the session was opened');
}

describe('SFTP limits and audit', () => {
  let t: TestApp;
  let dataDir: string;
  let work: string;
  let port: number;
  const clients: SftpClient[] = [];

  const connect = async (v: { login: string; privateKey: string }) => {
    const c = await sftpConnect(port, v.login, v.privateKey);
    clients.push(c);
    return c;
  };
  const inbox = (login: string, name = '') => path.join(dataDir, 'sftp', login, 'inbox', name);
  const audit = (where: string, params: unknown[]): Promise<AuditRow[]> =>
    t.dataSource.query(
      `SELECT action, actor_kind, actor_partner_id, request_id, entity_type, entity_id, details FROM audit_entry WHERE ${where} ORDER BY id`,
      params,
    );
  const failure = async (p: Promise<unknown>): Promise<{ code: number; message: string }> => {
    try {
      await p;
    } catch (e) {
      return { code: (e as { code: number }).code, message: (e as Error).message };
    }
    throw new Error('the call succeeded');
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-sftp-limits-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'vitale-sftp-limits-work-'));
    t = await startTestApp({
      dataDir,
      sftpPort: 0,
      sftpMaxSessions: MAX_SESSIONS,
      sftpInboxQuotaBytes: QUOTA,
      sftpPartialUploadHours: 24,
    });
    port = sftpPort(t);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await t?.close();
    for (const d of [dataDir, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  describe('sessions per account (SFTP_MAX_SESSIONS)', () => {
    it('refuses the session after the limit, saying why, to ssh2 and to OpenSSH; other accounts are not affected; a closed session frees its place', async () => {
      const v = await createVendor(t, { login: 'vendor_busy' });
      const other = await createVendor(t, { login: 'vendor_calm' });
      const held = [await connect(v), await connect(v)];
      const message = await refusedWith(sftpConnect(port, v.login, v.privateKey));
      expect(message).toContain(`Too many SFTP sessions for ${v.login}: at most ${MAX_SESSIONS} at once`);
      // OpenSSH prints the reason (at its default log level) and exits by itself with an error.
      const run = await openSshSftp({
        port,
        login: v.login,
        privateKey: v.privateKey,
        cwd: work,
        commands: ['ls /outbox', 'bye'],
        logLevel: 'INFO',
      });
      expect({ timedOut: run.timedOut, failed: run.code !== 0 }).toEqual({ timedOut: false, failed: true });
      expect(run.stderr).toContain(`Too many SFTP sessions for ${v.login}`);
      // Held sessions still work; another vendor is not limited by this one.
      expect(await held[0].list('/')).toEqual(['inbox', 'outbox']);
      (await connect(other)).end();
      // The refusals are audited, with the partner as actor (its key signed) and the limit.
      const refused = await audit(`action = 'sftp.login.refused' AND entity_id = $1`, [v.login]);
      expect(refused).toHaveLength(2);
      expect(refused[0]).toMatchObject({
        actor_kind: 'personalisation_vendor',
        actor_partner_id: v.partnerId,
        entity_type: 'sftp_account',
        details: { reason: 'session_limit', limit: MAX_SESSIONS, ip: '127.0.0.1' },
      });
      await held[0].close();
      const again = await waitFor(
        async () => sftpConnect(port, v.login, v.privateKey).catch(() => null),
        'a freed session place',
        10_000,
      );
      clients.push(again);
      expect(await again.realpath('.')).toBe('/');
    });

    it('one SFTP session per connection: a second channel is refused with the reason', async () => {
      const v = await createVendor(t, { login: 'vendor_channels' });
      const c = await connect(v);
      const second = await new Promise<Error | SFTPWrapper>((resolve) => c.conn.sftp((err, s) => resolve(err ?? s)));
      expect(second).toBeInstanceOf(Error);
      expect((second as Error).message).toContain('One SFTP session per connection');
      expect(await c.list('/')).toEqual(['inbox', 'outbox']);
    });
  });

  describe('inbox quota (SFTP_INBOX_QUOTA_BYTES)', () => {
    it('refuses the write that would pass the quota with FAILURE and a message saying so; files taken in free their room', async () => {
      const v = await createVendor(t, { login: 'vendor_full' });
      const c = await connect(v);
      await c.write('/inbox/A.txt.part', randomBytes(60_000));
      const refused = await failure(c.write('/inbox/B.txt.part', randomBytes(50_000)));
      expect(refused.code).toBe(SFTP.FAILURE);
      expect(refused.message).toContain(
        `Quota exceeded: /inbox holds at most ${QUOTA} bytes at once, unfinished uploads included`,
      );
      // Still refused in another session of the account (the quota is the account's, measured on disk).
      const c2 = await connect(v);
      expect((await failure(c2.write('/inbox/C.txt.part', randomBytes(40_000)))).code).toBe(SFTP.FAILURE);
      // Uploading again under the same name replaces the file: the truncated bytes count no more.
      await c.write('/inbox/A.txt.part', randomBytes(30_000));
      expect(readFileSync(inbox(v.login, 'A.txt.part'))).toHaveLength(30_000);
      // A complete file is taken in and leaves the inbox: its room is free again.
      await c.write('/inbox/B.txt.part', randomBytes(50_000));
      await c.rename('/inbox/A.txt.part', '/inbox/A.txt');
      expect(existsSync(inbox(v.login, 'A.txt'))).toBe(false);
      await c.write('/inbox/D.txt.part', randomBytes(40_000));
    });

    it('empty files are not free: each counts 4 KiB, so an inbox cannot be filled with names', async () => {
      const v = await createVendor(t, { login: 'vendor_empty' });
      const c = await connect(v);
      const fit = Math.floor(QUOTA / QUOTA_MIN_FILE_BYTES);
      for (let i = 0; i < fit; i++) await c.write(`/inbox/E_${i}.part`, '');
      const refused = await failure(c.write(`/inbox/E_${fit}.part`, ''));
      expect(refused).toMatchObject({ code: SFTP.FAILURE, message: expect.stringContaining('Quota exceeded') });
      expect(existsSync(inbox(v.login, `E_${fit}.part`))).toBe(false);
    });
  });

  describe('abandoned partial uploads (SFTP_PARTIAL_UPLOAD_HOURS)', () => {
    it('deletes .part and .tmp files untouched for longer than the setting, and nothing else', async () => {
      const v = await createVendor(t, { login: 'vendor_abandon' });
      const c = await connect(v);
      await c.write('/inbox/OLD.txt.part', 'half a file');
      await c.write('/inbox/FRESH.txt.part', 'being written');
      const old = new Date(Date.now() - 25 * HOUR_MS);
      const recent = new Date(Date.now() - 23 * HOUR_MS);
      await utimes(inbox(v.login, 'OLD.txt.part'), old, old);
      writeFileSync(inbox(v.login, 'OLD.tmp'), 'x');
      await utimes(inbox(v.login, 'OLD.tmp'), old, old);
      writeFileSync(inbox(v.login, 'RECENT.part'), 'x');
      await utimes(inbox(v.login, 'RECENT.part'), recent, recent);
      // A complete file (the inbox scan's business) and a link (never followed, never removed) stay.
      writeFileSync(inbox(v.login, 'COMPLETE.txt'), 'x');
      await utimes(inbox(v.login, 'COMPLETE.txt'), old, old);
      const outside = path.join(work, 'outside.part');
      writeFileSync(outside, "not the vendor's");
      await utimes(outside, old, old);
      symlinkSync(outside, inbox(v.login, 'LINK.part'));
      await lutimes(inbox(v.login, 'LINK.part'), old, old);

      expect(await t.app.get(ReturnsJobs).purgePartialUploads()).toBe(2);
      const present = (n: string) => lstatSync(inbox(v.login, n), { throwIfNoEntry: false }) !== undefined;
      expect(
        ['OLD.txt.part', 'OLD.tmp', 'FRESH.txt.part', 'RECENT.part', 'COMPLETE.txt', 'LINK.part'].filter(present),
      ).toEqual(['FRESH.txt.part', 'RECENT.part', 'COMPLETE.txt', 'LINK.part']);
      expect(readFileSync(outside, 'utf8')).toBe("not the vendor's");
      // The session that wrote it may still rename what is left.
      await c.rename('/inbox/FRESH.txt.part', '/inbox/FRESH.txt');
    });

    it('runs as a job the cron enqueues hourly, once whatever the number of instances', async () => {
      expect(JOB_SPECS[JobName.EmissionPurgePartialUploads]).toMatchObject({ batchSize: 1 });
      const v = await createVendor(t, { login: 'vendor_cron' });
      const old = new Date(Date.now() - 48 * HOUR_MS);
      writeFileSync(inbox(v.login, 'GONE.part'), 'x');
      await utimes(inbox(v.login, 'GONE.part'), old, old);
      const count = async () =>
        (
          await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [
            JobName.EmissionPurgePartialUploads,
          ])
        )[0].n;
      const scheduler = t.app.get(JobScheduler);
      const before = await count();
      await scheduler.tick(JobName.EmissionPurgePartialUploads);
      await scheduler.tick(JobName.EmissionPurgePartialUploads); // singleton: once an hour
      expect(await count()).toBe(before + 1);
      await waitFor(async () => !existsSync(inbox(v.login, 'GONE.part')), 'the purge job to run', 30_000);
    });

    it('the setting is read and checked at start', () => {
      expect(loadConfig({}).sftpPartialUploadHours).toBe(24);
      expect(
        loadConfig({ SFTP_PARTIAL_UPLOAD_HOURS: '6', SFTP_MAX_SESSIONS: '10', SFTP_INBOX_QUOTA_BYTES: '1048576' }),
      ).toMatchObject({ sftpPartialUploadHours: 6, sftpMaxSessions: 10, sftpInboxQuotaBytes: 1_048_576 });
      for (const [name, value] of [
        ['SFTP_PARTIAL_UPLOAD_HOURS', '0'],
        ['SFTP_MAX_SESSIONS', '0'],
        ['SFTP_INBOX_QUOTA_BYTES', '100'],
      ]) {
        expect(() => loadConfig({ [name]: value }), name).toThrow(name);
      }
    });
  });

  describe('audit', () => {
    let v: TestVendor;
    beforeAll(async () => {
      v = await createVendor(t, { login: 'vendor_audited' });
      await t.app
        .get(SftpFolders)
        .publish(v.login, 'outbox', 'PERSO_00000042.txt', 'R|100000000042|285057512301576|MARTIN\n');
    });

    it('a log-in, and every download with who and which file, under one connection id; listings and stats are not downloads', async () => {
      const c = await connect(v);
      expect(await c.list('/outbox')).toEqual(['PERSO_00000042.txt']);
      await c.stat('/outbox/PERSO_00000042.txt');
      await c.read('/outbox/PERSO_00000042.txt');
      await c.read('/outbox/PERSO_00000042.txt');
      const rows = await audit(`entity_id = $1 AND action LIKE 'sftp.%'`, [v.login]);
      expect(rows.map((r) => r.action)).toEqual(['sftp.login', 'sftp.download', 'sftp.download']);
      for (const r of rows)
        expect(r).toMatchObject({
          actor_kind: 'personalisation_vendor',
          actor_partner_id: v.partnerId,
          entity_type: 'sftp_account',
          request_id: rows[0].request_id,
        });
      expect(rows[0].request_id).toMatch(/^sftp-[0-9a-f]{12}$/);
      expect(rows[0].details).toEqual({ ip: '127.0.0.1' });
      expect(rows[1].details).toEqual({ folder: 'outbox', fileName: 'PERSO_00000042.txt', bytes: 38 });
      // Operators read it over the API.
      const api = await t
        .http()
        .get(`/v1/audit?action=sftp.download&actorPartnerId=${v.partnerId}`)
        .set(bearer(t.operatorKey));
      expect(api.body.items.map((i: { details: { fileName: string } }) => i.details.fileName)).toEqual([
        'PERSO_00000042.txt',
        'PERSO_00000042.txt',
      ]);
      // Nothing personal in the trail: the file's content never is.
      expect(JSON.stringify(rows)).not.toContain('285057512301576');
    });

    it('a download over OpenSSH is audited too', async () => {
      const before = (await audit(`entity_id = $1 AND action = 'sftp.download'`, [v.login])).length;
      const run = await openSshSftp({
        port,
        login: v.login,
        privateKey: v.privateKey,
        cwd: work,
        commands: ['get /outbox/PERSO_00000042.txt', 'bye'],
      });
      expect({ timedOut: run.timedOut, code: run.code }).toEqual({ timedOut: false, code: 0 });
      expect((await audit(`entity_id = $1 AND action = 'sftp.download'`, [v.login])).length).toBe(before + 1);
    });

    it('refused log-ins, once per connection, with the reason and the address; the system is the actor until a key signed', async () => {
      const since = (await t.dataSource.query(`SELECT coalesce(max(id), 0) AS id FROM audit_entry`))[0].id;
      const pub = ssh2.utils.parseKey(v.publicKey) as ParsedKey;
      class ForgingAgent extends ssh2.BaseAgent<ParsedKey> {
        getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void) {
          cb(undefined, [pub]);
        }
        sign(_k: ParsedKey, _d: Buffer, ...rest: unknown[]) {
          const cb = rest[rest.length - 1] as (err: Error | undefined, sig?: Buffer) => void;
          cb(undefined, randomBytes(64));
        }
      }
      const attempts: Array<[string, Parameters<typeof sftpConnect>[2], string]> = [
        ['nobody_here', v.privateKey, 'unknown_login'],
        [v.login, sshKeyPair().privateKey, 'key_not_registered'],
        [v.login, { password: 'secret' }, 'method_not_allowed'],
        [v.login, { agent: new ForgingAgent() as never }, 'signature_invalid'],
        ['Not A Login!', v.privateKey, 'unknown_login'],
      ];
      for (const [login, auth] of attempts) await expect(sftpConnect(port, login, auth)).rejects.toBeTruthy();
      const rows = await waitFor(async () => {
        const r = await audit(`action = 'sftp.login.refused' AND id > $1`, [since]);
        return r.length >= attempts.length ? r : null;
      }, 'the refusals to be audited');
      expect(rows.map((r) => [r.entity_id, r.details.reason]).sort()).toEqual(
        [
          ['nobody_here', 'unknown_login'],
          [v.login, 'key_not_registered'],
          [v.login, 'method_not_allowed'],
          [v.login, 'signature_invalid'],
          ['-', 'unknown_login'],
        ].sort(),
      );
      for (const r of rows)
        expect(r).toMatchObject({
          actor_kind: 'system',
          actor_partner_id: null,
          entity_type: 'sftp_account',
          details: { ip: '127.0.0.1' },
        });
      expect(rows.find((r) => r.entity_id === '-')!.details.loginWellFormed).toBe(false);
      // A failed key followed by the right one on the same connection is a log-in, not a refusal.
      const before = (await audit(`action = 'sftp.login.refused' AND id > $1`, [since])).length;
      const agentKeys = [
        ssh2.utils.parseKey(sshKeyPair().privateKey) as ParsedKey,
        ssh2.utils.parseKey(v.privateKey) as ParsedKey,
      ];
      class TwoKeys extends ssh2.BaseAgent<ParsedKey> {
        getIdentities(cb: (err: Error | undefined, keys?: ParsedKey[]) => void) {
          cb(undefined, agentKeys);
        }
        sign(k: ParsedKey, d: Buffer, ...rest: unknown[]) {
          const cb = rest[rest.length - 1] as (err: Error | undefined, sig?: Buffer) => void;
          cb(undefined, k.sign(d) as Buffer);
        }
      }
      const c = await sftpConnect(port, v.login, { agent: new TwoKeys() as never });
      await c.close();
      // A refusal made afterwards is the only new one (the server audits a connection when it closes).
      await expect(sftpConnect(port, 'sentinel_login', v.privateKey)).rejects.toBeTruthy();
      const after = await waitFor(async () => {
        const r = await audit(`action = 'sftp.login.refused' AND id > $1`, [since]);
        return r.some((x) => x.entity_id === 'sentinel_login') ? r : null;
      }, 'the sentinel refusal');
      expect(after.slice(before).map((r) => r.entity_id)).toEqual(['sentinel_login']);
    });
  });
});

describe('idle SFTP connections (SFTP_IDLE_SECONDS)', () => {
  let t: TestApp;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'vitale-sftp-idle-work-'));
    t = await startTestApp({ sftpPort: 0, sftpIdleSeconds: 2 });
  });
  afterAll(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("closes a connection whose client asks nothing, and keeps one that keeps asking (OpenSSH's sftp)", async () => {
    const v = await createVendor(t, { login: 'vendor_idle' });
    const run = (commands: string[]) =>
      openSshSftp({ port: sftpPort(t), login: v.login, privateKey: v.privateKey, cwd: work, commands });
    // `!sleep` runs on the partner's side: the session says nothing meanwhile (the server's keep-alive aside).
    const idle = await run(['ls /outbox', '!sleep 5', 'ls /outbox']);
    expect(idle.timedOut).toBe(false);
    expect(idle.code, idle.stderr).not.toBe(0);
    expect(idle.stderr).toMatch(/Received disconnect|Connection closed/);
    const busy = await run([
      'ls /outbox',
      '!sleep 1',
      'ls /outbox',
      '!sleep 1',
      'ls /outbox',
      '!sleep 1',
      'ls /outbox',
    ]);
    expect({ code: busy.code, stderr: busy.stderr }).toEqual({ code: 0, stderr: '' });
  }, 60_000);
});
