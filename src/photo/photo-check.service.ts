import { Inject, Injectable } from '@nestjs/common';
import { Transactions } from '../platform/database/transactions.js';
import { CardRequestsService } from '../emission/requests/card-requests.service.js';
import { RequestStatus } from '../emission/requests/request-status.enum.js';
import { FundEventType } from '../events/event-types.js';
import { FundEventsService } from '../events/fund-events.service.js';
import { systemActor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { ImageProcessor } from './image-processor.js';
import { type PhotoThresholds } from './photo-checks.js';
import { evaluatePhoto } from './photo-pipeline.js';
import { PHOTO_THRESHOLDS_IN_FORCE } from './photo-thresholds.provider.js';
import { PHOTO_ENTITY } from './photo-intake.service.js';
import { PhotoStatus } from './photo-status.enum.js';
import { PhotoStore } from './photo-store.js';
import { PhotoRepository, PhotoVerdict } from './photo.repository.js';

export type CheckOutcome = 'accepted' | 'rejected' | 'skipped';

/** Store keys of the normalised images of an accepted photo. */
export const printKeyOf = (photoId: string) => `print/${photoId}`;
export const chipKeyOf = (photoId: string) => `chip/${photoId}`;

/**
 * Step 3: the PhotoCheck job. Decodes and measures the received photo, runs the checks (photo-checks.ts), and
 * either writes the print and chip images and makes the request photo_available, or refuses the photo with its
 * reason codes and puts the request back to waiting (photo_rejected). Idempotent: a photo no longer pending is
 * left alone, so a retried job changes nothing twice.
 */
@Injectable()
export class PhotoCheckService {
  constructor(
    private readonly tx: Transactions,
    private readonly photos: PhotoRepository,
    private readonly requests: CardRequestsService,
    private readonly store: PhotoStore,
    private readonly images: ImageProcessor,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
    private readonly jobs: JobsService,
    @Inject(PHOTO_THRESHOLDS_IN_FORCE) private readonly thresholds: PhotoThresholds,
  ) {}

  async check(photoId: string): Promise<CheckOutcome> {
    const photo = await this.photos.find(photoId);
    if (!photo || photo.status !== PhotoStatus.Pending) return 'skipped';
    const e = await evaluatePhoto(this.images, await this.store.get(photo.originalKey), this.thresholds);
    const accepted = e.reasons.length === 0 && e.images !== null;
    if (accepted) {
      // Same bytes on a retry (deterministic output), so rewriting them before the commit is harmless.
      await this.store.put(printKeyOf(photoId), e.images!.print);
      await this.store.put(chipKeyOf(photoId), e.images!.chip);
    }
    const verdict: PhotoVerdict = {
      status: accepted ? PhotoStatus.Accepted : PhotoStatus.Rejected,
      reasons: e.reasons,
      measures: e.measures,
      width: e.width,
      height: e.height,
      printKey: accepted ? printKeyOf(photoId) : null,
      chipKey: accepted ? chipKeyOf(photoId) : null,
    };
    return this.tx.run(async (em): Promise<CheckOutcome> => {
      const locked = await this.photos.lock(em, photoId);
      if (!locked || locked.status !== PhotoStatus.Pending) return 'skipped';
      await this.photos.recordVerdict(em, photoId, verdict);
      const actor = systemActor();
      const r = await this.requests.lockIn(em, locked.requestId);
      await this.audit.record(em, actor, {
        action: accepted ? 'photo.accepted' : 'photo.rejected',
        entityType: PHOTO_ENTITY,
        entityId: photoId,
        organismeCode: r?.organismeCode ?? null,
        details: { requestId: locked.requestId, reasons: e.reasons },
      });
      // A request cancelled while its photo was checked keeps its status; the verdict stays on the photo.
      if (!r || r.status !== RequestStatus.PhotoReceived)
        return verdict.status === PhotoStatus.Accepted ? 'accepted' : 'rejected';
      const base = { organismeCode: r.organismeCode, subjectType: 'card_request' as const, subjectId: r.id };
      if (accepted) {
        await this.requests.enterPhotoStatusIn(em, r.id, RequestStatus.PhotoAvailable, {
          photoId,
          clearUploadLink: true,
        });
        await this.events.append(em, {
          ...base,
          type: FundEventType.PhotoAvailable,
          data: { requestId: r.id, formNumber: r.formNumber, photoId },
        });
        if (r.autoOrder) await this.jobs.send(em, JobName.EmissionAutoOrder, { requestId: r.id });
        return 'accepted';
      }
      await this.requests.enterPhotoStatusIn(em, r.id, RequestStatus.PhotoRejected);
      await this.events.append(em, {
        ...base,
        type: FundEventType.PhotoRejected,
        data: { requestId: r.id, formNumber: r.formNumber, photoId, reasons: e.reasons },
      });
      return 'rejected';
    });
  }
}
