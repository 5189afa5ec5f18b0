import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { lutimes, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import { VendorFileRetentionJobs } from '../src/emission/vendor-file-retention.jobs.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JOB_NAMES, JOB_SPECS, JobName } from '../src/platform/jobs/job-catalogue.js';
import { ORG_A, requestReadyToOrder, tempDataDir, waitFor } from './support/order-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import {
  createVendor,
  makeCard,
  ret2Line,
  returnFile as returnFile2,
  SFTP,
  sftpConnect,
  sftpPort,
  type SftpClient,
  type TestVendor,
} from './support/vendor-fixtures.js';

const RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

const iso = (msAgo = 0) => new Date(Date.now() - msAgo).toISOString();
const retFile = (login: string, lines: string[]) => returnFile2(login, lines, { producedAt: iso() });
const shipped = (serial: string, chip: string) =>
  ret2Line(makeCard(serial, chip), 'SHIPPED', { personalisedAt: iso(60_000), shippedAt: iso(30_000) });

describe('vendor file retention (EmissionPurgeVendorFiles)', () => {
  let t: TestApp;
  let dataDir: string;
  let fund: Record<string, string>;
  let vendor: TestVendor;
  let sftp: SftpClient;
  const lines: string[] = [];

  const outbox = (name: string) => path.join(dataDir, 'sftp', vendor.login, 'outbox', name);
  const kept = (sha256: string) => path.join(dataDir, 'sftp', vendor.login, '.received', sha256);
  const inbox = (name: string) => path.join(dataDir, 'sftp', vendor.login, 'inbox', name);
  const age = (file: string, days: number) => {
    const at = new Date(Date.now() - days * DAY_MS);
    return utimes(file, at, at);
  };
  const purge = () => t.app.get(VendorFileRetentionJobs).purgeVendorFiles();

  interface Batch {
    id: string;
    fileName: string;
    serials: string[];
  }

  /** Orders `n` cards over HTTP and has the real job write their batch file into the outbox. */
  async function batchOf(n: number): Promise<Batch> {
    const cardIds: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await requestReadyToOrder(t, { organismeCode: ORG_A });
      const res = await t.http().post(`/v1/card-requests/${r.requestId}/order`).set(fund).send();
      expect(res.status).toBe(200);
      cardIds.push(res.body.cardId);
    }
    expect((await t.http().post('/v1/personalisation/batches/run').set(bearer(t.operatorKey)).send()).status).toBe(202);
    const batch = await waitFor(async () => {
      const rows = await t.dataSource.query(
        `SELECT b.id, b.status, b.file_name AS "fileName" FROM personalisation_batch b JOIN card c ON c.batch_id = b.id WHERE c.id = $1`,
        [cardIds[0]],
      );
      return rows[0]?.status === 'written' && rows[0];
    }, 'batch file written');
    const serials = (
      await t.dataSource.query(
        `SELECT lpad(serial::text, 12, '0') AS s FROM card WHERE id = ANY($1::uuid[]) ORDER BY serial`,
        [cardIds],
      )
    ).map((r: { s: string }) => r.s);
    return { id: batch.id, fileName: batch.fileName, serials };
  }

  /** Uploads a return file over SFTP and waits for its ingestion; returns its SHA-256 (the kept copy's name). */
  async function returnFile(name: string, content: string): Promise<string> {
    await sftp.write(`/inbox/${name}.part`, content);
    await sftp.rename(`/inbox/${name}.part`, `/inbox/${name}`);
    await waitFor(
      async () =>
        (
          await t.dataSource.query(
            `SELECT status FROM vendor_return_file WHERE vendor_partner_id = $1 AND file_name = $2`,
            [vendor.partnerId, name],
          )
        )[0]?.status === 'ingested',
      'ingestion',
    );
    return createHash('sha256').update(content).digest('hex');
  }

  const batchRow = async (id: string) =>
    (await t.dataSource.query(`SELECT status, file_purged_at FROM personalisation_batch WHERE id = $1`, [id]))[0];
  const copyPurgedAt = async (sha256: string) =>
    (
      await t.dataSource.query(
        `SELECT copy_purged_at FROM vendor_return_file WHERE vendor_partner_id = $1 AND sha256 = $2`,
        [vendor.partnerId, sha256],
      )
    )[0].copy_purged_at;

  /** Puts a batch's whole history `days` back: written, its cards' last state change, its files' mtimes. */
  async function ageBatch(b: Batch, days: number, cardsToo = true): Promise<void> {
    await t.dataSource.query(
      `UPDATE personalisation_batch SET written_at = now() - make_interval(days => $2) WHERE id = $1`,
      [b.id, days],
    );
    if (cardsToo)
      await t.dataSource.query(
        `UPDATE card SET state_changed_at = now() - make_interval(days => $2) WHERE batch_id = $1`,
        [b.id, days],
      );
    await age(outbox(b.fileName), days);
    await age(outbox(`${b.fileName}.sig`), days);
  }

  beforeAll(async () => {
    dataDir = tempDataDir();
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    t = await startTestApp(
      {
        dataDir,
        sftpPort: 0,
        personalisationBatchSize: 10,
        vendorFileRetentionDays: RETENTION_DAYS,
        workersEnabled: true,
      },
      { logStream: sink },
    );
    fund = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    vendor = await createVendor(t, { login: 'imprimerie_est', regimeCodes: ['01'], isDefault: true });
    sftp = await sftpConnect(sftpPort(t), vendor.login, vendor.privateKey);
  });
  afterAll(async () => {
    sftp?.end();
    await t?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads VENDOR_FILE_RETENTION_DAYS: 90 days by default, a positive whole number of days', () => {
    expect(loadConfig({}).vendorFileRetentionDays).toBe(90);
    expect(loadConfig({ VENDOR_FILE_RETENTION_DAYS: '365' }).vendorFileRetentionDays).toBe(365);
    for (const bad of ['0', '-3', 'abc', '1.5', '36501']) {
      let error: unknown;
      try {
        loadConfig({ VENDOR_FILE_RETENTION_DAYS: bad });
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('VENDOR_FILE_RETENTION_DAYS');
    }
  });

  it('is a catalogued job', () => {
    expect(JOB_NAMES).toContain(JobName.EmissionPurgeVendorFiles);
    expect(JOB_SPECS[JobName.EmissionPurgeVendorFiles]).toMatchObject({ batchSize: 1 });
  });

  it("deletes a done batch's file and signature after the retention; a batch not done keeps its file whatever its age", async () => {
    const done = await batchOf(2);
    const pending = await batchOf(2); // one card comes back, the other is still at the vendor
    const justDone = await batchOf(1); // every card back, but only today
    await returnFile(
      'RET_A.txt',
      retFile(vendor.login, [
        shipped(done.serials[0], 'CHIPA0'),
        shipped(done.serials[1], 'CHIPA1'),
        shipped(pending.serials[0], 'CHIPB0'),
        shipped(justDone.serials[0], 'CHIPC0'),
      ]),
    );
    expect((await batchRow(done.id)).status).toBe('returned');
    expect((await batchRow(pending.id)).status).toBe('written');
    expect((await batchRow(justDone.id)).status).toBe('returned');

    // Nothing is old yet: everything stays.
    expect(await purge()).toMatchObject({ batches: 0, personalisationFiles: 0 });
    for (const b of [done, pending, justDone]) expect(existsSync(outbox(b.fileName)), b.fileName).toBe(true);

    await ageBatch(done, RETENTION_DAYS + 1);
    await ageBatch(pending, 400);
    await ageBatch(justDone, 400, false); // written long ago, returned today: done for less than the retention
    const result = await purge();
    expect(result).toMatchObject({ batches: 1, personalisationFiles: 2 });
    expect(existsSync(outbox(done.fileName))).toBe(false);
    expect(existsSync(outbox(`${done.fileName}.sig`))).toBe(false);
    expect((await batchRow(done.id)).file_purged_at).toBeInstanceOf(Date);
    for (const b of [pending, justDone]) {
      expect(existsSync(outbox(b.fileName)), b.fileName).toBe(true);
      expect(existsSync(outbox(`${b.fileName}.sig`)), b.fileName).toBe(true);
      expect((await batchRow(b.id)).file_purged_at).toBeNull();
    }
    // The vendor no longer sees it: a clear "no such file" over SFTP, the other files still served.
    const listing = await sftp.list('/outbox');
    expect(listing).not.toContain(done.fileName);
    expect(listing).toContain(pending.fileName);
    await expect(sftp.read(`/outbox/${done.fileName}`)).rejects.toMatchObject({ code: SFTP.NO_SUCH_FILE });
    // The operators' batch list still answers, the purged batch included.
    const page = await t.http().get('/v1/personalisation/batches').set(bearer(t.operatorKey));
    expect(page.status).toBe(200);
    expect(page.body.items.map((b: { id: string }) => b.id)).toContain(done.id);

    // Once the last card of the pending batch is back, and that long ago, its file goes too.
    await returnFile('RET_B.txt', retFile(vendor.login, [shipped(pending.serials[1], 'CHIPB1')]));
    expect((await batchRow(pending.id)).status).toBe('returned');
    expect(await purge()).toMatchObject({ batches: 0 }); // returned just now
    await ageBatch(pending, RETENTION_DAYS + 1);
    expect(await purge()).toMatchObject({ batches: 1, personalisationFiles: 2 });
    expect(existsSync(outbox(pending.fileName))).toBe(false);

    // A file touched within the retention stays, and the batch is not marked.
    const touched = await batchOf(1);
    await returnFile('RET_C.txt', retFile(vendor.login, [shipped(touched.serials[0], 'CHIPD0')]));
    await ageBatch(touched, RETENTION_DAYS + 1);
    await age(outbox(`${touched.fileName}.sig`), 1);
    expect(await purge()).toMatchObject({ batches: 0, personalisationFiles: 0 });
    expect(existsSync(outbox(touched.fileName))).toBe(true);
    expect((await batchRow(touched.id)).file_purged_at).toBeNull();

    // The log says how many, never which vendor, batch or file.
    const log = lines.filter((l) => l.includes('vendor files purged')).join('');
    expect(log).toMatch(/"personalisationFiles":2\b/);
    for (const s of [vendor.login, done.fileName, done.id, pending.fileName]) expect(log).not.toContain(s);
  });

  it('deletes reject files older than the retention, keeps recent ones, never follows a link', async () => {
    const b = await batchOf(2);
    await returnFile('RET_REJ1.txt', retFile(vendor.login, [shipped(b.serials[0], 'CHIPE0'), 'D|too|few']));
    await returnFile('RET_REJ2.txt', retFile(vendor.login, [shipped(b.serials[1], 'CHIPE1'), 'D|too|few']));
    expect(existsSync(outbox('REJ_RET_REJ1.txt'))).toBe(true);
    expect(existsSync(outbox('REJ_RET_REJ2.txt'))).toBe(true);
    await age(outbox('REJ_RET_REJ1.txt'), RETENTION_DAYS + 1);
    await age(outbox('REJ_RET_REJ2.txt'), RETENTION_DAYS - 1);
    // A link planted under a reject name, pointing outside the tree: neither it nor its target goes.
    const outside = path.join(dataDir, 'outside.txt');
    writeFileSync(outside, "not the system's\n");
    await age(outside, 400);
    symlinkSync(outside, outbox('REJ_LINK.txt'));
    const then = new Date(Date.now() - 400 * DAY_MS);
    await lutimes(outbox('REJ_LINK.txt'), then, then);

    expect(await purge()).toMatchObject({ rejectFiles: 1 });
    expect(existsSync(outbox('REJ_RET_REJ1.txt'))).toBe(false);
    expect(existsSync(outbox('REJ_RET_REJ2.txt'))).toBe(true);
    expect(existsSync(outside)).toBe(true);
    await expect(sftp.read('/outbox/REJ_RET_REJ1.txt')).rejects.toMatchObject({ code: SFTP.NO_SUCH_FILE });
    expect((await sftp.read('/outbox/REJ_RET_REJ2.txt')).toString()).toContain('E|3|');
  });

  it('deletes kept copies of return files only once processed longer ago than the retention', async () => {
    const b = await batchOf(2);
    const oldContent = retFile(vendor.login, [shipped(b.serials[0], 'CHIPF0')]);
    const oldSha = await returnFile('RET_OLD.txt', oldContent);
    const newSha = await returnFile('RET_NEW.txt', retFile(vendor.login, [shipped(b.serials[1], 'CHIPF1')]));
    expect(existsSync(kept(oldSha))).toBe(true);
    expect(existsSync(kept(newSha))).toBe(true);
    await t.dataSource.query(
      `UPDATE vendor_return_file SET received_at = now() - interval '400 days', ingested_at = now() - make_interval(days => $2)
      WHERE vendor_partner_id = $1 AND sha256 = $3`,
      [vendor.partnerId, RETENTION_DAYS + 1, oldSha],
    );
    await t.dataSource.query(
      `UPDATE vendor_return_file SET received_at = now() - interval '400 days', ingested_at = now() - make_interval(days => $2)
      WHERE vendor_partner_id = $1 AND sha256 = $3`,
      [vendor.partnerId, RETENTION_DAYS - 1, newSha],
    );
    // A file received long ago and not processed yet (its row still `received`), and a copy with no row at all.
    const waiting = retFile(vendor.login, ['D|000000000001|CHIPX|2020-01-01T00:00:00Z|2020-01-02T00:00:00Z|SHIPPED|']);
    const waitingSha = createHash('sha256').update(waiting).digest('hex');
    writeFileSync(kept(waitingSha), waiting);
    await t.dataSource.query(
      `INSERT INTO vendor_return_file (vendor_partner_id, file_name, sha256, status, received_at) VALUES ($1, 'RET_WAIT.txt', $2, 'received', now() - interval '400 days')`,
      [vendor.partnerId, waitingSha],
    );
    const orphanSha = createHash('sha256').update('orphan').digest('hex');
    writeFileSync(kept(orphanSha), 'orphan');
    // A file still in the inbox (not registered yet), however old.
    mkdirSync(path.dirname(inbox('x')), { recursive: true });
    writeFileSync(inbox('RET_LATE.tmp.part'), 'partial');
    await age(inbox('RET_LATE.tmp.part'), 400);
    for (const sha of [oldSha, newSha, waitingSha, orphanSha]) await age(kept(sha), 400);

    expect(await purge()).toMatchObject({ returnCopies: 1 });
    expect(existsSync(kept(oldSha))).toBe(false);
    expect(await copyPurgedAt(oldSha)).toBeInstanceOf(Date);
    for (const sha of [newSha, waitingSha, orphanSha]) expect(existsSync(kept(sha)), sha).toBe(true);
    expect(await copyPurgedAt(newSha)).toBeNull();
    expect(await copyPurgedAt(waitingSha)).toBeNull();
    expect(existsSync(inbox('RET_LATE.tmp.part'))).toBe(true);

    // The same bytes sent again are still recognised (the row stays) and change nothing; the copy kept again goes next run.
    const rows = async () =>
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM vendor_return_file`))[0].n as number;
    const before = await rows();
    await sftp.write('/inbox/RET_OLD_again.txt.part', oldContent);
    await sftp.rename('/inbox/RET_OLD_again.txt.part', '/inbox/RET_OLD_again.txt');
    await waitFor(async () => !existsSync(inbox('RET_OLD_again.txt')), 'the resent file to be registered');
    expect(await rows()).toBe(before);
    expect(existsSync(kept(oldSha))).toBe(true);
    expect(await purge()).toMatchObject({ returnCopies: 1 });
    expect(existsSync(kept(oldSha))).toBe(false);
  });

  it('never reaches outside the SFTP tree: an outbox or received area that is a link to elsewhere is left alone', async () => {
    const other = await createVendor(t, { login: 'imprimerie_ouest' });
    const root = path.join(dataDir, 'sftp', other.login);
    const elsewhere = path.join(dataDir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const sha = createHash('sha256').update('elsewhere').digest('hex');
    writeFileSync(path.join(elsewhere, sha), 'elsewhere');
    writeFileSync(path.join(elsewhere, 'REJ_OLD.txt'), 'elsewhere');
    await age(path.join(elsewhere, sha), 400);
    await age(path.join(elsewhere, 'REJ_OLD.txt'), 400);
    await t.dataSource.query(
      `INSERT INTO vendor_return_file (vendor_partner_id, file_name, sha256, status, received_at, ingested_at)
      VALUES ($1, 'RET_X.txt', $2, 'ingested', now() - interval '400 days', now() - interval '400 days')`,
      [other.partnerId, sha],
    );
    rmSync(path.join(root, 'outbox'), { recursive: true, force: true });
    rmSync(path.join(root, '.received'), { recursive: true, force: true });
    symlinkSync(elsewhere, path.join(root, 'outbox'));
    symlinkSync(elsewhere, path.join(root, '.received'));

    await purge();
    expect(existsSync(path.join(elsewhere, sha))).toBe(true);
    expect(existsSync(path.join(elsewhere, 'REJ_OLD.txt'))).toBe(true);
    expect(
      (
        await t.dataSource.query(`SELECT copy_purged_at FROM vendor_return_file WHERE vendor_partner_id = $1`, [
          other.partnerId,
        ])
      )[0].copy_purged_at,
    ).toBeNull();
  });

  it('runs through the job, enqueued once a day by the cron', async () => {
    const b = await batchOf(1);
    await returnFile('RET_JOB.txt', retFile(vendor.login, [shipped(b.serials[0], 'CHIPG0')]));
    await ageBatch(b, RETENTION_DAYS + 5);
    const count = async () =>
      (
        await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [
          JobName.EmissionPurgeVendorFiles,
        ])
      )[0].n;
    const scheduler = t.app.get(JobScheduler);
    const before = await count();
    await scheduler.tick(JobName.EmissionPurgeVendorFiles);
    await scheduler.tick(JobName.EmissionPurgeVendorFiles); // singleton: once a day
    expect(await count()).toBe(before + 1);
    await waitFor(async () => !existsSync(outbox(b.fileName)), 'the purge job to run', 30_000);
    await waitFor(
      async () => {
        const [{ state }] = await t.dataSource.query(
          `SELECT state FROM pgboss.job WHERE name = $1 ORDER BY created_on DESC LIMIT 1`,
          [JobName.EmissionPurgeVendorFiles],
        );
        return state === 'completed';
      },
      'the purge job to complete',
      10_000,
    );
    expect((await batchRow(b.id)).file_purged_at).toBeInstanceOf(Date);
  });
});
