import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppConfig } from '../src/config/app-config.js';
import { ImageProcessor, PRINT_SIZE, measurePixels } from '../src/photo/image-processor.js';
import {
  PHOTO_CHECKS,
  PHOTO_THRESHOLDS,
  THRESHOLD_NAMES,
  crop3545,
  resolvePhotoThresholds,
  runPhotoChecks,
} from '../src/photo/photo-checks.js';
import { evaluatePhoto } from '../src/photo/photo-pipeline.js';
import { photoThresholdsProvider } from '../src/photo/photo-thresholds.provider.js';
import {
  blurredJpeg,
  brightJpeg,
  busyBackgroundJpeg,
  colourCastJpeg,
  darkJpeg,
  garbage,
  goodJpeg,
  goodPng,
  greyscaleJpeg,
  landscapeJpeg,
  overexposedJpeg,
  pngBomb,
  rotatedJpeg,
  tinyJpeg,
  truncatedJpeg,
  webp,
} from './support/photo-fixtures.js';

const images = new ImageProcessor();

/** The verdict the PhotoCheck job gives (its image side, evaluatePhoto), without the database. */
async function verdict(
  input: Buffer,
  processor = images,
): Promise<{ reasons: string[]; measures: Record<string, unknown> }> {
  const e = await evaluatePhoto(processor, input, PHOTO_THRESHOLDS);
  if (e.reasons.length === 0) expect(e.images).not.toBeNull(); // accepted: both images written
  return e;
}

/** The corpus: each photo made by code, with the exact reason codes it must get. */
const CORPUS: [string, () => Promise<Buffer> | Buffer, string[]][] = [
  ['good JPEG', goodJpeg, []],
  ['good PNG', goodPng, []],
  ['rotated by EXIF (upright once turned)', rotatedJpeg, []],
  [
    'dark (dark everywhere: background and contrast too)',
    darkJpeg,
    ['PHOTO_TOO_DARK', 'PHOTO_LOW_CONTRAST', 'PHOTO_BACKGROUND_DARK'],
  ],
  [
    'washed out (bright, blown, flat)',
    brightJpeg,
    ['PHOTO_TOO_BRIGHT', 'PHOTO_HIGHLIGHTS_CLIPPED', 'PHOTO_LOW_CONTRAST'],
  ],
  ['over-exposed (blown highlights)', overexposedJpeg, ['PHOTO_HIGHLIGHTS_CLIPPED']],
  ['busy background', busyBackgroundJpeg, ['PHOTO_BACKGROUND_BUSY']],
  ['tinted background', colourCastJpeg, ['PHOTO_COLOUR_CAST']],
  ['blurred', blurredJpeg, ['PHOTO_BLURRED']],
  ['tiny', tinyJpeg, ['PHOTO_TOO_SMALL']],
  // Its centred crop is mostly face and hair, so the crop's background band is not plain either.
  ['landscape (35:45 crop would lose too much)', landscapeJpeg, ['PHOTO_CROP_IMPOSSIBLE', 'PHOTO_BACKGROUND_BUSY']],
  ['greyscale', greyscaleJpeg, ['PHOTO_GREYSCALE']],
  ['not an image', () => garbage(), ['PHOTO_UNREADABLE']],
  ['truncated JPEG', truncatedJpeg, ['PHOTO_TRUNCATED']],
  ['decompression bomb (PNG declaring 30000 × 30000)', () => pngBomb(), ['PHOTO_TOO_MANY_PIXELS']],
  ['WebP', webp, ['PHOTO_FORMAT']],
];

