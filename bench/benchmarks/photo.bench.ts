import sharp from 'sharp';
import { ImageProcessor, PRINT_JPEG, PRINT_SIZE } from '../../src/photo/image-processor.js';
import { PHOTO_THRESHOLDS } from '../../src/photo/photo-checks.js';
import { evaluatePhoto } from '../../src/photo/photo-pipeline.js';
import { portrait } from '../../src/synthetic/portrait.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

const SCAN = { width: 1200, height: 1600 } as const;
const CHIP = { width: 280, height: 360 } as const;

/** Distinct synthetic scans (different noise), cycled to make the run: generating 1200 × 1600 pixels in JS is slow. */
async function scans(distinct: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let seed = 1; seed <= distinct; seed++) {
    const img = portrait(SCAN.width, SCAN.height, { seed });
    out.push(
      await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
  }
  return out;
}

/** Runs `work` on every input with `inFlight` at a time; seconds taken. */
async function timed(inputs: Buffer[], inFlight: number, work: (b: Buffer) => Promise<void>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < inputs.length) await work(inputs[next++]);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Scans per slice: the two ways alternate slice by slice, so both see the same load on a shared machine. */
const SLICE = 20;

/**
 * The photo pipeline of the PhotoCheck job (evaluatePhoto: header, decode, every check, crop, print and chip
 * encodes; no database, no store) beside raw sharp doing only decode + centred crop + resize + the two encodes,
 * on the same synthetic 1200 × 1600 JPEG scans, the same number in flight, alternating slice by slice.
 */
export const photoBench: Benchmark = {
  name: 'photo',
  description: 'photos/s through the whole check + normalisation pipeline vs raw sharp decode + crop + resize + encode',
  options: {
    photos: 'scans processed each way per round (default 200)',
    'in-flight': 'photos processed at once, both ways (default 4: the PhotoCheck batch size)',
    'vips-threads': "libvips threads per image, sharp.concurrency (default: sharp's, one per core, as in the product)",
  },
  async run(ctx: BenchContext) {
    const photos = positiveIntOption(ctx, 'photos', 200);
    const inFlight = positiveIntOption(ctx, 'in-flight', 4);
    const vipsThreads = positiveIntOption(ctx, 'vips-threads', sharp.concurrency());
    const cache = sharp.cache();
    const concurrency = sharp.concurrency();
    // No result cache: every photo the job sees is new, and a cached decode would flatter both ways.
    sharp.cache(false);
    sharp.concurrency(vipsThreads);
    try {
      ctx.log(`photo: making ${Math.min(photos, 10)} distinct ${SCAN.width}×${SCAN.height} scans`);
      const distinct = await scans(Math.min(photos, 10));
      const inputs = Array.from({ length: photos }, (_, i) => distinct[i % distinct.length]);
      const images = new ImageProcessor();

      let accepted = 0;
      const pipeline = async (b: Buffer) => {
        const e = await evaluatePhoto(images, b, PHOTO_THRESHOLDS);
        if (e.reasons.length || !e.images)
          throw new Error(`a good synthetic scan was refused: ${e.reasons.join(', ')}`);
        accepted++;
      };
      const baseline = async (b: Buffer) => {
        const { data, info } = await sharp(b)
          .resize(PRINT_SIZE.width, PRINT_SIZE.height, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
        await sharp(data, raw).jpeg(PRINT_JPEG).toBuffer();
        await sharp(data, raw)
          .resize(CHIP.width, CHIP.height, { fit: 'fill', kernel: 'lanczos3' })
          .jpeg({ quality: 80, mozjpeg: true })
          .toBuffer();
      };
      const warm = distinct.slice(0, 4);
      await timed(warm, inFlight, pipeline);
      await timed(warm, inFlight, baseline);

      ctx.log(
        `photo: ${photos} scans each way, alternating by ${SLICE}, ${inFlight} in flight, ${vipsThreads} libvips thread(s) each`,
      );
      let seconds = 0;
      let baselineSeconds = 0;
      for (let i = 0; i < photos; i += SLICE) {
        const slice = inputs.slice(i, i + SLICE);
        seconds += await timed(slice, inFlight, pipeline);
        baselineSeconds += await timed(slice, inFlight, baseline);
      }
      if (accepted !== photos + warm.length) throw new Error(`the pipeline accepted ${accepted} scans`);
      const perS = photos / seconds;
      const baselinePerS = photos / baselineSeconds;
      return {
        photos,
        in_flight: inFlight,
        vips_threads: vipsThreads,
        photos_per_s: Math.round(perS * 10) / 10,
        baseline_photos_per_s: Math.round(baselinePerS * 10) / 10,
        ratio: Math.round((perS / baselinePerS) * 100) / 100,
      };
    } finally {
      sharp.cache({ memory: cache.memory.max, files: cache.files.max, items: cache.items.max });
      sharp.concurrency(concurrency);
    }
  },
};
