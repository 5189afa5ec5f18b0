import { Inject, Injectable } from '@nestjs/common';
import { type Actor, tenantScope } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import type { PhotoThresholds } from '../photo/photo-checks.js';
import { PhotoErrors } from '../photo/photo.errors.js';
import { PHOTO_THRESHOLDS_IN_FORCE } from '../photo/photo-thresholds.provider.js';
import type { PhotoPageView } from './dto/insight.dto.js';
import { InsightRepository } from './insight.repository.js';
import type { InsuredPhotoItem } from './dto/insight.dto.js';
import { PhotoService } from '../photo/photo.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A photo as an agent reviews it, refused ones too: every check's measure beside the thresholds it was judged by
 * (stored with the photo when it was checked), the thresholds in force now, and which images are stored. A fund
 * reaches only its organisme's photos (another's is not found); the read is audited.
 */
@Injectable()
export class PhotoReviewService {
  constructor(
    private readonly repo: InsightRepository,
    private readonly audit: AuditService,
    private readonly tx: Transactions,
    private readonly photoImages: PhotoService,
    @Inject(PHOTO_THRESHOLDS_IN_FORCE) private readonly thresholds: PhotoThresholds,
  ) {}

  async review(actor: Actor, id: string): Promise<PhotoPageView> {
    if (!UUID.test(id)) throw PhotoErrors.PHOTO_NOT_FOUND();
    return this.tx.run(async (em) => {
      const p = await this.repo.photo(tenantScope(actor), id);
      if (!p) throw PhotoErrors.PHOTO_NOT_FOUND();
      await this.audit.record(em, actor, {
        action: 'photo.read',
        entityType: 'photo',
        entityId: p.id,
        organismeCode: p.organismeCode,
        details: { by: 'id' },
      });
      const measures = Object.entries(p.measures ?? {})
        .filter(([, m]) => typeof m === 'object' && m !== null)
        .map(([check, measure]) => ({ check, measure: measure as Record<string, unknown> }));
      return {
        id: p.id,
        requestId: p.requestId,
        beneficiaryId: p.beneficiaryId,
        organismeCode: p.organismeCode,
        source: p.source,
        status: p.status,
        reasons: p.reasons,
        width: p.width,
        height: p.height,
        byteSize: p.byteSize,
        receivedAt: p.receivedAt,
        checkedAt: p.checkedAt,
        measures,
        thresholdsNow: { ...this.thresholds },
        images: [
          { kind: 'original', available: p.originalKept },
          { kind: 'print', available: p.printKept },
          { kind: 'chip', available: p.chipKept },
        ],
      };
    });
  }

  /** The photos of an insured's requests (at most 20, newest first), for links from their page; another fund's: none. */
  photosOf(actor: Actor, beneficiaryId: string): Promise<InsuredPhotoItem[]> {
    if (!UUID.test(beneficiaryId)) return Promise.resolve([]);
    return this.repo.photosOf(tenantScope(actor), beneficiaryId, 20);
  }

  /**
   * One stored image of a photo (the received scan, the print or the chip image), refused photos too: same tenant
   * rule as the review (another fund's photo is not found), the read audited before the bytes are returned.
   */
  async image(actor: Actor, id: string, kind: string): Promise<Buffer> {
    if (!UUID.test(id) || (kind !== 'original' && kind !== 'print' && kind !== 'chip'))
      throw PhotoErrors.PHOTO_NOT_FOUND();
    const p = await this.repo.photo(tenantScope(actor), id);
    if (!p) throw PhotoErrors.PHOTO_NOT_FOUND();
    const bytes = await this.photoImages.storedImage(p.id, kind);
    if (!bytes) throw PhotoErrors.PHOTO_NOT_FOUND();
    await this.tx.run((em) =>
      this.audit.record(em, actor, {
        action: 'photo.image.read',
        entityType: 'photo',
        entityId: p.id,
        organismeCode: p.organismeCode,
        details: { image: kind },
      }),
    );
    return bytes;
  }
}
