import { Injectable } from '@nestjs/common';
import { PhotoErrors } from './photo.errors.js';
import { PhotoStatus } from './photo-status.enum.js';
import { PhotoStore } from './photo-store.js';
import { PhotoRepository } from './photo.repository.js';

/**
 * What the rest of the chain reads of an accepted photo (the personalisation file, later steps): the normalised
 * images, never the original scan. A photo that is not accepted has none.
 */
@Injectable()
export class PhotoService {
  constructor(
    private readonly photos: PhotoRepository,
    private readonly store: PhotoStore,
  ) {}

  /** The chip image (JPEG, at most 15,000 bytes, no metadata) of an accepted photo. */
  async chipImage(photoId: string): Promise<Buffer> {
    return this.store.get((await this.accepted(photoId)).chipKey);
  }

  /** The print image (413 × 531 JPEG, 35 × 45 mm at 300 dpi, no metadata) of an accepted photo. */
  async printImage(photoId: string): Promise<Buffer> {
    return this.store.get((await this.accepted(photoId)).printKey);
  }

  /**
   * A stored image of any photo, refused ones too (for an agent's review; the caller checks the tenant rule and
   * audits the read): null when the photo or that image is not stored (a refused photo has no print or chip image,
   * the original is purged after shipping).
   */
  async storedImage(photoId: string, kind: 'original' | 'print' | 'chip'): Promise<Buffer | null> {
    const p = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(photoId)
      ? await this.photos.find(photoId)
      : null;
    const key = !p ? null : kind === 'original' ? p.originalKey : kind === 'print' ? p.printKey : p.chipKey;
    if (!key || !(await this.store.has(key))) return null;
    return this.store.get(key);
  }

  private async accepted(photoId: string): Promise<{ chipKey: string; printKey: string }> {
    const p = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(photoId)
      ? await this.photos.find(photoId)
      : null;
    if (!p) throw PhotoErrors.PHOTO_NOT_FOUND();
    if (p.status !== PhotoStatus.Accepted || !p.chipKey || !p.printKey) {
      throw PhotoErrors.PHOTO_NOT_ACCEPTED(p.status);
    }
    return { chipKey: p.chipKey, printKey: p.printKey };
  }
}
