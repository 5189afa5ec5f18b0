import { PhotoReason } from './photo-reason.enum.js';

/**
 * The photo rules, as data and pure functions so they are read, tuned and unit-tested in one place. Each check
 * looks at the measures the image processor computed and returns a reason code when it fails, and its measure
 * beside its threshold (stored on the photo). Every threshold is named in PHOTO_THRESHOLDS and can be overridden
 * by the PHOTO_THRESHOLDS setting (a JSON object, validated at start-up by resolvePhotoThresholds).
 */
export const PHOTO_THRESHOLDS = {
  /** 35 × 45 mm at 300 dpi: smallest upright size. */
  minWidth: 413,
  minHeight: 531,
  /** Share of the image (0–1) the centred 35:45 crop must keep: under it the aspect is too far from a portrait. */
  cropMinKeptShare: 0.8,
  /** Mean of max(R,G,B) − min(R,G,B) over the image (0–255): under this the photo is taken as black and white. */
  minMeanChroma: 6,
  /** Mean luma (Rec. 601, 0–255) bounds of the whole image. */
  minMeanLuminance: 70,
  maxMeanLuminance: 235,
  /** Largest share (0–1) of pixels whose luma is at least 250 (blown highlights). */
  maxClippedShare: 0.2,
  /** Smallest luma spread p95 − p5 (0–255) of the whole image. */
  minContrast: 60,
  /** Mean luma of the background band (top band and the sides of the upper 60 %): at least this. */
  minBackgroundLuminance: 150,
  /** Standard deviation of luma in the background band: at most this (a plain background). */
  maxBackgroundStdDev: 18,
  /** Distance between the largest and smallest of the R, G, B means of the background band: at most this. */
  maxBackgroundCast: 24,
  /** Variance of the Laplacian of the grey measuring image (long side 256 px, stretched to its p5–p95 range): at least this. */
  minSharpness: 200,
} as const;

export type PhotoThresholds = { readonly [K in keyof typeof PHOTO_THRESHOLDS]: number };
export const THRESHOLD_NAMES = Object.keys(PHOTO_THRESHOLDS) as (keyof PhotoThresholds)[];

/** Reads the PHOTO_THRESHOLDS setting: a JSON object of known names to finite numbers; anything else is refused. */
export function resolvePhotoThresholds(json: string | undefined): PhotoThresholds {
  if (json === undefined || json.trim() === '') return { ...PHOTO_THRESHOLDS };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('PHOTO_THRESHOLDS: not valid JSON (expected an object such as {"minSharpness":120})');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('PHOTO_THRESHOLDS: must be a JSON object of threshold names to numbers');
  const problems: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (!(THRESHOLD_NAMES as string[]).includes(name))
      problems.push(`unknown threshold "${name}" (known: ${THRESHOLD_NAMES.join(', ')})`);
    else if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`"${name}" must be a number`);
  }
  if (problems.length) throw new Error(`PHOTO_THRESHOLDS: ${problems.join('; ')}`);
  return { ...PHOTO_THRESHOLDS, ...(parsed as Partial<PhotoThresholds>) };
}

/** Formats taken from the digitisation centre and the online channel (sharp's names). */
export const ACCEPTED_FORMATS: readonly string[] = ['jpeg', 'png', 'tiff'];

/** What the image processor measured (width and height after EXIF orientation; luma Rec. 601, 0–255). */
/** What the image processor measures on the pixels (the checks compare these with their thresholds). */
export interface PixelMeasures {
  meanLuminance: number;
  meanChroma: number;
  /** Share of pixels with luma ≥ 250. */
  clippedShare: number;
  /** p95 − p5 of luma. */
  contrast: number;
  /** Background band: mean and standard deviation of luma, max − min of the R, G, B means. */
  backgroundLuminance: number;
  backgroundStdDev: number;
  backgroundCast: number;
  /** Variance of the Laplacian of the grey measuring image. */
  sharpness: number;
}

export interface ImageAnalysis extends PixelMeasures {
  format: string;
  width: number;
  height: number;
}

export interface CheckResult {
  code?: PhotoReason;
  measure: Record<string, unknown>;
}

export interface PhotoCheck {
  name: string;
  run(a: ImageAnalysis, t: PhotoThresholds): CheckResult;
}

const round = (v: number) => Math.round(v * 100) / 100;
const below = (v: number, min: number, code: PhotoReason) => (v < min ? code : undefined);
const above = (v: number, max: number, code: PhotoReason) => (v > max ? code : undefined);

/** The largest 35:45 crop of a width × height image (centred by the normaliser). */
export function crop3545(width: number, height: number): { width: number; height: number } {
  return width * 45 > height * 35
    ? { width: Math.round((height * 35) / 45), height }
    : { width, height: Math.round((width * 45) / 35) };
}