describe('photo checks: the corpus', () => {
  it.each(CORPUS.map(([name, make, expected]) => ({ name, make, expected })))(
    '$name → $expected',
    async ({ make, expected }) => {
      const { reasons } = await verdict(await make());
      expect(reasons).toEqual(expected);
    },
  );

  it('passes the good photo on every check with a margin, and stores each measure beside its threshold', async () => {
    const { reasons, measures } = await verdict(await goodJpeg());
    expect(reasons).toEqual([]);
    expect(Object.keys(measures)).toEqual(['format', ...PHOTO_CHECKS.map((c) => c.name), 'output']);
    expect(measures).toMatchObject({
      size: { width: 600, height: 800, minWidth: 413, minHeight: 531 },
      crop: { cropWidth: 600, cropHeight: 771, min: PHOTO_THRESHOLDS.cropMinKeptShare },
      sharpness: { min: PHOTO_THRESHOLDS.minSharpness },
      background: { min: PHOTO_THRESHOLDS.minBackgroundLuminance },
    });
    const m = measures as Record<string, Record<string, number>>;
    expect(m.sharpness.laplacianVariance).toBeGreaterThan(2 * PHOTO_THRESHOLDS.minSharpness);
    expect(m.backgroundUniformity.stdDev).toBeLessThan(PHOTO_THRESHOLDS.maxBackgroundStdDev / 2);
  });

  it('applies the EXIF orientation before measuring: the same pixels without it are refused', async () => {
    const rotated = await rotatedJpeg();
    expect((await sharp(rotated).metadata()).width).toBe(531);
    expect(await images.probe(rotated)).toMatchObject({ width: 413, height: 531 });
    const stripped = await sharp(rotated).jpeg().toBuffer(); // re-encoded without the orientation tag
    expect((await verdict(stripped)).reasons).toContain('PHOTO_TOO_SMALL'); // 531 wide, 413 high
  });

  it('refuses a bomb from the header, under the configured pixel limit', async () => {
    const small = new ImageProcessor(Object.assign(new AppConfig(), { photoMaxPixels: 1_000_000 }));
    expect((await verdict(await goodJpeg(), small)).reasons).toEqual([]); // 0.48 Mpx
    expect((await verdict(await landscapeJpeg(), small)).reasons).toContain('PHOTO_CROP_IMPOSSIBLE');
    expect((await verdict(pngBomb(1100, 1000), small)).reasons).toEqual(['PHOTO_TOO_MANY_PIXELS']);
  });

  it('measures the background on the top and side bands only (the shoulders are below)', () => {
    const w = 100,
      h = 100;
    const data = Buffer.alloc(w * h * 3, 230);
    for (let y = 70; y < h; y++) data.fill(20, y * w * 3, (y + 1) * w * 3); // dark shoulders at the bottom
    const m = measurePixels(data, w, h);
    expect(m.backgroundLuminance).toBeCloseTo(230, 0);
    expect(m.backgroundStdDev).toBeLessThan(0.5);
    expect(m.backgroundCast).toBe(0);
    expect(crop3545(600, 800)).toEqual({ width: 600, height: 771 });
    expect(crop3545(1000, 600)).toEqual({ width: 467, height: 600 });
  });
});

