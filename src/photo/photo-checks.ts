import { PhotoReason } from './photo-reason.enum.js';

/**
 * The photo rules, as data and pure functions so they are read, tuned and unit-tested in one place. Each check
 * looks at the measured image and returns a reason code when it fails, and its measure beside its threshold
 * (stored on the photo). New checks (face position, background, sharpness...) are added to PHOTO_CHECKS.
 */
export const PHOTO_THRESHOLDS = {
  /** 35 × 45 mm at 300 dpi. */
  minWidth: 413,
  minHeight: 531,
  /** Mean of max(R,G,B) − min(R,G,B) over the image (0–255): under this the photo is taken as black and white. */
  minMeanChroma: 6,
  /** Mean luma (Rec. 601, 0–255) bounds. */
  minMeanLuminance: 70,
  maxMeanLuminance: 235,
} as const;

/** Formats taken from the digitisation centre and the online channel (sharp's names). */
export const ACCEPTED_FORMATS: readonly string[] = ['jpeg', 'png', 'tiff'];

/** What the image processor measured (width and height after EXIF orientation). */
export interface ImageAnalysis {
  format: string;
  width: number;
  height: number;
  meanLuminance: number;
  meanChroma: number;
}

export interface CheckResult {
  code?: PhotoReason;
  measure: Record<string, unknown>;
}

export interface PhotoCheck {
  name: string;
  run(a: ImageAnalysis): CheckResult;
}

const round = (v: number) => Math.round(v * 100) / 100;

export const sizeCheck: PhotoCheck = {
  name: 'size',
  run: (a) => ({
    code: a.width < PHOTO_THRESHOLDS.minWidth || a.height < PHOTO_THRESHOLDS.minHeight ? PhotoReason.TooSmall : undefined,
    measure: { width: a.width, height: a.height, minWidth: PHOTO_THRESHOLDS.minWidth, minHeight: PHOTO_THRESHOLDS.minHeight },
  }),
};

export const colourCheck: PhotoCheck = {
  name: 'colour',
  run: (a) => ({
    code: a.meanChroma < PHOTO_THRESHOLDS.minMeanChroma ? PhotoReason.Greyscale : undefined,
    measure: { meanChroma: round(a.meanChroma), min: PHOTO_THRESHOLDS.minMeanChroma },
  }),
};

export const luminanceCheck: PhotoCheck = {
  name: 'luminance',
  run: (a) => ({
    code: a.meanLuminance < PHOTO_THRESHOLDS.minMeanLuminance ? PhotoReason.TooDark
      : a.meanLuminance > PHOTO_THRESHOLDS.maxMeanLuminance ? PhotoReason.TooBright : undefined,
    measure: { meanLuminance: round(a.meanLuminance), min: PHOTO_THRESHOLDS.minMeanLuminance, max: PHOTO_THRESHOLDS.maxMeanLuminance },
  }),
};

export const PHOTO_CHECKS: readonly PhotoCheck[] = [sizeCheck, colourCheck, luminanceCheck];

/** Runs every check (all failures are reported, so the insured fixes everything at once). */
export function runPhotoChecks(a: ImageAnalysis, checks: readonly PhotoCheck[] = PHOTO_CHECKS): { reasons: PhotoReason[]; measures: Record<string, unknown> } {
  const reasons: PhotoReason[] = [];
  const measures: Record<string, unknown> = { format: a.format };
  for (const check of checks) {
    const r = check.run(a);
    measures[check.name] = r.measure;
    if (r.code) reasons.push(r.code);
  }
  return { reasons, measures };
}
