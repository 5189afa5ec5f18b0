import { Inject, Injectable } from '@nestjs/common';
import { type Actor, tenantScope } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import type { PhotoThresholds } from '../photo/photo-checks.js';
import { PhotoErrors } from '../photo/photo.errors.js';
import { PHOTO_THRESHOLDS_IN_FORCE } from '../photo/photo-thresholds.provider.js';
import type { PhotoPageView } from './dto/insight.dto.js';
import { InsightRepository } from './insight.repository.js';

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
}
