import { Injectable, Optional } from '@nestjs/common';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { AppConfig } from '../config/app-config.js';
import { crop3545, type PixelMeasures } from './photo-checks.js';

export type { PixelMeasures };

export type UnreadableKind = 'unreadable' | 'truncated' | 'too_many_pixels';

/** The image could not be decoded: not an image, corrupt or truncated data, or more pixels than allowed. */
export class ImageUnreadableError extends Error {
  constructor(
    message: string,
    readonly kind: UnreadableKind = 'unreadable',
  ) {
    super(message);
    this.name = 'ImageUnreadableError';
  }
}

/** Output sizes: the print image is 35 × 45 mm at 300 dpi; the chip image must fit the card chip's photo file. */
export const PRINT_SIZE = { width: 413, height: 531 } as const;
export const PRINT_DPI = 300;
export const CHIP_MAX_BYTES = 15_000;
/** The chip image starts at this size and quality, and steps down (quality first, then size) until it fits. */
const CHIP_START = { width: 280, height: 360 } as const;
const CHIP_QUALITIES = [80, 72, 64, 56, 48, 40, 34, 28, 22];
const CHIP_SCALES = [1, 0.85, 0.72, 0.6];
/**
 * The print image has no byte budget: baseline libjpeg-turbo with optimised Huffman tables, about 3 times faster to
 * encode than mozjpeg's trellis and progressive scans (which the chip image keeps, to fit its budget).
 */
export const PRINT_JPEG = { quality: 90, optimiseCoding: true } as const;
/** Default decompression-bomb limit (PHOTO_MAX_PIXELS). */
const MAX_INPUT_PIXELS = 40_000_000;
/** Width of the background band, as a share of the measuring image's width. */
const BAND_SHARE = 0.06;
/** The side bands stop at this share of the height (below: shoulders). */
const BAND_SIDES_TO = 0.6;

export interface ImageProbe {
  format: string;
  /** After EXIF orientation. */
  width: number;
  height: number;
}

/** A decoded image: upright, 8-bit sRGB, three channels, on white where it was transparent. */
export interface DecodedImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface NormalisedPhoto {
  print: Buffer;
  chip: Buffer;
  chipWidth: number;
  chipHeight: number;
  chipQuality: number;
}

/**
 * Every sharp call of the product (the image side effect behind one injectable). Outputs carry no metadata
 * (sharp strips EXIF, ICC and XMP unless asked; the print image carries its 300 dpi density only) and are
 * deterministic for a given input and libvips version.
 */
@Injectable()
export class ImageProcessor {
  private readonly maxPixels: number;
  private readonly chipMaxBytes: number;

  constructor(@Optional() config?: AppConfig) {
    this.maxPixels = config?.photoMaxPixels ?? MAX_INPUT_PIXELS;
    this.chipMaxBytes = config?.photoChipMaxBytes ?? CHIP_MAX_BYTES;
  }

  /** Byte budget of the chip image (PHOTO_CHIP_MAX_BYTES). */
  get chipBudget(): number {
    return this.chipMaxBytes;
  }

  /** Decompression-bomb limit (PHOTO_MAX_PIXELS). */
  get pixelLimit(): number {
    return this.maxPixels;
  }

  /** Format and upright size from the header, without decoding the pixels; a decompression bomb stops here. */
  async probe(input: Buffer): Promise<ImageProbe> {
    let m: Metadata;
    try {
      m = await sharp(input, { limitInputPixels: false }).metadata();
    } catch (e) {
      throw unreadable(e);
    }
    if (!m.format || !m.width || !m.height) throw new ImageUnreadableError('no image header');
    if (m.width * m.height > this.maxPixels)
      throw new ImageUnreadableError('more pixels than allowed', 'too_many_pixels');
    return { format: m.format, width: m.autoOrient?.width ?? m.width, height: m.autoOrient?.height ?? m.height };
  }

  /**
   * Decodes the whole image strictly (corrupt or truncated data fails here), upright (EXIF orientation applied
   * first), on white where transparent, in 8-bit sRGB, and brings it to what the card needs: the centred 35:45
   * crop at print size (413 × 531). One libvips pipeline, so a JPEG scan is decoded shrunk on load.
   */
  async decode(input: Buffer): Promise<DecodedImage> {
    try {
      const { data, info } = await this.open(input)
        .autoOrient()
        .flatten({ background: '#ffffff' })
        .removeAlpha()
        .toColourspace('srgb')
        .resize(PRINT_SIZE.width, PRINT_SIZE.height, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height };
    } catch (e) {
      throw unreadable(e);
    }
  }

