/** Stable reason codes of a refused photo, stored on the photo and sent to the fund (request.photo_rejected). */
export enum PhotoReason {
  /** Not an image, or corrupt data. */
  Unreadable = 'PHOTO_UNREADABLE',
  /** The data stops before the end of the image (a cut upload or scan). */
  Truncated = 'PHOTO_TRUNCATED',
  /** An image, but not JPEG, PNG or TIFF. */
  Format = 'PHOTO_FORMAT',
  /** The header declares more pixels than PHOTO_MAX_PIXELS (a decompression bomb): never decoded. */
  TooManyPixels = 'PHOTO_TOO_MANY_PIXELS',
  /** Fewer pixels than 35 × 45 mm at 300 dpi (413 × 531) once turned upright. */
  TooSmall = 'PHOTO_TOO_SMALL',
  /** The aspect is too far from 35:45: a centred crop would lose too much of the image. */
  CropImpossible = 'PHOTO_CROP_IMPOSSIBLE',
  /** Black and white (or nearly): the photo must be in colour. */
  Greyscale = 'PHOTO_GREYSCALE',
  TooDark = 'PHOTO_TOO_DARK',
  TooBright = 'PHOTO_TOO_BRIGHT',
  /** Too many blown (white) pixels. */
  HighlightsClipped = 'PHOTO_HIGHLIGHTS_CLIPPED',
  LowContrast = 'PHOTO_LOW_CONTRAST',
  /** The background is not light. */
  BackgroundDark = 'PHOTO_BACKGROUND_DARK',
  /** The background is not plain (patterns, objects, shadows). */
  BackgroundBusy = 'PHOTO_BACKGROUND_BUSY',
  /** The background is tinted (colour cast). */
  ColourCast = 'PHOTO_COLOUR_CAST',
  /** Out of focus or moved. */
  Blurred = 'PHOTO_BLURRED',
}