describe('photo thresholds', () => {
  it('takes overrides by name from PHOTO_THRESHOLDS and changes the verdict', async () => {
    expect(resolvePhotoThresholds(undefined)).toEqual(PHOTO_THRESHOLDS);
    const strict = resolvePhotoThresholds('{"minSharpness": 100000, "maxBackgroundCast": 2}');
    expect(strict).toMatchObject({ minSharpness: 100000, maxBackgroundCast: 2, minWidth: 413 });
    const { decoded: _d, ...a } = await images.analyse(await goodJpeg());
    expect(runPhotoChecks(a, strict).reasons).toEqual(['PHOTO_COLOUR_CAST', 'PHOTO_BLURRED']);
  });

  it('refuses an unknown name, a non-number, or anything but a JSON object, with a clear message', () => {
    expect(() => resolvePhotoThresholds('{"sharpnessMin": 40}')).toThrow(
      /PHOTO_THRESHOLDS: unknown threshold "sharpnessMin" \(known: minWidth, /,
    );
    expect(() => resolvePhotoThresholds('{"minSharpness": "40"}')).toThrow(
      'PHOTO_THRESHOLDS: "minSharpness" must be a number',
    );
    expect(() => resolvePhotoThresholds('[1]')).toThrow(/must be a JSON object/);
    expect(() => resolvePhotoThresholds('{minSharpness: 1')).toThrow(/not valid JSON/);
    expect(THRESHOLD_NAMES).toContain('minSharpness');
  });

  it('refuses to start on a bad setting (ConfigError from the provider)', () => {
    const factory = (photoThresholdsProvider as { useFactory: (c: AppConfig) => unknown }).useFactory;
    expect(() => factory(Object.assign(new AppConfig(), { photoThresholds: '{"nope": 1}' }))).toThrow(
      /Invalid configuration:[\s\S]*unknown threshold "nope"/,
    );
    expect(factory(Object.assign(new AppConfig(), { photoThresholds: '{"minContrast": 50}' }))).toMatchObject({
      minContrast: 50,
    });
  });
});

describe('photo normalisation', () => {
  let good: Buffer;
  beforeAll(async () => {
    good = await goodJpeg();
  });

  it('writes a 413 × 531 print image at 300 dpi with no other metadata, and a chip image with none', async () => {
    const n = await images.normalise(good);
    const print = await sharp(n.print).metadata();
    expect(print).toMatchObject({
      format: 'jpeg',
      width: PRINT_SIZE.width,
      height: PRINT_SIZE.height,
      density: 300,
      resolutionUnit: 'inch',
    });
    const chip = await sharp(n.chip).metadata();
    for (const m of [print, chip]) {
      expect(m.exif).toBeUndefined();
      expect(m.icc).toBeUndefined();
      expect(m.xmp).toBeUndefined();
      expect(m.iptc).toBeUndefined();
      expect(m.orientation).toBeUndefined();
    }
    expect(chip.width! / chip.height!).toBeCloseTo(35 / 45, 2);
  });

  it('strips the metadata of the original (EXIF orientation applied, not carried)', async () => {
    const n = await images.normalise(await rotatedJpeg());
    const m = await sharp(n.print).metadata();
    expect(m).toMatchObject({ width: 413, height: 531 });
    expect(m.exif).toBeUndefined();
  });

  it('crops around the centre: a mark in the middle of a landscape ends in the middle', async () => {
    const w = 1000,
      h = 600;
    const data = Buffer.alloc(w * h * 3, 230);
    for (let y = 280; y < 320; y++) for (let x = 480; x < 520; x++) data.fill(0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const n = await images.normalise({ data, width: w, height: h });
    const { data: out, info } = await sharp(n.print).greyscale().raw().toBuffer({ resolveWithObject: true });
    let sx = 0,
      sy = 0,
      k = 0;
    for (let y = 0; y < info.height; y++)
      for (let x = 0; x < info.width; x++)
        if (out[y * info.width + x] < 100) {
          sx += x;
          sy += y;
          k++;
        }
    expect(Math.abs(sx / k - info.width / 2)).toBeLessThan(3);
    expect(Math.abs(sy / k - info.height / 2)).toBeLessThan(3);
  });

  it('is deterministic from the original bytes or from the decoded pixels, and keeps the chip under the configured budget', async () => {
    const a = await images.normalise(good);
    const b = await images.normalise(await images.decode(good));
    expect(Buffer.compare(a.print, b.print)).toBe(0);
    expect(Buffer.compare(a.chip, b.chip)).toBe(0);
    const tight = new ImageProcessor(Object.assign(new AppConfig(), { photoChipMaxBytes: 4000 }));
    const t = await tight.normalise(good);
    expect(t.chip.length).toBeLessThanOrEqual(4000);
    expect(t.chipQuality).toBeLessThan(a.chipQuality);
    expect(Buffer.compare(t.chip, (await tight.normalise(good)).chip)).toBe(0);
  });
});
