import { spawnSync } from 'node:child_process';
import { createHash, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { SftpFolders } from '../src/platform/sftp/sftp-folders.js';
import { openSshSftp, type OpenSshRun } from './support/openssh.js';
import { binaryParser } from './support/opposition-fixtures.js';
import { ORG_A, requestReadyToOrder, waitFor } from './support/order-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import {
  createVendor,
  makeCard,
  ret2Line,
  returnFile,
  sftpPort,
  sshKeyPair,
  type TestVendor,
} from './support/vendor-fixtures.js';

/** Runs in a row: the old server lost OpenSSH's opening packet 14 times in 15, and never ended a finished session. */
const ROUNDS = 5;

/** Exited by itself, with 0: every batch line succeeded and the session ended. */
function expectClean(run: OpenSshRun, round: number): void {
  expect({ round, timedOut: run.timedOut, code: run.code, stderr: run.stderr }).toEqual({
    round,
    timedOut: false,
    code: 0,
    stderr: '',
  });
}

describe("partners scripting OpenSSH's sftp in batch mode", () => {
  let t: TestApp;
  let dataDir: string;
  let work: string;
  let port: number;
  let vendor: TestVendor;
  let op: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-openssh-data-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'vitale-openssh-work-'));
    t = await startTestApp({ dataDir, sftpPort: 0, personalisationBatchSize: 10 });
    port = sftpPort(t);
    op = bearer(t.operatorKey);
    // The vendor's age key pair made with Debian's age-keygen, as the vendor would; the operator registers the
    // recipient it prints.
    vendor = await createVendor(t, {
      login: 'imprimerie_nord',
      regimeCodes: ['01'],
      isDefault: true,
      ageRecipient: false,
    });
    const keygen = spawnSync('age-keygen', ['-o', path.join(work, 'vendor_age.txt')], { encoding: 'utf8' });
    expect(keygen.status, `age-keygen is needed (.ci/run installs Debian's age): ${keygen.stderr}`).toBe(0);
    const recipient = spawnSync('age-keygen', ['-y', path.join(work, 'vendor_age.txt')], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(
      (await t.http().put(`/v1/vendors/${vendor.partnerId}/age-recipient`).set(op).send({ recipient })).status,
    ).toBe(200);
    vendor.ageRecipient = recipient;
  });
  afterAll(async () => {
    await t?.close();
    for (const d of [dataDir, work]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("a vendor downloads its encrypted personalisation file and signature from /outbox, opens it with Debian's age and its own key (another vendor's key opens nothing), uploads ret/2 returns as .part then renames them into /inbox: each run ends by itself with 0, each return is ingested", async () => {
    // Another vendor, with its own age key pair: its key must not open this vendor's file.
    const rival = await createVendor(t, { login: 'imprimerie_sud', regimeCodes: ['02'], ageRecipient: false });
    spawnSync('age-keygen', ['-o', path.join(work, 'rival_age.txt')]);
    const rivalRecipient = spawnSync('age-keygen', ['-y', path.join(work, 'rival_age.txt')], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(
      (await t.http().put(`/v1/vendors/${rival.partnerId}/age-recipient`).set(op).send({ recipient: rivalRecipient }))
        .status,
    ).toBe(200);
    const signingKeys = (await t.http().get('/v1/signing-keys').set(op)).body.items as Array<{
      keyId: string;
      publicKey: string;
    }>;
    const fund = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    for (let i = 0; i < ROUNDS; i++) {
      const r = await requestReadyToOrder(t, { organismeCode: ORG_A });
      expect((await t.http().post(`/v1/card-requests/${r.requestId}/order`).set(fund).send()).status).toBe(200);
    }
    expect((await t.http().post('/v1/personalisation/batches/run').set(op).send()).status).toBe(202);
    await waitFor(
      async () =>
        (await t.dataSource.query(`SELECT 1 FROM personalisation_batch WHERE status = 'written'`)).length === 1,
      'batch file written',
    );
    const outbox = path.join(dataDir, 'sftp', vendor.login, 'outbox');

    let serials: string[];
    for (let round = 0; round < ROUNDS; round++) {
      const local = path.join(work, `vendor-${round}`);
      mkdirSync(local);
      // What a vendor's script does: take the file and its signature, check the signature, decrypt, check the
      // trailer, answer with a return file for one card.
      const first = await openSshSftp({
        port,
        login: vendor.login,
        privateKey: vendor.privateKey,
        cwd: local,
        commands: ['cd /outbox', 'ls -l', 'get PERSO_00000001.txt.age', 'get PERSO_00000001.txt.age.sig', 'bye'],
      });
      expectClean(first, round);
      const encrypted = readFileSync(path.join(local, 'PERSO_00000001.txt.age'));
      expect(encrypted.equals(readFileSync(path.join(outbox, 'PERSO_00000001.txt.age')))).toBe(true);
      const sig = JSON.parse(readFileSync(path.join(local, 'PERSO_00000001.txt.age.sig'), 'utf8'));
      const signer = signingKeys.find((k) => k.keyId === sig.keyId)!;
      expect(verify(null, encrypted, signer.publicKey, Buffer.from(sig.signature, 'base64'))).toBe(true);
      // The vendor's own key opens it, with Debian's age as the format document says.
      const age = spawnSync('bash', ['-c', 'age -d -i "$KEY" PERSO_00000001.txt.age > PERSO_00000001.txt'], {
        cwd: local,
        env: { ...process.env, KEY: path.join(work, 'vendor_age.txt') },
        encoding: 'utf8',
      });
      expect({ code: age.status, stderr: age.stderr }).toEqual({ code: 0, stderr: '' });
      const file = readFileSync(path.join(local, 'PERSO_00000001.txt'));
      expect(createHash('sha256').update(file).digest('hex')).toBe(sig.plaintextSha256);
      const trailerAt = file.lastIndexOf(0x0a, file.length - 2) + 1;
      expect(file.toString('utf8', trailerAt).trim().split('|')[2]).toBe(
        createHash('sha256').update(file.subarray(0, trailerAt)).digest('hex'),
      );
      // Another vendor's key opens nothing.
      const wrong = spawnSync('age', ['-d', '-i', path.join(work, 'rival_age.txt'), 'PERSO_00000001.txt.age'], {
        cwd: local,
        encoding: 'utf8',
      });
      expect(wrong.status).not.toBe(0);
      expect(wrong.stdout).toBe('');
      expect(wrong.stderr).toContain('no identity matched any of the recipients');
      serials = file
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('R|'))
        .map((l) => l.split('|')[1]);
      expect(serials).toHaveLength(ROUNDS);

      const name = `RET_${String(round + 1).padStart(4, '0')}.txt`;
      const now = new Date().toISOString();
      writeFileSync(
        path.join(local, name),
        returnFile(vendor.login, [
          ret2Line(makeCard(serials[round], `CHIP${round}`), 'SHIPPED', { personalisedAt: now }),
        ]),
      );
      const upload = await openSshSftp({
        port,
        login: vendor.login,
        privateKey: vendor.privateKey,
        cwd: local,
        commands: [`put ${name} /inbox/${name}.part`, `rename /inbox/${name}.part /inbox/${name}`, 'bye'],
      });
      expectClean(upload, round);
      const ingested = await waitFor(
        async () =>
          (
            await t.dataSource.query(
              `SELECT status, applied_count FROM vendor_return_file WHERE vendor_partner_id = $1 AND file_name = $2`,
              [vendor.partnerId, name],
            )
          ).find((f: { status: string }) => f.status === 'ingested'),
        `ingestion of ${name}`,
      );
      expect(ingested.applied_count).toBe(1);
      const [card] = await t.dataSource.query(
        `SELECT state, chip_id FROM card WHERE lpad(serial::text, 12, '0') = $1`,
        [serials[round]],
      );
      expect(card).toEqual({ state: 'active', chip_id: `CHIP${round}` });
    }
    expect(
      (await t.dataSource.query(`SELECT status FROM personalisation_batch WHERE batch_number = 1`))[0].status,
    ).toBe('returned');
    // Every download of the file (NIRs, names, photos) is in the audit trail, with who took it.
    const downloads = await t.dataSource.query(
      `SELECT details->>'fileName' AS file, count(*)::int AS n FROM audit_entry WHERE action = 'sftp.download' AND actor_partner_id = $1 GROUP BY 1 ORDER BY 1`,
      [vendor.partnerId],
    );
    expect(downloads).toEqual([
      { file: 'PERSO_00000001.txt.age', n: ROUNDS },
      { file: 'PERSO_00000001.txt.age.sig', n: ROUNDS },
    ]);
  }, 120_000);

  it('a concentrator fetches every opposition list file from /lists: each run ends by itself with 0, the files are the ones served over HTTP', async () => {
    const conc = await t.partner(PartnerKind.PharmacySoftware);
    const keys = sshKeyPair();
    const added = await t
      .http()
      .post(`/v1/opposition/concentrators/${conc.id}/ssh-keys`)
      .set(op)
      .send({ publicKey: keys.publicKey });
    expect(added.status).toBe(201);
    const list = (await t.http().post('/v1/opposition-lists').set(op).send({ kind: 'full' }).expect(201)).body;
    const viaHttp = async (format: 'text' | 'compact') =>
      (
        await t
          .http()
          .get(`/v1/opposition-lists/${list.number}?format=${format}`)
          .set(bearer(conc.key))
          .buffer(true)
          .parse(binaryParser)
      ).body as Buffer;
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const expected = {
      [list.text.file]: sha(await viaHttp('text')),
      [list.compact.file]: sha(await viaHttp('compact')),
    };

    for (let round = 0; round < ROUNDS; round++) {
      const local = path.join(work, `conc-${round}`);
      mkdirSync(local);
      const run = await openSshSftp({
        port,
        login: added.body.login,
        privateKey: keys.privateKey,
        cwd: local,
        commands: ['cd /lists', 'ls', 'get *', 'bye'],
      });
      expectClean(run, round);
      expect(
        Object.fromEntries(
          readdirSync(local)
            .sort()
            .map((f) => [f, sha(readFileSync(path.join(local, f)))]),
        ),
      ).toEqual(expected);
    }
  }, 120_000);

  it('the documented command line, with the host key pinned from DATA_DIR/keys/ssh_host_ed25519.pub; another host key is refused', async () => {
    const pub = readFileSync(path.join(dataDir, 'keys', 'ssh_host_ed25519.pub'), 'utf8')
      .trim()
      .split(' ')
      .slice(0, 2)
      .join(' ');
    const local = path.join(work, 'pinned');
    mkdirSync(local);
    const pinned = await openSshSftp({
      port,
      login: vendor.login,
      privateKey: vendor.privateKey,
      cwd: local,
      commands: ['cd /outbox', 'ls -l'],
      knownHosts: [`[127.0.0.1]:${port} ${pub}`],
    });
    expectClean(pinned, 0);
    const other = sshKeyPair().publicKey.split(' ').slice(0, 2).join(' ');
    const wrong = await openSshSftp({
      port,
      login: vendor.login,
      privateKey: vendor.privateKey,
      cwd: local,
      commands: ['ls /outbox'],
      knownHosts: [`[127.0.0.1]:${port} ${other}`],
    });
    expect({ timedOut: wrong.timedOut, code: wrong.code }).toEqual({ timedOut: false, code: 255 });
    expect(wrong.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
  });

  it('a batch line that fails makes sftp exit 1 at once (the session is still ended cleanly)', async () => {
    const local = path.join(work, 'failing');
    mkdirSync(local);
    await t.app.get(SftpFolders).publish(vendor.login, 'outbox', 'HELLO.txt', 'hello\n');
    const run = await openSshSftp({
      port,
      login: vendor.login,
      privateKey: vendor.privateKey,
      cwd: local,
      commands: ['get /outbox/HELLO.txt', 'get /outbox/MISSING.txt', 'get /outbox/HELLO.txt again.txt'],
    });
    expect({ timedOut: run.timedOut, code: run.code }).toEqual({ timedOut: false, code: 1 });
    expect(readdirSync(local)).toEqual(['HELLO.txt']);
  });
});
