import { createHash, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { CardAction } from '../src/cards/card-action.enum.js';
import { CardState } from '../src/cards/card-state.enum.js';
import { CardsService } from '../src/cards/cards.service.js';
import { systemActor } from '../src/platform/auth/actor.js';
import { insertCard } from './support/factories.js';
import { BatchBuilderService } from '../src/emission/personalisation/batch-builder.service.js';
import { BatchFileService } from '../src/emission/personalisation/batch-file.service.js';
import { decodeField } from '../src/emission/personalisation/personalisation-file.js';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { createLogger } from '../src/platform/logging/logger.js';
import {
  ORG_A,
  ORG_MSA,
  requestReadyToOrder,
  tempDataDir,
  waitFor,
  type ReadyRequest,
} from './support/order-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';
import { createVendor, decryptForVendor, type TestVendor } from './support/vendor-fixtures.js';

/** Every file under a folder, recursively (the data folder: SFTP tree, staging areas, keys, photos). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** A clear perso file read back the way a vendor would, once decrypted. */
function readPerso(bytes: Buffer) {
  const text = bytes.toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  const trailerAt = text.lastIndexOf('\n', text.length - 2) + 1;
  const header = lines[0].split('|');
  const records = lines.slice(1, -1).map((l) => l.split('|'));
  const trailer = lines[lines.length - 1].split('|');
  return { header, records, trailer, beforeTrailer: bytes.subarray(0, trailerAt) };
}

describe('step 5: personalisation batches and files', () => {
  let t: TestApp;
  let dataDir: string;
  let fundA: Record<string, string>;
  let fundMsa: Record<string, string>;
  let v1: TestVendor;
  let builder: BatchBuilderService;
  let files: BatchFileService;
  const BATCH_SIZE = 3;

  beforeAll(async () => {
    dataDir = tempDataDir();
    t = await startTestApp({ dataDir, sftpPort: 0, workersEnabled: false, personalisationBatchSize: BATCH_SIZE });
    fundA = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
    fundMsa = bearer((await t.partner(PartnerKind.Fund, ORG_MSA)).key);
    v1 = await createVendor(t, { login: 'imprimerie_un', regimeCodes: ['01'] });
    builder = t.app.get(BatchBuilderService);
    files = t.app.get(BatchFileService);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function ordered(n: number, organismeCode = ORG_A): Promise<Array<ReadyRequest & { cardId: string }>> {
    const out = [];
    for (let i = 0; i < n; i++) {
      const r = await requestReadyToOrder(t, { organismeCode });
      const res = await t
        .http()
        .post(`/v1/card-requests/${r.requestId}/order`)
        .set(organismeCode === ORG_A ? fundA : fundMsa)
        .send();
      expect(res.status).toBe(200);
      out.push({ ...r, cardId: res.body.cardId as string });
    }
    return out;
  }
  const cardRows = (ids: string[]) =>
    t.dataSource.query(
      `SELECT id, state, serial::text AS serial, batch_id FROM card WHERE id = ANY($1::uuid[]) ORDER BY serial`,
      [ids],
    );
  const outbox = (login: string) => path.join(dataDir, 'sftp', login, 'outbox');
  const writeJobs = async () =>
    (
      await t.dataSource.query(
        `SELECT data->>'batchId' AS "batchId" FROM pgboss.job WHERE name = $1 ORDER BY created_on`,
        [JobName.EmissionWriteBatchFile],
      )
    ).map((r: { batchId: string }) => r.batchId);

  it('allocates ordered cards in batches of PERSONALISATION_BATCH_SIZE, consecutive serials, all in one transaction per batch', async () => {
    const reqs = await ordered(7);
    const [{ next }] = await t.dataSource.query(`SELECT next_serial::text AS next FROM serial_allocator`);
    const jobsBefore = await writeJobs();
    const result = await builder.build();
    const mine = result.batches;
    expect(mine.map((b) => b.cardCount)).toEqual([3, 3, 1]);
    expect(mine.every((b) => b.vendorPartnerId === v1.partnerId)).toBe(true);
    const cards = await cardRows(reqs.map((r) => r.cardId));
    expect(cards.every((c: { state: string }) => c.state === 'in_personalisation')).toBe(true);
    // Serials: consecutive from the counter, oldest order first, no gap, none twice.
    const serials = cards.map((c: { serial: string }) => BigInt(c.serial));
    expect(serials[0]).toBe(BigInt(next));
    serials.forEach((s: bigint, i: number) => expect(s).toBe(BigInt(next) + BigInt(i)));
    const byOrder = await t.dataSource.query(`SELECT serial::text AS serial FROM card WHERE id = ANY($1::uuid[])`, [
      [reqs[0].cardId],
    ]);
    expect(byOrder[0].serial).toBe(next);
    // Each batch holds exactly its cards.
    for (const b of mine) {
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM card WHERE batch_id = $1`, [b.id]);
      expect(n).toBe(b.cardCount);
    }
    // Requests, steps, events, audit, write jobs.
    const reqRows = await t.dataSource.query(`SELECT status FROM card_request WHERE id = ANY($1::uuid[])`, [
      reqs.map((r) => r.requestId),
    ]);
    expect(reqRows.every((r: { status: string }) => r.status === 'in_personalisation')).toBe(true);
    const [{ steps }] = await t.dataSource.query(
      `SELECT count(*)::int AS steps FROM card_request_step WHERE status = 'in_personalisation' AND request_id = ANY($1::uuid[])`,
      [reqs.map((r) => r.requestId)],
    );
    expect(steps).toBe(7);
    const events = await t.dataSource.query(
      `SELECT data FROM fund_event WHERE type = 'card.in_personalisation' AND subject_id = ANY($1::text[])`,
      [reqs.map((r) => r.cardId)],
    );
    expect(events).toHaveLength(7);
    expect(events[0].data).toMatchObject({
      serial: expect.stringMatching(/^\d{12}$/),
      batchNumber: expect.any(String),
    });
    const audit = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_entry WHERE action = 'card.start_personalisation' AND entity_id = ANY($1::text[])`,
      [reqs.map((r) => r.cardId)],
    );
    expect(audit[0].n).toBe(7);
    expect((await writeJobs()).slice(jobsBefore.length)).toEqual(mine.map((b) => b.id));
    // Nothing left to pick: a second run builds nothing.
    expect((await builder.build()).batches).toEqual([]);
  });

  it('writes PERSO_<n>.txt.age, encrypted to the vendor, and its signature into the outbox: header, records, trailer SHA-256, Ed25519 signature over the encrypted bytes', async () => {
    const reqs = await ordered(2);
    const {
      batches: [batch],
    } = await builder.build();
    const name = `PERSO_${batch.batchNumber.padStart(8, '0')}.txt.age`;
    expect(existsSync(path.join(outbox(v1.login), name))).toBe(false);
    const written = await files.write(batch.id);
    expect(written?.fileName).toBe(name);
    const encrypted = readFileSync(path.join(outbox(v1.login), name));
    // age's binary header, then nothing readable: no NIR, no name.
    expect(encrypted.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    for (const r of reqs) {
      expect(encrypted.includes(r.beneficiary.nir)).toBe(false);
      expect(encrypted.includes(r.beneficiary.birthName)).toBe(false);
    }
    const bytes = await decryptForVendor(v1, encrypted);
    const { header, records, trailer, beforeTrailer } = readPerso(bytes);
    const [row] = await t.dataSource.query(
      `SELECT status, file_name, sha256, perso_version, plaintext_sha256, created_at FROM personalisation_batch WHERE id = $1`,
      [batch.id],
    );
    expect(header).toEqual(['H', 'perso', '2', batch.batchNumber, v1.login, row.created_at.toISOString(), '2']);
    expect(trailer).toEqual(['T', '2', createHash('sha256').update(beforeTrailer).digest('hex')]);
    expect(row).toMatchObject({
      status: 'written',
      file_name: name,
      perso_version: 2,
      sha256: createHash('sha256').update(encrypted).digest('hex'),
      plaintext_sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    // One record per card, by serial, with the register's data and the chip photo.
    const cards = await cardRows(reqs.map((r) => r.cardId));
    expect(records.map((r) => r[1])).toEqual(cards.map((c: { serial: string }) => c.serial.padStart(12, '0')));
    for (const rec of records) {
      expect(rec).toHaveLength(18);
      const req = reqs.find((r) => r.beneficiary.nir === rec[2])!;
      expect(req).toBeTruthy();
      expect(rec.slice(3, 7).map(decodeField)).toEqual([
        req.beneficiary.birthName,
        '',
        req.beneficiary.firstName,
        req.beneficiary.birthDate,
      ]);
      expect(rec.slice(7, 13).map(decodeField)).toEqual([...req.beneficiary.addressLines, '', '', ''].slice(0, 6));
      expect(rec.slice(13, 17)).toEqual(['01', '751', '0001', '2']); // data version 2: identity and organisme as issued
      expect(Buffer.from(rec[17], 'base64').equals(req.chipPhoto!)).toBe(true);
    }
    // The detached signature covers the encrypted bytes (checked before decrypting) and states the clear file's hash.
    const sig = JSON.parse(readFileSync(path.join(outbox(v1.login), `${name}.sig`), 'utf8'));
    expect(sig).toMatchObject({
      format: 'perso/2',
      file: name,
      sha256: row.sha256,
      encryption: 'age',
      recipient: v1.ageRecipient,
      plaintextFile: name.slice(0, -4),
      plaintextSha256: row.plaintext_sha256,
      algorithm: 'Ed25519',
    });
    const keys = await t.http().get('/v1/signing-keys').set(bearer(t.operatorKey));
    const key = keys.body.items.find((k: { keyId: string }) => k.keyId === sig.keyId);
    expect(verify(null, encrypted, key.publicKey, Buffer.from(sig.signature, 'base64'))).toBe(true);
    const tampered = Buffer.from(encrypted);
    tampered[encrypted.length - 10] ^= 1;
    expect(verify(null, tampered, key.publicKey, Buffer.from(sig.signature, 'base64'))).toBe(false);
    await expect(decryptForVendor(v1, tampered)).rejects.toThrow();
    // No temporary file is ever visible in the outbox, nor left in the staging area.
    expect(readdirSync(outbox(v1.login)).filter((f) => !/^PERSO_\d{8}\.txt\.age(\.sig)?$/.test(f))).toEqual([]);
    expect(readdirSync(path.join(dataDir, 'sftp', v1.login, '.staging'))).toEqual([]);
    // A second run of the job for a written batch does nothing.
    expect(await files.write(batch.id)).toBeNull();
  });

  it('a rewrite gives the very same clear file (everything comes from the database), encrypted anew', async () => {
    await ordered(2);
    const {
      batches: [batch],
    } = await builder.build();
    const first = await files.write(batch.id);
    const file = path.join(outbox(v1.login), first!.fileName);
    const encrypted = readFileSync(file);
    await t.dataSource.query(
      `UPDATE personalisation_batch SET status = 'allocated', file_name = NULL, sha256 = NULL, perso_version = NULL, plaintext_sha256 = NULL, written_at = NULL WHERE id = $1`,
      [batch.id],
    );
    writeFileSync(file, 'garbage');
    const second = await files.write(batch.id);
    expect(second).toMatchObject({ fileName: first!.fileName, plaintextSha256: first!.plaintextSha256 });
    // age draws a new file key each time: other encrypted bytes, the same content inside.
    expect(second!.sha256).not.toBe(first!.sha256);
    expect((await decryptForVendor(v1, readFileSync(file))).equals(await decryptForVendor(v1, encrypted))).toBe(true);
  });

  it('a vendor without an age recipient gets no batch: its cards wait as ordered, never a clear file; registering one lets them go', async () => {
    const late = await createVendor(t, { login: 'imprimerie_tard', regimeCodes: ['02'], ageRecipient: false });
    const [msa] = await ordered(1, ORG_MSA);
    const waiting = await builder.build();
    expect(waiting).toMatchObject({ batches: [], waitingWithoutRecipient: 1 });
    expect((await cardRows([msa.cardId]))[0]).toMatchObject({ state: 'ordered', serial: null, batch_id: null });
    expect(existsSync(outbox(late.login)) ? readdirSync(outbox(late.login)) : []).toEqual([]);
    // A batch allocated before the vendor had one (at the upgrade to perso/2) is not written either.
    const early = (await t.dataSource.query(`SELECT count(*)::int AS n FROM personalisation_batch`))[0].n;
    await t.dataSource.query(`UPDATE vendor_profile SET age_recipient = $2 WHERE partner_id = $1`, [
      late.partnerId,
      late.ageRecipient,
    ]);
    const {
      batches: [batch],
    } = await builder.build();
    await t.dataSource.query(`UPDATE vendor_profile SET age_recipient = NULL WHERE partner_id = $1`, [late.partnerId]);
    expect(await files.write(batch.id)).toBeNull();
    expect(
      (await t.dataSource.query(`SELECT status FROM personalisation_batch WHERE id = $1`, [batch.id]))[0].status,
    ).toBe('allocated');
    expect(existsSync(outbox(late.login)) ? readdirSync(outbox(late.login)) : []).toEqual([]);
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM personalisation_batch`))[0].n).toBe(early + 1);

    // The operator registers the recipient (audited): the waiting batch's file job is queued in the same transaction.
    const jobsBefore = await writeJobs();
    const res = await t
      .http()
      .put(`/v1/vendors/${late.partnerId}/age-recipient`)
      .set(bearer(t.operatorKey))
      .send({ recipient: late.ageRecipient });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      partnerId: late.partnerId,
      ageRecipient: late.ageRecipient,
      ageRecipientSetAt: expect.any(String),
    });
    expect((await writeJobs()).slice(jobsBefore.length)).toEqual([batch.id]);
    const [audit] = await t.dataSource.query(
      `SELECT details FROM audit_entry WHERE action = 'vendor.age_recipient.set' AND entity_id = $1`,
      [late.partnerId],
    );
    expect(audit.details).toEqual({ recipient: late.ageRecipient, previous: null, batchesToWrite: 1 });
    const written = await files.write(batch.id);
    expect(written!.fileName).toMatch(/^PERSO_\d{8}\.txt\.age$/);
    // Regime 02 goes back to no vendor for the routing test.
    expect(
      (await t.http().patch(`/v1/vendors/${late.partnerId}`).set(bearer(t.operatorKey)).send({ regimeCodes: [] }))
        .status,
    ).toBe(200);
  });

  it("age recipients: a malformed one or another vendor's is refused, saying why", async () => {
    const op = bearer(t.operatorKey);
    const put = (recipient: unknown, id = v1.partnerId) =>
      t.http().put(`/v1/vendors/${id}/age-recipient`).set(op).send({ recipient });
    const valid = v1.ageRecipient;
    for (const bad of [
      'age1',
      'AGE-SECRET-KEY-1QQQ',
      valid.toUpperCase(),
      valid.slice(0, -1) + (valid.endsWith('q') ? 'p' : 'q'),
      `${valid} `,
      'age1pq1' + valid.slice(4),
    ]) {
      const res = await put(bad);
      expect(res.status, bad).toBe(422);
      expect(res.body.code).toBe('AGE_RECIPIENT_INVALID');
      expect(JSON.stringify(res.body)).not.toContain(bad.trim().slice(4, 30) || 'x'.repeat(40));
    }
    const other = await createVendor(t, { login: 'imprimerie_copie' });
    const taken = await put(valid, other.partnerId);
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('AGE_RECIPIENT_TAKEN');
    expect((await put(valid, '00000000-0000-4000-8000-000000000000')).body.code).toBe('VENDOR_NOT_FOUND');
    expect(
      (await t.http().put(`/v1/vendors/${v1.partnerId}/age-recipient`).set(fundA).send({ recipient: valid })).status,
    ).toBe(403);
  });

  it('no clear personalisation file anywhere on disk, under DATA_DIR or the temporary folder: no NIR, no name, no clear header in any file', async () => {
    const reqs = await ordered(2);
    const { batches } = await builder.build();
    // The files are written with a temporary folder of their own (os.tmpdir() follows TMPDIR), so that anything the
    // writing leaves there is seen without reading what other tests put in the shared one.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'vitale-perso-tmp-'));
    const tmpBefore = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      expect(os.tmpdir()).toBe(tmp);
      for (const b of batches) await files.write(b.id);
    } finally {
      if (tmpBefore === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpBefore;
    }
    try {
      const all = await t.dataSource.query(
        `SELECT b.nir, b.birth_name AS "birthName" FROM beneficiary b JOIN card c ON c.beneficiary_id = b.id WHERE c.batch_id IS NOT NULL`,
      );
      expect(all.length).toBeGreaterThanOrEqual(reqs.length);
      const onDisk = [...filesUnder(dataDir), ...filesUnder(tmp)];
      const found = onDisk.filter((f) => {
        const bytes = readFileSync(f);
        return (
          bytes.includes('H|perso|') ||
          all.some(
            (p: { nir: string; birthName: string }) => bytes.includes(p.nir) || bytes.includes(`|${p.birthName}|`),
          )
        );
      });
      expect(found).toEqual([]);
      expect(onDisk.filter((f) => /PERSO_\d+\.txt$/.test(f))).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("routing: the regime's vendor, else the default vendor; with neither the card waits as ordered", async () => {
    const [msa] = await ordered(1, ORG_MSA);
    const first = await builder.build();
    expect(first.batches).toEqual([]);
    expect(first.waitingWithoutVendor).toBe(1);
    expect((await cardRows([msa.cardId]))[0]).toMatchObject({ state: 'ordered', serial: null, batch_id: null });
    const fallback = await createVendor(t, { login: 'imprimerie_defaut', isDefault: true });
    const second = await builder.build();
    expect(second.waitingWithoutVendor).toBe(0);
    expect(second.batches).toEqual([expect.objectContaining({ vendorPartnerId: fallback.partnerId, cardCount: 1 })]);
    // A regime given to the default's rival later goes there; the default keeps the rest.
    const [a1] = await ordered(1, ORG_A);
    const [m1] = await ordered(1, ORG_MSA);
    const rival = await createVendor(t, { login: 'imprimerie_msa', regimeCodes: ['02'] });
    const third = await builder.build();
    const vendorOf = (cardId: string) =>
      t.dataSource.query(
        `SELECT b.vendor_partner_id AS v FROM card c JOIN personalisation_batch b ON b.id = c.batch_id WHERE c.id = $1`,
        [cardId],
      );
    expect((await vendorOf(a1.cardId))[0].v).toBe(v1.partnerId);
    expect((await vendorOf(m1.cardId))[0].v).toBe(rival.partnerId);
    expect(third.batches).toHaveLength(2);
  });

  it('operators can run the build now (202, the job is queued) and list batches', async () => {
    const res = await t.http().post('/v1/personalisation/batches/run').set(bearer(t.operatorKey)).send();
    expect(res.status).toBe(202);
    const [job] = await t.dataSource.query(`SELECT name, state FROM pgboss.job WHERE id = $1`, [res.body.jobId]);
    expect(job).toEqual({ name: JobName.EmissionBuildBatches, state: 'created' });
    const list = await t.http().get('/v1/personalisation/batches?limit=2').set(bearer(t.operatorKey));
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    expect(BigInt(list.body.items[0].batchNumber)).toBeGreaterThan(BigInt(list.body.items[1].batchNumber));
    expect(list.body.next).toBe(list.body.items[1].batchNumber);
    const fund = await t.http().post('/v1/personalisation/batches/run').set(fundA).send();
    expect(fund.status).toBe(403);
  });

  it('the set-based card transition follows the table: one card that may not move refuses the whole set', async () => {
    const cards = t.app.get(CardsService);
    const holder = await requestReadyToOrder(t);
    const ok = await insertCard(t.dataSource, {
      beneficiaryId: holder.beneficiary.id,
      state: CardState.InPersonalisation,
    });
    const wrong = await insertCard(t.dataSource, { beneficiaryId: holder.beneficiary.id, state: CardState.Ordered });
    const audit = async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_entry`))[0].n;
    const before = await audit();
    await expect(
      t.dataSource.transaction((em) =>
        cards.transitionManyByIdIn(em, systemActor(), [ok.id, wrong.id], CardAction.Ship),
      ),
    ).rejects.toMatchObject({ code: 'CARD_TRANSITION_NOT_ALLOWED', status: 409 });
    expect((await cardRows([ok.id, wrong.id])).map((c: { state: string }) => c.state).sort()).toEqual([
      'in_personalisation',
      'ordered',
    ]);
    expect(await audit()).toBe(before);
    const moved = await t.dataSource.transaction((em) =>
      cards.transitionManyByIdIn(em, systemActor(), [ok.id], CardAction.Ship),
    );
    expect(moved).toEqual([expect.objectContaining({ id: ok.id, state: 'shipped' })]);
    const [entry] = await t.dataSource.query(`SELECT action, details FROM audit_entry WHERE entity_id = $1`, [ok.id]);
    expect(entry).toMatchObject({ action: 'card.ship', details: { from: 'in_personalisation', to: 'shipped' } });
  });

  it('two builders at once never take the same card (SKIP LOCKED)', async () => {
    const reqs = await ordered(6);
    const [r1, r2] = await Promise.all([builder.build(), builder.build()]);
    const all = [...r1.batches, ...r2.batches];
    expect(all.reduce((n, b) => n + b.cardCount, 0)).toBe(6);
    const cards = await cardRows(reqs.map((r) => r.cardId));
    expect(new Set(cards.map((c: { serial: string }) => c.serial)).size).toBe(6);
    expect(cards.every((c: { batch_id: string | null }) => c.batch_id)).toBe(true);
  });
});

describe('crash between the allocation commit and the file', () => {
  it('after a restart each file is written once, with exactly the allocated serials', async () => {
    const dataDir = tempDataDir();
    const t = await startTestApp({ dataDir, sftpPort: 0, workersEnabled: false, personalisationBatchSize: 4 });
    let restarted: Awaited<ReturnType<typeof createApp>> | null = null;
    try {
      const fund = bearer((await t.partner(PartnerKind.Fund, ORG_A)).key);
      const vendor = await createVendor(t, { login: 'imprimerie_crash', regimeCodes: ['01'] });
      const cardIds: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await requestReadyToOrder(t);
        cardIds.push((await t.http().post(`/v1/card-requests/${r.requestId}/order`).set(fund).send()).body.cardId);
      }
      // The worker allocates (commit: batches, serials, queued write jobs) ...
      const { batches } = await t.app.get(BatchBuilderService).build();
      expect(batches.map((b) => b.cardCount)).toEqual([4, 2]);
      const allocated = await t.dataSource.query(
        `SELECT batch_id, serial::text AS serial FROM card WHERE id = ANY($1::uuid[]) ORDER BY serial`,
        [cardIds],
      );
      const [{ next }] = await t.dataSource.query(`SELECT next_serial::text AS next FROM serial_allocator`);
      const out = path.join(dataDir, 'sftp', vendor.login, 'outbox');
      // ... batch 1: dies before writing anything but a half temporary file;
      writeFileSync(path.join(dataDir, 'sftp', vendor.login, '.staging', 'PERSO_half.tmp'), 'age-encryption.org/v1\n');
      // batch 2: dies after the file is in place but before the database said so.
      const early = await t.app.get(BatchFileService).write(batches[1].id);
      const earlyClear = await decryptForVendor(vendor, readFileSync(path.join(out, early!.fileName)));
      await t.dataSource.query(
        `UPDATE personalisation_batch SET status = 'allocated', file_name = NULL, sha256 = NULL, perso_version = NULL, plaintext_sha256 = NULL, written_at = NULL WHERE id = $1`,
        [batches[1].id],
      );
      await t.app.close();

      // Restart on the same database and data, workers on: the queued jobs run.
      const config = Object.assign(Object.create(Object.getPrototypeOf(t.config)), t.config, { workersEnabled: true });
      restarted = await createApp(config, t.url, createLogger('silent'));
      await restarted.init();
      const db = restarted.get(DataSource);
      await waitFor(async () => {
        const [{ n }] = await db.query(
          `SELECT count(*)::int AS n FROM personalisation_batch WHERE id = ANY($1::uuid[]) AND status = 'written'`,
          [batches.map((b) => b.id)],
        );
        return n === 2;
      }, 'both files written');

      const perso = readdirSync(out)
        .filter((f) => f.endsWith('.age'))
        .sort();
      expect(perso).toEqual(batches.map((b) => `PERSO_${b.batchNumber.padStart(8, '0')}.txt.age`));
      const inFiles: string[] = [];
      for (const b of batches) {
        const { records, header } = readPerso(
          await decryptForVendor(
            vendor,
            readFileSync(path.join(out, `PERSO_${b.batchNumber.padStart(8, '0')}.txt.age`)),
          ),
        );
        expect(header[6]).toBe(String(b.cardCount));
        const expected = allocated
          .filter((c: { batch_id: string }) => c.batch_id === b.id)
          .map((c: { serial: string }) => c.serial.padStart(12, '0'));
        expect(records.map((r) => r[1])).toEqual(expected);
        inFiles.push(...records.map((r) => r[1]));
      }
      // Every allocated serial once, none twice, none lost, the counter not moved by the restart.
      expect(inFiles).toEqual(allocated.map((c: { serial: string }) => c.serial.padStart(12, '0')));
      expect(new Set(inFiles).size).toBe(6);
      const after = await db.query(
        `SELECT batch_id, serial::text AS serial FROM card WHERE id = ANY($1::uuid[]) ORDER BY serial`,
        [cardIds],
      );
      expect(after).toEqual(allocated);
      expect((await db.query(`SELECT next_serial::text AS next FROM serial_allocator`))[0].next).toBe(next);
      expect(BigInt(next)).toBe(BigInt(allocated[5].serial) + 1n);
      // The rerun of batch 2 wrote the very same content (encrypted anew).
      expect((await decryptForVendor(vendor, readFileSync(path.join(out, early!.fileName)))).equals(earlyClear)).toBe(
        true,
      );
      // And no new batch appeared for those cards.
      const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM personalisation_batch`);
      expect(n).toBe(2);
    } finally {
      await restarted?.close();
      await t.close();
    }
  });
});
