/**
 * Synthetic ID-photo-like portraits (light plain background, face, hair, shoulders, a little deterministic
 * noise so JPEG sizes look like a real scan's). Used by the tests, the demo, the benchmarks and `npm run portrait`:
 * no binary fixture is committed, and no real person's photo is ever needed.
 */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

const inEllipse = (x: number, y: number, cx: number, cy: number, rx: number, ry: number) =>
  ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;

/** A portrait on a light plain background, `width` × `height`, colours scaled by `gain`. */
export function portrait(
  width = 600,
  height = 800,
  opts: {
    gain?: number;
    offset?: number;
    noise?: number;
    background?: [number, number, number];
    seed?: number;
    grey?: boolean;
  } = {},
): RgbImage {
  const gain = opts.gain ?? 1;
  const offset = opts.offset ?? 0;
  const noise = opts.noise ?? 12;
  const bg = opts.background ?? [232, 236, 240];
  const rnd = lcg(opts.seed ?? 42);
  const data = Buffer.alloc(width * height * 3);
  const cx = width / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c: [number, number, number] = bg;
      if (y > height * 0.78 || inEllipse(x, y, cx, height * 1.02, width * 0.48, height * 0.3))
        c = [38, 58, 112]; // shoulders, jacket
      else if (inEllipse(x, y, cx, height * 0.4, width * 0.22, height * 0.23))
        c = [222, 178, 148]; // face
      else if (inEllipse(x, y, cx, height * 0.32, width * 0.25, height * 0.22)) c = [62, 42, 30]; // hair
      if (opts.grey) {
        const luma = Math.round(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]);
        c = [luma, luma, luma];
      }
      const n = Math.round((rnd() - 0.5) * noise);
      const i = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, Math.round(c[k] * gain) + offset + n));
    }
  }
  return { data, width, height };
}

/** Portraits the photo checks refuse, each for one reason (to try a refusal: `npm run portrait -- --defect …`). */
export const PORTRAIT_DEFECTS = {
  small: { reason: 'PHOTO_TOO_SMALL', make: (seed: number) => portrait(300, 400, { seed }) },
  dark: { reason: 'PHOTO_TOO_DARK', make: (seed: number) => portrait(600, 800, { seed, gain: 0.25 }) },
  bright: { reason: 'PHOTO_TOO_BRIGHT', make: (seed: number) => portrait(600, 800, { seed, offset: 160 }) },
  grey: { reason: 'PHOTO_GREYSCALE', make: (seed: number) => portrait(600, 800, { seed, grey: true }) },
} as const;

export type PortraitDefect = keyof typeof PORTRAIT_DEFECTS;

/** A synthetic portrait that passes the photo checks (600 × 800), or one with `defect`, as a JPEG. */
export function syntheticPortrait(seed = 42, defect?: PortraitDefect): RgbImage {
  return defect ? PORTRAIT_DEFECTS[defect].make(seed) : portrait(600, 800, { seed });
}