  /** Probe, decode and measure in one call (tests and tools). */
  async analyse(input: Buffer): Promise<ImageProbe & PixelMeasures & { decoded: DecodedImage }> {
    const probe = await this.probe(input);
    const decoded = await this.decode(input);
    return { ...probe, ...this.measure(decoded), decoded };
  }

  /**
   * The pixel measures, on the decoded print-size crop (what the card will show): luma (Rec. 601) mean, p95 − p5 and
   * clipped share, mean chroma, the background band's luma mean and deviation and colour cast, and the variance of
   * the Laplacian (sharpness). Plain JavaScript on 413 × 531 pixels: a few milliseconds.
   */
  measure(img: DecodedImage): PixelMeasures {
    return measurePixels(img.data, img.width, img.height);
  }

  /**
   * Crops to 35:45 around the centre and writes the print image (413 × 531 JPEG, 300 dpi) and the chip image (JPEG
   * of at most PHOTO_CHIP_MAX_BYTES, quality then size lowered until it fits).
   */
  async normalise(input: Buffer | DecodedImage): Promise<NormalisedPhoto> {
    let data: Buffer;
    let channels: 1 | 2 | 3 | 4;
    try {
      const d = Buffer.isBuffer(input) ? await this.decode(input) : input;
      const c = crop3545(d.width, d.height);
      if (d.width === PRINT_SIZE.width && d.height === PRINT_SIZE.height) return this.encode(d.data, 3);
      const left = Math.floor((d.width - c.width) / 2);
      const top = Math.floor((d.height - c.height) / 2);
      const out = await sharp(d.data, { raw: { width: d.width, height: d.height, channels: 3 } })
        .extract({ left, top, width: c.width, height: c.height })
        .resize(PRINT_SIZE.width, PRINT_SIZE.height, { fit: 'fill', kernel: 'lanczos3' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      data = out.data;
      channels = out.info.channels;
    } catch (e) {
      throw unreadable(e);
    }
    return this.encode(data, channels);
  }

  /** The print and chip JPEGs from the print-size pixels. */
  private async encode(data: Buffer, channels: 1 | 2 | 3 | 4): Promise<NormalisedPhoto> {
    const raw = { raw: { width: PRINT_SIZE.width, height: PRINT_SIZE.height, channels } } as const;
    const print = withJfifDensity(await sharp(data, raw).jpeg(PRINT_JPEG).toBuffer(), PRINT_DPI);
    // One libvips pipeline per attempt (resize + encode); a photograph nearly always fits at the first one.
    for (const scale of CHIP_SCALES) {
      const width = Math.round(CHIP_START.width * scale);
      const height = Math.round(CHIP_START.height * scale);
      for (const quality of CHIP_QUALITIES) {
        const chip = await sharp(data, raw)
          .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
          .jpeg({ quality, mozjpeg: true })
          .toBuffer();
        if (chip.length <= this.chipMaxBytes)
          return { print, chip, chipWidth: width, chipHeight: height, chipQuality: quality };
      }
    }
    // Unreachable for a photograph (a 168 × 216 JPEG at quality 22 is a few kB); kept as a clear refusal.
    throw new ImageUnreadableError('the chip image does not fit its size limit');
  }

  /** A JPEG of raw 8-bit RGB pixels (synthetic portraits: the demo, `npm run portrait`, tests). */
  async jpegFromRgb(img: { data: Buffer; width: number; height: number }, quality = 90): Promise<Buffer> {
    return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .jpeg({ quality })
      .toBuffer();
  }

  /** Decoding settings shared by every read: strict on corrupt data, bounded in size. */
  private open(input: Buffer): Sharp {
    return sharp(input, { failOn: 'error', limitInputPixels: this.maxPixels });
  }
}

/**
 * Pure measures on an RGB buffer (exported for tests), in integer arithmetic: luma is Rec. 601 rounded to 0–255
 * ((19595 R + 38470 G + 7471 B) / 65536).
 */
export function measurePixels(data: Buffer, width: number, height: number): PixelMeasures {
  const n = width * height;
  const grey = new Uint8Array(n);
  const hist = new Uint32Array(256);
  let luma = 0,
    chroma = 0;
  for (let p = 0, i = 0; p < n; p++, i += 3) {
    const r = data[i],
      g = data[i + 1],
      b = data[i + 2];
    const y = (19595 * r + 38470 * g + 7471 * b + 32768) >>> 16;
    grey[p] = y;
    luma += y;
    hist[y]++;
    const hi = r > g ? (r > b ? r : b) : g > b ? g : b;
    const lo = r < g ? (r < b ? r : b) : g < b ? g : b;
    chroma += hi - lo;
  }
  let clipped = 0;
  for (let v = 250; v < 256; v++) clipped += hist[v];
  const percentile = (q: number) => {
    const target = q * n;
    let acc = 0;
    for (let v = 0; v < 256; v++) if ((acc += hist[v]) >= target) return v;
    return 255;
  };
  // Background band: the top band, and the left and right bands down to 60 % of the height (shoulders below).
  const band = Math.max(1, Math.round(width * BAND_SHARE));
  const sidesTo = Math.round(height * BAND_SIDES_TO);
  let bn = 0,
    bSum = 0,
    bSq = 0,
    rSum = 0,
    gSum = 0,
    blSum = 0;
  const addBand = (y: number, x0: number, x1: number) => {
    for (let x = x0; x < x1; x++) {
      const p = y * width + x,
        i = p * 3;
      const v = grey[p];
      bn++;
      bSum += v;
      bSq += v * v;
      rSum += data[i];
      gSum += data[i + 1];
      blSum += data[i + 2];
    }
  };
  for (let y = 0; y < sidesTo; y++) {
    if (y < band) addBand(y, 0, width);
    else {
      addBand(y, 0, band);
      addBand(y, width - band, width);
    }
  }
  const bMean = bSum / bn;
  const means = [rSum / bn, gSum / bn, blSum / bn];
  // Sharpness: variance of the 4-neighbour Laplacian [0 1 0; 1 -4 1; 0 1 0] on the grey image (border left out).
  let lSum = 0,
    lSq = 0,
    ln = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1, p = y * width + 1; x < width - 1; x++, p++) {
      const l = grey[p - width] + grey[p + width] + grey[p - 1] + grey[p + 1] - 4 * grey[p];
      lSum += l;
      lSq += l * l;
      ln++;
    }
  }
  const lMean = ln ? lSum / ln : 0;
  // Measured as if the grey image were stretched from its p5–p95 range to 0–255, so exposure and contrast
  // (checked on their own) do not pass for blur.
  const contrast = percentile(0.95) - percentile(0.05);
  const stretch = (255 / Math.max(contrast, 16)) ** 2;
  return {
    meanLuminance: luma / n,
    meanChroma: chroma / n,
    clippedShare: clipped / n,
    contrast,
    backgroundLuminance: bMean,
    backgroundStdDev: Math.sqrt(Math.max(0, bSq / bn - bMean * bMean)),
    backgroundCast: Math.max(...means) - Math.min(...means),
    sharpness: ln ? (lSq / ln - lMean * lMean) * stretch : 0,
  };
}

