import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CardState } from '../src/cards/card-state.enum.js';
import { RequestStatus } from '../src/emission/requests/request-status.enum.js';
import { JobName } from '../src/platform/jobs/job-catalogue.js';
import { PhotoRetentionJobs } from '../src/photo/photo-retention.jobs.js';
import { JobScheduler } from '../src/platform/jobs/job-scheduler.service.js';
import { PhotoStore } from '../src/photo/photo-store.js';
import { PhotoService } from '../src/photo/photo.service.js';
import { cardIn } from './support/card-fixtures.js';
import { requestReadyToOrder, tempDataDir } from './support/order-fixtures.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ORIGINAL = Buffer.from('original scan bytes');

describe('photo retention (PhotoPurgeOriginals)', () => {
  let t: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    t = await startTestApp(
      { dataDir: tempDataDir(), photoOriginalRetentionDays: 30, workersEnabled: true },
      { logStream: sink },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A request with an accepted photo (print, chip and original files), its card shipped `shippedDaysAgo` ago (null: not shipped). */
  async function photoOfCard(
    shippedDaysAgo: number | null,
    opts: { rejectedToo?: boolean; pendingToo?: boolean } = {},
  ) {
    const ds = t.dataSource;
    const store = t.app.get(PhotoStore);
    const r = await requestReadyToOrder(t, { status: RequestStatus.PhotoAvailable });
    const card = await cardIn(ds, shippedDaysAgo === null ? CardState.Ordered : CardState.Active, {
      beneficiaryId: r.beneficiary.id,
    });
    if (shippedDaysAgo !== null)
      await ds.query(`UPDATE card SET shipped_at = now() - make_interval(days => $2) WHERE id = $1`, [
        card.id,
        shippedDaysAgo,
      ]);
    await ds.query(`UPDATE card_request SET card_id = $2 WHERE id = $1`, [r.requestId, card.id]);
    const [{ original_key: originalKey }] = await ds.query(`SELECT original_key FROM photo WHERE id = $1`, [r.photoId]);
    await store.put(originalKey, ORIGINAL);
    const others: { id: string; key: string; status: string }[] = [];
    for (const status of [...(opts.rejectedToo ? ['rejected'] : []), ...(opts.pendingToo ? ['pending'] : [])]) {
      const id = randomUUID();
      const key = `originals/${id}`;
      await store.put(key, ORIGINAL);
      await ds.query(
        `INSERT INTO photo (id, request_id, source, status, original_key, sha256, byte_size) VALUES ($1, $2, 'digitisation_centre', $3, $4, $5, $6)`,
        [id, r.requestId, status, key, 'a'.repeat(64), ORIGINAL.length],
      );
      others.push({ id, key, status });
    }
    return { photoId: r.photoId!, originalKey, others };
  }

  const originalExists = async (key: string) =>
    t.app
      .get(PhotoStore)
      .get(key)
      .then(
        () => true,
        () => false,
      );
  const deletedAt = async (id: string) =>
    (await t.dataSource.query(`SELECT original_deleted_at FROM photo WHERE id = $1`, [id]))[0].original_deleted_at;

  it('deletes the originals of photos whose card shipped more than the retention ago, and keeps the normalised images', async () => {
    const old = await photoOfCard(31, { rejectedToo: true, pendingToo: true });
    const recent = await photoOfCard(29);
    const unshipped = await photoOfCard(null);

    const purge = t.app.get(PhotoRetentionJobs);
    expect(await purge.purgeOriginals()).toBe(2); // the accepted and the rejected photo of the old card

    expect(await originalExists(old.originalKey)).toBe(false);
    expect(await deletedAt(old.photoId)).toBeInstanceOf(Date);
    const [rejected, pending] = old.others;
    expect(await originalExists(rejected.key)).toBe(false);
    expect(await deletedAt(rejected.id)).toBeInstanceOf(Date);
    expect(await originalExists(pending.key)).toBe(true); // never a photo still being checked
    expect(await deletedAt(pending.id)).toBeNull();
    for (const kept of [recent, unshipped]) {
      expect(await originalExists(kept.originalKey)).toBe(true);
      expect(await deletedAt(kept.photoId)).toBeNull();
    }
    // The print and chip images stay as long as the card lives.
    const photos = t.app.get(PhotoService);
    expect((await photos.chipImage(old.photoId)).length).toBeGreaterThan(0);
    expect((await photos.printImage(old.photoId)).length).toBeGreaterThan(0);

    // Idempotent: a second run finds nothing.
    expect(await purge.purgeOriginals()).toBe(0);
    // The log says how many, never which photo.
    const log = lines.join('');
    expect(log).toContain('photo originals purged');
    for (const id of [old.photoId, rejected.id]) expect(log).not.toContain(id);
    expect(log).not.toContain(ORIGINAL.toString());
  });

  it('runs through the job, enqueued once a day by the cron', async () => {
    const old = await photoOfCard(45);
    const count = async () =>
      (
        await t.dataSource.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1`, [
          JobName.PhotoPurgeOriginals,
        ])
      )[0].n;
    const scheduler = t.app.get(JobScheduler);
    const before = await count();
    await scheduler.tick(JobName.PhotoPurgeOriginals);
    await scheduler.tick(JobName.PhotoPurgeOriginals); // singleton: once a day
    expect(await count()).toBe(before + 1);
    const until = Date.now() + 30_000;
    while (await originalExists(old.originalKey)) {
      if (Date.now() > until) throw new Error('the purge job did not run');
      await new Promise((r) => setTimeout(r, 200));
    }
    const until2 = Date.now() + 10_000;
    while (!(await deletedAt(old.photoId))) {
      if (Date.now() > until2) throw new Error('the purge job did not mark the photo');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
