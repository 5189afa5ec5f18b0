import { Injectable } from '@nestjs/common';
import sharp, { type Sharp } from 'sharp';

/** The image could not be decoded (not an image, corrupt or truncated data, absurd pixel count). */
export class ImageUnreadableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageUnreadableError';
  }
}

/** Output sizes: the print image is 35 × 45 mm at 300 dpi; the chip image must fit the card chip's photo file. */
export const PRINT_SIZE = { width: 413, height: 531 } as const;
export const CHIP_MAX_BYTES = 15_000;
/** The chip image starts at this size and quality, and steps down (quality first, then size) until it fits. */
const CHIP_START = { width: 280, height: 360 } as const;
const CHIP_QUALITIES = [80, 72, 64, 56, 48, 40, 34, 28, 22];
const CHIP_SCALES = [1, 0.85, 0.72, 0.6];
const PRINT_QUALITY = 90;
/** Refuse decompression bombs before they are decoded: 40 Mpx is far above any 35 × 45 mm scan. */
const MAX_INPUT_PIXELS = 40_000_000;
/** Side of the thumbnail the colour and luminance are measured on. */
const MEASURE_SIDE = 128;

export interface ImageProbe {
  format: string;
  /** After EXIF orientation. */
  width: number;
  height: number;
}

export interface PixelMeasures {
  meanLuminance: number;
  meanChroma: number;
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
 * (sharp strips EXIF, ICC and XMP unless asked) and are deterministic for a given input and libvips version.
 */
@Injectable()
export class ImageProcessor {
  /** Format and upright size from the header, without decoding the pixels. */
  async probe(input: Buffer): Promise<ImageProbe> {
    try {
      const m = await this.open(input).metadata();
      if (!m.format || !m.width || !m.height) throw new ImageUnreadableError('no image header');
      return { format: m.format, width: m.autoOrient?.width ?? m.width, height: m.autoOrient?.height ?? m.height };
    } catch (e) {
      throw unreadable(e);
    }
  }

  /** Decodes the whole image (corrupt or truncated data fails here) and measures colour and luminance. */
  async measure(input: Buffer): Promise<PixelMeasures> {
    let data: Buffer;
    try {
      ({ data } = await this.upright(input)
        .resize(MEASURE_SIDE, MEASURE_SIDE, { fit: 'fill' })
        .raw()
        .toBuffer({ resolveWithObject: true }));
    } catch (e) {
      throw unreadable(e);
    }
    let luma = 0;
    let chroma = 0;
    const pixels = data.length / 3;
    for (let i = 0; i < data.length; i += 3) {
      const r = data[i], g = data[i + 1], b = data[i + 2];
      luma += 0.299 * r + 0.587 * g + 0.114 * b;
      chroma += Math.max(r, g, b) - Math.min(r, g, b);
    }
    return { meanLuminance: luma / pixels, meanChroma: chroma / pixels };
  }

  /**
   * Crops to 35:45 around the centre and writes the print image (413 × 531 JPEG) and the chip image (JPEG of at
   * most CHIP_MAX_BYTES, quality then size lowered until it fits).
   */
  async normalise(input: Buffer): Promise<NormalisedPhoto> {
    try {
      const { data, info } = await this.upright(input)
        .resize(PRINT_SIZE.width, PRINT_SIZE.height, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
      const print = await sharp(data, raw).jpeg({ quality: PRINT_QUALITY, mozjpeg: true }).toBuffer();
      for (const scale of CHIP_SCALES) {
        const width = Math.round(CHIP_START.width * scale);
        const height = Math.round(CHIP_START.height * scale);
        const small = await sharp(data, raw).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
        for (const quality of CHIP_QUALITIES) {
          const chip = await sharp(small, { raw: { width, height, channels: info.channels } }).jpeg({ quality, mozjpeg: true }).toBuffer();
          if (chip.length <= CHIP_MAX_BYTES) return { print, chip, chipWidth: width, chipHeight: height, chipQuality: quality };
        }
      }
    } catch (e) {
      throw unreadable(e);
    }
    // Unreachable for a photograph (a 168 × 216 JPEG at quality 22 is a few kB); kept as a clear refusal.
    throw new ImageUnreadableError('the chip image does not fit its size limit');
  }

  /** Decoding settings shared by every read: strict on corrupt data, bounded in size. */
  private open(input: Buffer): Sharp {
    return sharp(input, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS });
  }

  /** Upright (EXIF orientation applied), on white where transparent, in 8-bit sRGB with three channels. */
  private upright(input: Buffer): Sharp {
    return this.open(input).autoOrient().flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha();
  }
}

function unreadable(e: unknown): ImageUnreadableError {
  return e instanceof ImageUnreadableError ? e : new ImageUnreadableError((e as Error)?.message ?? String(e));
}
