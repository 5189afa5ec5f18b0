import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartnerKind } from '../src/partners/partner-kind.enum.js';
import { CHIP_MAX_BYTES, ImageProcessor, ImageUnreadableError, PRINT_SIZE } from '../src/photo/image-processor.js';
import { PhotoCheckService } from '../src/photo/photo-check.service.js';
import { PHOTO_THRESHOLDS, runPhotoChecks, type PhotoCheck } from '../src/photo/photo-checks.js';
import { PhotoStore } from '../src/photo/photo-store.js';
import { PhotoService } from '../src/photo/photo.service.js';
import { FixedWindowLimiter, UPLOAD_LINK_REQUESTS_PER_MINUTE } from '../src/photo/upload-link-rate.guard.js';
import {
  brightJpeg,
  darkJpeg,
  detailedJpeg,
  garbage,
  goodJpeg,
  goodPng,
  greyscaleJpeg,
  pngBomb,
  rotatedJpeg,
  tinyJpeg,
  truncatedJpeg,
  webp,
} from './support/photo-fixtures.js';
import {
  emissionCounts,
  fundKey,
  insured,
  openRequest,
  ORG_A,
  requestEvents,
  requestRow,
  tempDataDir,
  waitFor,
  waitForStatus,
  type CreatedRequest,
} from './support/request-fixtures.js';
import { bearer, startTestApp, type TestApp } from './support/test-app.js';

const images = new ImageProcessor();
/** A dark photo is dark everywhere: its background too, and its contrast is low. */
const DARK_REASONS = ['PHOTO_TOO_DARK', 'PHOTO_LOW_CONTRAST', 'PHOTO_BACKGROUND_DARK'];

async function analyse(input: Buffer) {
  const { decoded: _decoded, ...analysis } = await images.analyse(input);
  return runPhotoChecks(analysis);
}

