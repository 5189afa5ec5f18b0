/** Stable reason codes of a refused photo, stored on the photo and sent to the fund (request.photo_rejected). */
export enum PhotoReason {
  /** Not an image, or corrupt/truncated data. */
  Unreadable = 'PHOTO_UNREADABLE',
  /** An image, but not JPEG, PNG or TIFF. */
  Format = 'PHOTO_FORMAT',
  /** Fewer pixels than 35 × 45 mm at 300 dpi (413 × 531) once turned upright. */
  TooSmall = 'PHOTO_TOO_SMALL',
  /** Black and white (or nearly): the photo must be in colour. */
  Greyscale = 'PHOTO_GREYSCALE',
  TooDark = 'PHOTO_TOO_DARK',
  TooBright = 'PHOTO_TOO_BRIGHT',
}