export const sizeCheck: PhotoCheck = {
  name: 'size',
  run: (a, t) => ({
    code: a.width < t.minWidth || a.height < t.minHeight ? PhotoReason.TooSmall : undefined,
    measure: { width: a.width, height: a.height, minWidth: t.minWidth, minHeight: t.minHeight },
  }),
};

/**
 * The 35:45 crop at the minimum size. When both sides reach the minimum a 35:45 crop of at least 413 × 531 always
 * fits, so what this adds is the aspect: a landscape scan or a strip loses too much (the face) in a centred crop.
 */
export const cropCheck: PhotoCheck = {
  name: 'crop',
  run: (a, t) => {
    const c = crop3545(a.width, a.height);
    const keptShare = (c.width * c.height) / Math.max(1, a.width * a.height);
    const fits = c.width >= t.minWidth && c.height >= t.minHeight;
    const tooSmall = a.width < t.minWidth || a.height < t.minHeight; // reported by the size check
    return {
      code: !tooSmall && (!fits || keptShare < t.cropMinKeptShare) ? PhotoReason.CropImpossible : undefined,
      measure: { cropWidth: c.width, cropHeight: c.height, keptShare: round(keptShare), min: t.cropMinKeptShare },
    };
  },
};

export const colourCheck: PhotoCheck = {
  name: 'colour',
  run: (a, t) => ({
    code: below(a.meanChroma, t.minMeanChroma, PhotoReason.Greyscale),
    measure: { meanChroma: round(a.meanChroma), min: t.minMeanChroma },
  }),
};

export const luminanceCheck: PhotoCheck = {
  name: 'luminance',
  run: (a, t) => ({
    code:
      below(a.meanLuminance, t.minMeanLuminance, PhotoReason.TooDark) ??
      above(a.meanLuminance, t.maxMeanLuminance, PhotoReason.TooBright),
    measure: { meanLuminance: round(a.meanLuminance), min: t.minMeanLuminance, max: t.maxMeanLuminance },
  }),
};

export const highlightsCheck: PhotoCheck = {
  name: 'highlights',
  run: (a, t) => ({
    code: above(a.clippedShare, t.maxClippedShare, PhotoReason.HighlightsClipped),
    measure: { clippedShare: round(a.clippedShare), max: t.maxClippedShare },
  }),
};

export const contrastCheck: PhotoCheck = {
  name: 'contrast',
  run: (a, t) => ({
    code: below(a.contrast, t.minContrast, PhotoReason.LowContrast),
    measure: { p95MinusP5: round(a.contrast), min: t.minContrast },
  }),
};

export const backgroundCheck: PhotoCheck = {
  name: 'background',
  run: (a, t) => ({
    code: below(a.backgroundLuminance, t.minBackgroundLuminance, PhotoReason.BackgroundDark),
    measure: { meanLuminance: round(a.backgroundLuminance), min: t.minBackgroundLuminance },
  }),
};

export const backgroundUniformityCheck: PhotoCheck = {
  name: 'backgroundUniformity',
  run: (a, t) => ({
    code: above(a.backgroundStdDev, t.maxBackgroundStdDev, PhotoReason.BackgroundBusy),
    measure: { stdDev: round(a.backgroundStdDev), max: t.maxBackgroundStdDev },
  }),
};

export const colourCastCheck: PhotoCheck = {
  name: 'colourCast',
  run: (a, t) => ({
    code: above(a.backgroundCast, t.maxBackgroundCast, PhotoReason.ColourCast),
    measure: { backgroundCast: round(a.backgroundCast), max: t.maxBackgroundCast },
  }),
};

export const sharpnessCheck: PhotoCheck = {
  name: 'sharpness',
  run: (a, t) => ({
    code: below(a.sharpness, t.minSharpness, PhotoReason.Blurred),
    measure: { laplacianVariance: round(a.sharpness), min: t.minSharpness },
  }),
};

export const PHOTO_CHECKS: readonly PhotoCheck[] = [
  sizeCheck,
  cropCheck,
  colourCheck,
  luminanceCheck,
  highlightsCheck,
  contrastCheck,
  backgroundCheck,
  backgroundUniformityCheck,
  colourCastCheck,
  sharpnessCheck,
];

/** Runs every check (all failures are reported, so the insured fixes everything at once). */
export function runPhotoChecks(
  a: ImageAnalysis,
  thresholds: PhotoThresholds = PHOTO_THRESHOLDS,
  checks: readonly PhotoCheck[] = PHOTO_CHECKS,
): { reasons: PhotoReason[]; measures: Record<string, unknown> } {
  const reasons: PhotoReason[] = [];
  const measures: Record<string, unknown> = { format: a.format };
  for (const check of checks) {
    const r = check.run(a, thresholds);
    measures[check.name] = r.measure;
    if (r.code) reasons.push(r.code);
  }
  return { reasons, measures };
}
