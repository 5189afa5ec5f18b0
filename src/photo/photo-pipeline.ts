import {
  type ImageProcessor,
  ImageUnreadableError,
  type NormalisedPhoto,
  type UnreadableKind,
} from './image-processor.js';
import { ACCEPTED_FORMATS, runPhotoChecks, type PhotoThresholds } from './photo-checks.js';
import { PhotoReason } from './photo-reason.enum.js';

/** The verdict on one original, before anything is stored. */
export interface PhotoEvaluation {
  reasons: PhotoReason[];
  measures: Record<string, unknown>;
  width: number | null;
  height: number | null;
  images: NormalisedPhoto | null;
}

const UNREADABLE_REASON: Record<UnreadableKind, PhotoReason> = {
  unreadable: PhotoReason.Unreadable,
  truncated: PhotoReason.Truncated,
  too_many_pixels: PhotoReason.TooManyPixels,
};

/**
 * The whole image side of the PhotoCheck job, with no database and no store (so the benchmark runs exactly this):
 * header (format gate, decompression-bomb limit), one strict decode (EXIF orientation applied first), every pixel
 * check on it, and, when all pass, the print and chip images from the same decoded pixels. An undecodable image
 * stops with its code (PHOTO_UNREADABLE, PHOTO_TRUNCATED, PHOTO_TOO_MANY_PIXELS).
 */
export async function evaluatePhoto(
  images: ImageProcessor,
  original: Buffer,
  thresholds: PhotoThresholds,
): Promise<PhotoEvaluation> {
  const refuse = (
    reason: PhotoReason,
    measures: Record<string, unknown>,
    width: number | null = null,
    height: number | null = null,
  ): PhotoEvaluation => ({ reasons: [reason], measures, width, height, images: null });
  try {
    const probe = await images.probe(original);
    if (!ACCEPTED_FORMATS.includes(probe.format)) {
      return refuse(
        PhotoReason.Format,
        { format: probe.format, accepted: ACCEPTED_FORMATS },
        probe.width,
        probe.height,
      );
    }
    const decoded = await images.decode(original);
    const pixels = images.measure(decoded);
    const { reasons, measures } = runPhotoChecks({ ...probe, ...pixels }, thresholds);
    if (reasons.length) return { reasons, measures, width: probe.width, height: probe.height, images: null };
    const out = await images.normalise(decoded);
    measures.output = {
      print: { bytes: out.print.length },
      chip: {
        bytes: out.chip.length,
        width: out.chipWidth,
        height: out.chipHeight,
        quality: out.chipQuality,
        maxBytes: images.chipBudget,
      },
    };
    return { reasons: [], measures, width: probe.width, height: probe.height, images: out };
  } catch (err) {
    if (err instanceof ImageUnreadableError) {
      return refuse(UNREADABLE_REASON[err.kind], {
        decoded: false,
        ...(err.kind === 'too_many_pixels' ? { maxPixels: images.pixelLimit } : {}),
      });
    }
    throw err;
  }
}