/**
 * Writes the density into the JPEG's JFIF header (APP0: units = dots per inch, X and Y density), the one piece of
 * metadata the print image carries; sharp's withDensity would add an EXIF block, which the outputs must not have.
 */
export function withJfifDensity(jpeg: Buffer, dpi: number): Buffer {
  const app0 =
    jpeg.readUInt16BE(0) === 0xffd8 && jpeg.readUInt16BE(2) === 0xffe0 && jpeg.toString('latin1', 6, 11) === 'JFIF\0';
  if (app0) {
    const out = Buffer.from(jpeg);
    out[13] = 1;
    out.writeUInt16BE(dpi, 14);
    out.writeUInt16BE(dpi, 16);
    return out;
  }
  // No JFIF header: insert one after the SOI marker.
  const seg = Buffer.from([
    0xff,
    0xe0,
    0x00,
    0x10,
    0x4a,
    0x46,
    0x49,
    0x46,
    0x00,
    0x01,
    0x01,
    0x01,
    dpi >> 8,
    dpi & 0xff,
    dpi >> 8,
    dpi & 0xff,
    0x00,
    0x00,
  ]);
  return Buffer.concat([jpeg.subarray(0, 2), seg, jpeg.subarray(2)]);
}

const TRUNCATED = /premature end|truncat|unexpected end|end of (file|stream|data)|not enough data|EOF/i;
const TOO_MANY_PIXELS = /pixel limit/i;

function unreadable(e: unknown): ImageUnreadableError {
  if (e instanceof ImageUnreadableError) return e;
  const message = (e as Error)?.message ?? String(e);
  const kind: UnreadableKind = TOO_MANY_PIXELS.test(message)
    ? 'too_many_pixels'
    : TRUNCATED.test(message)
      ? 'truncated'
      : 'unreadable';
  return new ImageUnreadableError(message, kind);
}