describe('photo checks and normalisation (image processor, no app)', () => {
  let good: Buffer;
  beforeAll(async () => {
    good = await goodJpeg();
  });

  it('accepts the good colour photo and reports its measures beside the thresholds', async () => {
    expect(await images.probe(good)).toEqual({ format: 'jpeg', width: 600, height: 800 });
    const { reasons, measures } = await analyse(good);
    expect(reasons).toEqual([]);
    expect(measures).toMatchObject({
      format: 'jpeg',
      size: { width: 600, height: 800, minWidth: 413, minHeight: 531 },
      colour: { min: PHOTO_THRESHOLDS.minMeanChroma },
      luminance: { min: PHOTO_THRESHOLDS.minMeanLuminance, max: PHOTO_THRESHOLDS.maxMeanLuminance },
    });
    expect((await analyse(await goodPng())).reasons).toEqual([]);
  });

  it('gives each faulty photo its stable reason code', async () => {
    expect((await analyse(await tinyJpeg())).reasons).toEqual(['PHOTO_TOO_SMALL']);
    expect((await analyse(await greyscaleJpeg())).reasons).toEqual(['PHOTO_GREYSCALE']);
    expect((await analyse(await darkJpeg())).reasons).toEqual(DARK_REASONS);
    expect((await analyse(await brightJpeg())).reasons).toEqual([
      'PHOTO_TOO_BRIGHT',
      'PHOTO_HIGHLIGHTS_CLIPPED',
      'PHOTO_LOW_CONTRAST',
    ]);
    expect((await images.probe(await webp())).format).toBe('webp');
    await expect(images.probe(garbage())).rejects.toBeInstanceOf(ImageUnreadableError);
    // The header of a truncated JPEG reads; its pixels do not.
    await expect(images.decode(await truncatedJpeg())).rejects.toMatchObject({ kind: 'truncated' });
  });

  it('measures the size after EXIF rotation', async () => {
    const rotated = await rotatedJpeg();
    expect((await sharp(rotated).metadata()).width).toBe(531);
    expect(await images.probe(rotated)).toMatchObject({ width: 413, height: 531 });
    expect((await analyse(rotated)).reasons).not.toContain('PHOTO_TOO_SMALL');
  });

  it('runs a pluggable list of checks and reports every failure', () => {
    const always: PhotoCheck = { name: 'custom', run: () => ({ code: 'PHOTO_TOO_DARK' as never, measure: { x: 1 } }) };
    const fine = {
      format: 'jpeg',
      width: 600,
      height: 800,
      meanLuminance: 170,
      meanChroma: 30,
      clippedShare: 0,
      contrast: 180,
      backgroundLuminance: 230,
      backgroundStdDev: 2,
      backgroundCast: 5,
      sharpness: 900,
    };
    expect(runPhotoChecks(fine).reasons).toEqual([]);
    const r = runPhotoChecks({ ...fine, width: 100, height: 100, meanLuminance: 250, meanChroma: 0 });
    expect(r.reasons).toEqual(['PHOTO_TOO_SMALL', 'PHOTO_GREYSCALE', 'PHOTO_TOO_BRIGHT']);
    expect(runPhotoChecks({ ...fine, format: 'png' }, PHOTO_THRESHOLDS, [always])).toEqual({
      reasons: ['PHOTO_TOO_DARK'],
      measures: { format: 'png', custom: { x: 1 } },
    });
  });

  it('crops to 35:45, writes a 413 × 531 print image and a chip image under 15,000 bytes, without metadata, deterministically', async () => {
    const a = await images.normalise(await rotatedJpeg());
    expect(await sharp(a.print).metadata()).toMatchObject({
      format: 'jpeg',
      width: PRINT_SIZE.width,
      height: PRINT_SIZE.height,
    });
    const n1 = await images.normalise(good);
    const n2 = await images.normalise(good);
    expect(Buffer.compare(n1.print, n2.print)).toBe(0);
    expect(Buffer.compare(n1.chip, n2.chip)).toBe(0);
    expect(n1.chip.length).toBeLessThanOrEqual(CHIP_MAX_BYTES);
    for (const out of [n1.print, n1.chip]) {
      const m = await sharp(out).metadata();
      expect(m.format).toBe('jpeg');
      expect(m.exif).toBeUndefined();
      expect(m.icc).toBeUndefined();
      expect(m.xmp).toBeUndefined();
      expect(Math.abs(m.width / m.height - 35 / 45)).toBeLessThan(0.01);
    }
    expect(await sharp(n1.chip).metadata()).toMatchObject({ width: n1.chipWidth, height: n1.chipHeight });
    // A photo full of detail does not fit at the first quality: the chip image steps down until it does.
    const detailed = await images.normalise(await detailedJpeg());
    expect(detailed.chipQuality).toBeLessThan(n1.chipQuality);
    expect(detailed.chip.length).toBeLessThanOrEqual(CHIP_MAX_BYTES);
    expect(Buffer.compare(detailed.chip, (await images.normalise(await detailedJpeg())).chip)).toBe(0);
  });

  it('limits uploads per address in fixed one-minute windows', () => {
    let now = 120_000;
    const limiter = new FixedWindowLimiter(3, () => now);
    expect([1, 2, 3].map(() => limiter.take('a'))).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(60);
    expect(limiter.take('b')).toBe(0);
    now += 45_000;
    expect(limiter.take('a')).toBe(15);
    now += 15_000;
    expect(limiter.take('a')).toBe(0);
  });
});

describe('photo intake (steps 2-3)', () => {
  let t: TestApp;
  let dataDir: string;
  let fund: string;
  let centre: string;
  let good: Buffer;

  beforeAll(async () => {
    dataDir = tempDataDir();
    // The test client stands for the insured's proxy: X-Forwarded-For is believed from it only.
    t = await startTestApp({ dataDir, photoMaxBytes: 300_000, trustedProxies: 'loopback' });
    fund = await fundKey(t, ORG_A);
    centre = (await t.partner(PartnerKind.DigitisationCentre)).key;
    good = await goodJpeg();
  });
  afterAll(async () => {
    await t?.close();
  });

  const newRequest = async (body: Record<string, unknown> = {}): Promise<CreatedRequest> =>
    openRequest(t, fund, (await insured(t)).id, body);
  const fromCentre = (formNumber: string, file: Buffer, name = 'scan.jpg') =>
    t.http().post('/v1/photos').set(bearer(centre)).field('formNumber', formNumber).attach('file', file, name);
  const online = (link: string, file: Buffer, ip = '198.51.100.1') =>
    t.http().post(link).set('X-Forwarded-For', ip).attach('file', file, 'me.jpg');
  const types = async (id: string) => (await requestEvents(t.dataSource, id)).map((e) => e.type);
  const files = (dir: string) =>
    existsSync(path.join(dataDir, 'photos', dir)) ? readdirSync(path.join(dataDir, 'photos', dir)).sort() : [];

  it('takes a photo from the digitisation centre, checks it in the background and makes the request photo_available', async () => {
    const r = await newRequest();
    const res = await fromCentre(r.formNumber, good).expect(202);
    expect(res.body).toEqual({ photoId: expect.any(String), status: 'pending' });
    const photoId = res.body.photoId;
    expect(files('originals')).toContain(photoId);

    await waitForStatus(t, r.id, 'photo_available');
    const view = (await t.http().get(`/v1/card-requests/${r.id}`).set(bearer(fund)).expect(200)).body;
    expect(view.status).toBe('photo_available');
    expect(view.acceptedPhotoId).toBe(photoId);
    expect(view.photo).toMatchObject({ id: photoId, status: 'accepted', source: 'digitisation_centre', reasons: [] });
    expect(view.steps.map((s: { status: string }) => s.status)).toEqual([
      'form_sent',
      'photo_received',
      'photo_available',
    ]);
    // The online link is no longer needed once a photo is accepted.
    expect(view.uploadLinkExpiresAt).toBeNull();

    const events = await requestEvents(t.dataSource, r.id);
    expect(events.map((e) => e.type)).toEqual([
      'request.form_sent',
      'request.photo_received',
      'request.photo_available',
    ]);
    expect(events[1].data).toEqual({
      requestId: r.id,
      formNumber: r.formNumber,
      photoId,
      source: 'digitisation_centre',
    });
    expect(events[2].data).toEqual({ requestId: r.id, formNumber: r.formNumber, photoId });

    const [photo] = await t.dataSource.query(`SELECT * FROM photo WHERE id = $1`, [photoId]);
    expect(photo).toMatchObject({
      status: 'accepted',
      width: 600,
      height: 800,
      print_key: `print/${photoId}`,
      chip_key: `chip/${photoId}`,
      byte_size: good.length,
    });
    expect(photo.measures.luminance.meanLuminance).toBeGreaterThan(PHOTO_THRESHOLDS.minMeanLuminance);
    expect(photo.checked_at).not.toBeNull();

    const chip = await t.app.get(PhotoService).chipImage(photoId);
    expect(chip.length).toBeLessThanOrEqual(15_000);
    expect((await sharp(chip).metadata()).format).toBe('jpeg');
    expect(Buffer.compare(chip, await t.app.get(PhotoStore).get(`chip/${photoId}`))).toBe(0);
    expect(await sharp(await t.app.get(PhotoService).printImage(photoId)).metadata()).toMatchObject({
      width: 413,
      height: 531,
    });

    // A retried job on a checked photo changes nothing.
    const before = await emissionCounts(t);
    expect(await t.app.get(PhotoCheckService).check(photoId)).toBe('skipped');
    expect(await emissionCounts(t)).toEqual(before);
  });

  it('gives the same chip bytes for the same photo', async () => {
    const a = await newRequest();
    const b = await newRequest();
    const pa = (await fromCentre(a.formNumber, good).expect(202)).body.photoId;
    const pb = (await fromCentre(b.formNumber, good).expect(202)).body.photoId;
    await waitForStatus(t, a.id, 'photo_available');
    await waitForStatus(t, b.id, 'photo_available');
    const photos = t.app.get(PhotoService);
    expect(Buffer.compare(await photos.chipImage(pa), await photos.chipImage(pb))).toBe(0);
  });

  it('rejects a faulty photo with its reasons, then accepts a good one for the same request', async () => {
    const r = await newRequest();
    const first = (await fromCentre(r.formNumber, await darkJpeg()).expect(202)).body.photoId;
    await waitForStatus(t, r.id, 'photo_rejected');
    const view = (await t.http().get(`/v1/card-requests/${r.id}`).set(bearer(fund)).expect(200)).body;
    expect(view.photo).toMatchObject({ id: first, status: 'rejected', reasons: DARK_REASONS });
    expect(view.acceptedPhotoId).toBeNull();
    const rejected = (await requestEvents(t.dataSource, r.id)).at(-1)!;
    expect(rejected).toMatchObject({
      type: 'request.photo_rejected',
      data: { requestId: r.id, formNumber: r.formNumber, photoId: first, reasons: DARK_REASONS },
    });
    expect(files('print')).not.toContain(first);
    await expect(t.app.get(PhotoService).chipImage(first)).rejects.toMatchObject({ code: 'PHOTO_NOT_ACCEPTED' });

    const second = (await fromCentre(r.formNumber, good).expect(202)).body.photoId;
    await waitForStatus(t, r.id, 'photo_available');
    expect((await requestRow(t.dataSource, r.id)).photo_id).toBe(second);
    expect(await types(r.id)).toEqual([
      'request.form_sent',
      'request.photo_received',
      'request.photo_rejected',
      'request.photo_received',
      'request.photo_available',
    ]);
    const steps = (await t.http().get(`/v1/card-requests/${r.id}`).set(bearer(fund)).expect(200)).body.steps.map(
      (s: { status: string }) => s.status,
    );
    expect(steps).toEqual(['form_sent', 'photo_received', 'photo_rejected', 'photo_received', 'photo_available']);
  });

  it('refuses garbage (PHOTO_UNREADABLE), a truncated file, a decompression bomb, an unsupported format (PHOTO_FORMAT), a small and a greyscale photo', async () => {
    const cases: [Buffer, string[]][] = [
      [garbage(), ['PHOTO_UNREADABLE']],
      [await truncatedJpeg(), ['PHOTO_TRUNCATED']],
      [pngBomb(), ['PHOTO_TOO_MANY_PIXELS']],
      [await webp(), ['PHOTO_FORMAT']],
      [await tinyJpeg(), ['PHOTO_TOO_SMALL']],
      [await greyscaleJpeg(), ['PHOTO_GREYSCALE']],
    ];
    const sent = [];
    for (const [file, reasons] of cases) {
      const r = await newRequest();
      await fromCentre(r.formNumber, file).expect(202);
      sent.push({ r, reasons });
    }
    for (const { r, reasons } of sent) {
      await waitForStatus(t, r.id, 'photo_rejected');
      const [photo] = await t.dataSource.query(`SELECT reasons FROM photo WHERE request_id = $1`, [r.id]);
      expect(photo.reasons).toEqual(reasons);
      expect((await requestEvents(t.dataSource, r.id)).at(-1)!.data.reasons).toEqual(reasons);
    }
  });

  it('orders automatically: an accepted photo of an autoOrder request enqueues the auto-order job in the same transaction', async () => {
    const r = await newRequest({ autoOrder: true });
    const manual = await newRequest();
    const auto = (await fromCentre(r.formNumber, good).expect(202)).body.photoId;
    await fromCentre(manual.formNumber, good).expect(202);
    // The auto-order handler (step 4) may move the request on at once: wait for the event, not for a status.
    await waitFor(async () =>
      (await requestEvents(t.dataSource, r.id)).some((e) => e.type === 'request.photo_available'),
    );
    await waitForStatus(t, manual.id, 'photo_available');
    expect((await requestRow(t.dataSource, r.id)).photo_id).toBe(auto);
    const jobs = await t.dataSource.query(
      `SELECT data FROM pgboss.job WHERE name = 'emission.auto-order' AND data->>'requestId' = ANY($1)`,
      [[r.id, manual.id]],
    );
    expect(jobs.map((j: { data: { requestId: string } }) => j.data.requestId)).toEqual([r.id]);
  });

  it('refuses bad uploads from the centre with stable codes and writes nothing', async () => {
    const r = await newRequest();
    const wrongDigit = r.formNumber.slice(0, 7) + String((Number(r.formNumber[7]) + 1) % 10);
    const before = await emissionCounts(t);
    const originals = files('originals');

    const invalid = await fromCentre(wrongDigit, good).expect(422);
    expect(invalid.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(invalid.body.code).toBe('FORM_NUMBER_INVALID');
    expect((await fromCentre('1234', good).expect(422)).body.code).toBe('FORM_NUMBER_INVALID');
    // A well-formed number no request has.
    expect((await fromCentre('99999997', good).expect(404)).body.code).toBe('FORM_NOT_FOUND');
    const missing = await t.http().post('/v1/photos').set(bearer(centre)).field('formNumber', r.formNumber).expect(400);
    expect(missing.body.code).toBe('PHOTO_FILE_MISSING');
    // A field it does not take is counted, never named (the name is the caller's input).
    const extra = await t
      .http()
      .post('/v1/photos')
      .set(bearer(centre))
      .field('formNumber', r.formNumber)
      .field('CANARYfield', '1')
      .attach('file', good, 'a.jpg')
      .expect(400);
    expect(extra.body).toMatchObject({ code: 'UPLOAD_FIELD_UNKNOWN', unknownFields: 1 });
    expect(extra.text).not.toContain('CANARY');
    const noNumber = await t.http().post('/v1/photos').set(bearer(centre)).attach('file', good, 'a.jpg').expect(400);
    expect(noNumber.body.code).toBe('FORM_NUMBER_MISSING');
    const json = await t.http().post('/v1/photos').set(bearer(centre)).send({ formNumber: r.formNumber }).expect(415);
    expect(json.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', accepted: ['multipart/form-data'] });
    const big = await fromCentre(r.formNumber, garbage(400_000), 'big.jpg').expect(413);
    expect(big.body.code).toBe('PHOTO_TOO_LARGE');
    const twoFiles = await t
      .http()
      .post('/v1/photos')
      .set(bearer(centre))
      .field('formNumber', r.formNumber)
      .attach('file', good, 'a.jpg')
      .attach('other', good, 'b.jpg');
    expect(twoFiles.status).toBe(400);
    expect(
      (
        await t
          .http()
          .post('/v1/photos')
          .set(bearer(fund))
          .field('formNumber', r.formNumber)
          .attach('file', good, 'a.jpg')
          .expect(403)
      ).body.code,
    ).toBe('PARTNER_KIND_FORBIDDEN');
    await t.http().post('/v1/photos').field('formNumber', r.formNumber).attach('file', good, 'a.jpg').expect(401);

    expect(await emissionCounts(t)).toEqual(before);
    expect(files('originals')).toEqual(originals);
    expect((await requestRow(t.dataSource, r.id)).status).toBe('form_sent');
  });

  it('takes no second photo while one is being checked or after acceptance (409), and none for a cancelled request', async () => {
    const held = await startTestApp({ workersEnabled: false, dataDir: tempDataDir() });
    try {
      const key = await fundKey(held);
      const centreKey = (await held.partner(PartnerKind.DigitisationCentre)).key;
      const r = await openRequest(held, key, (await insured(held)).id);
      const send = () =>
        held
          .http()
          .post('/v1/photos')
          .set(bearer(centreKey))
          .field('formNumber', r.formNumber)
          .attach('file', good, 'a.jpg');
      const photoId = (await send().expect(202)).body.photoId;
      const busy = await send().expect(409);
      expect(busy.body).toMatchObject({
        code: 'REQUEST_NOT_AWAITING_PHOTO',
        requestStatus: 'photo_received',
        status: 409,
      });
      // Cancelled while the photo waits for its check: the verdict is recorded on the photo, the request stays cancelled.
      await held.http().post(`/v1/card-requests/${r.id}/cancel`).set(bearer(key)).expect(200);
      expect(await held.app.get(PhotoCheckService).check(photoId)).toBe('accepted');
      expect((await requestRow(held.dataSource, r.id)).status).toBe('cancelled');
      expect((await requestEvents(held.dataSource, r.id)).map((e) => e.type)).toEqual([
        'request.form_sent',
        'request.photo_received',
        'request.cancelled',
      ]);
      expect((await send().expect(409)).body.requestStatus).toBe('cancelled');
    } finally {
      await held.close();
    }
  });

  describe('online upload link', () => {
    it('takes one photo without an API key, then refuses the used link like an unknown one', async () => {
      const r = await newRequest();
      const res = await online(r.photoUploadLink, good).expect(202);
      expect(res.body.status).toBe('pending');
      const [photo] = await t.dataSource.query(`SELECT source, request_id FROM photo WHERE id = $1`, [
        res.body.photoId,
      ]);
      expect(photo).toEqual({ source: 'online', request_id: r.id });
      expect((await requestRow(t.dataSource, r.id)).upload_token_hash).toBeNull();
      await waitForStatus(t, r.id, 'photo_available');
      expect((await requestEvents(t.dataSource, r.id))[1].data.source).toBe('online');

      const before = await emissionCounts(t);
      const used = await online(r.photoUploadLink, good).expect(404);
      const unknown = await online(`/v1/photo-uploads/${'A'.repeat(43)}`, good).expect(404);
      const malformed = await online('/v1/photo-uploads/short', good).expect(404);
      for (const x of [used, unknown, malformed]) {
        expect(x.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(x.body.code).toBe('UPLOAD_LINK_INVALID');
        expect(x.body.detail).toBe(used.body.detail);
      }
      expect(await emissionCounts(t)).toEqual(before);
    });

    it('refuses an expired link, keeps a link whose upload was refused, and replaces a renewed one', async () => {
      const expired = await newRequest();
      await t.dataSource.query(
        `UPDATE card_request SET upload_token_expires_at = now() - interval '1 second' WHERE id = $1`,
        [expired.id],
      );
      expect((await online(expired.photoUploadLink, good).expect(404)).body.code).toBe('UPLOAD_LINK_INVALID');

      const r = await newRequest();
      // Too large: refused before anything is written, so the link still works.
      expect((await online(r.photoUploadLink, garbage(400_000)).expect(413)).body.code).toBe('PHOTO_TOO_LARGE');
      const renewed = (await t.http().post(`/v1/card-requests/${r.id}/upload-link`).set(bearer(fund)).expect(201)).body
        .photoUploadLink;
      expect((await online(r.photoUploadLink, good).expect(404)).body.code).toBe('UPLOAD_LINK_INVALID');
      await online(renewed, await darkJpeg()).expect(202);
      await waitForStatus(t, r.id, 'photo_rejected');
      // After a refusal the fund sends a new link (the used one is gone).
      expect((await online(renewed, good).expect(404)).body.code).toBe('UPLOAD_LINK_INVALID');
      const again = (await t.http().post(`/v1/card-requests/${r.id}/upload-link`).set(bearer(fund)).expect(201)).body
        .photoUploadLink;
      await online(again, good).expect(202);
      await waitForStatus(t, r.id, 'photo_available');
    });

    it('refuses an upload while the request is not waiting for a photo, and gives the link back', async () => {
      const r = await newRequest();
      await fromCentre(r.formNumber, good).expect(202);
      await waitForStatus(t, r.id, 'photo_available');
      // photo_available clears the link: it is now simply invalid.
      expect((await online(r.photoUploadLink, good).expect(404)).body.code).toBe('UPLOAD_LINK_INVALID');

      const held = await newRequest();
      await t.dataSource.query(`UPDATE card_request SET status = 'photo_received' WHERE id = $1`, [held.id]);
      const busy = await online(held.photoUploadLink, good).expect(409);
      expect(busy.body.code).toBe('REQUEST_NOT_AWAITING_PHOTO');
      expect((await requestRow(t.dataSource, held.id)).upload_token_hash).not.toBeNull();
    });

    it('limits uploads per client address (429 with Retry-After), not per link', async () => {
      const link = `/v1/photo-uploads/${'B'.repeat(43)}`;
      // The windows are calendar minutes: start well inside one so all the calls fall in the same window.
      const into = Date.now() % 60_000;
      if (into > 50_000) await new Promise((r) => setTimeout(r, 60_000 - into + 200));
      const statuses: number[] = [];
      let last;
      for (let i = 0; i <= UPLOAD_LINK_REQUESTS_PER_MINUTE; i++) {
        last = await online(link, Buffer.from('x'), '203.0.113.77');
        statuses.push(last.status);
      }
      expect(statuses.slice(0, UPLOAD_LINK_REQUESTS_PER_MINUTE).every((s) => s === 404)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
      expect(last!.body.code).toBe('RATE_LIMITED');
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
      await online(link, Buffer.from('x'), '203.0.113.78').expect(404);
    });
  });
});
