import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../platform/database/transactions.js';
import {
  type CardRequestRecord,
  CardRequestsService,
  notAwaitingPhoto,
} from '../emission/requests/card-requests.service.js';
import { isValidFormNumber } from '../emission/requests/form-number.js';
import { AWAITING_PHOTO, RequestStatus } from '../emission/requests/request-status.enum.js';
import { hashUploadToken, isWellFormedUploadToken } from '../emission/requests/upload-token.js';
import { FundEventType } from '../events/event-types.js';
import { FundEventsService } from '../events/fund-events.service.js';
import { type Actor, systemActor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { PhotoErrors } from './photo.errors.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import type { PhotoReceiptView } from './dto/photo.dto.js';
import { PhotoSource, PhotoStatus } from './photo-status.enum.js';
import { PhotoStore } from './photo-store.js';
import type { PhotoUpload } from './photo-upload.js';
import { PhotoRepository } from './photo.repository.js';

export const PHOTO_ENTITY = 'photo';

/** Unknown, used and expired links get the same answer: a link's holder learns nothing about other links. */
const linkInvalid = PhotoErrors.UPLOAD_LINK_INVALID;

/**
 * Steps 2-3, intake: a photo arrives (digitisation centre by form number, or the insured through a one-time
 * link), is stored as received, and waits for the PhotoCheck job, enqueued in the same transaction. Nothing is
 * decoded here: the HTTP request only stores bytes.
 */
@Injectable()
export class PhotoIntakeService {
  constructor(
    private readonly tx: Transactions,
    private readonly requests: CardRequestsService,
    private readonly photos: PhotoRepository,
    private readonly store: PhotoStore,
    private readonly events: FundEventsService,
    private readonly audit: AuditService,
    private readonly jobs: JobsService,
  ) {}

  /** The digitisation centre sends the scan of the photo stuck on form `formNumber`. */
  receiveFromCentre(actor: Actor, upload: PhotoUpload): Promise<PhotoReceiptView> {
    onlyFields(upload, ['formNumber']);
    const formNumber = upload.fields.formNumber?.trim();
    if (!formNumber) throw PhotoErrors.FORM_NUMBER_MISSING();
    if (!isValidFormNumber(formNumber)) throw PhotoErrors.FORM_NUMBER_INVALID();
    const file = requireFile(upload);
    return this.receive(actor, file, PhotoSource.DigitisationCentre, async (em) => {
      const r = await this.requests.lockByFormNumberIn(em, formNumber);
      if (!r) throw PhotoErrors.FORM_NOT_FOUND();
      return r;
    });
  }

  /** The insured uploads through the one-time link; using it clears it, in the same transaction as the photo. */
  /**
   * The online upload's credential checked before its body is read (UploadLinkRateGuard): an unknown or expired link
   * is refused without a byte of the photo read. The upload itself uses the link up in its own transaction.
   */
  async checkUploadLink(token: string): Promise<void> {
    if (!isWellFormedUploadToken(token) || !(await this.requests.uploadTokenLive(hashUploadToken(token))))
      throw linkInvalid();
  }

  receiveOnline(token: string, upload: PhotoUpload, httpRequestId: string): Promise<PhotoReceiptView> {
    if (!isWellFormedUploadToken(token)) throw linkInvalid();
    onlyFields(upload, []);
    const file = requireFile(upload);
    return this.receive(systemActor(httpRequestId), file, PhotoSource.Online, async (em) => {
      const r = await this.requests.consumeUploadTokenIn(em, hashUploadToken(token));
      if (!r) throw linkInvalid();
      return r;
    });
  }

  private async receive(
    actor: Actor,
    file: Buffer,
    source: PhotoSource,
    locate: (em: EntityManager) => Promise<CardRequestRecord>,
  ): Promise<PhotoReceiptView> {
    const photoId = randomUUID();
    const originalKey = `originals/${photoId}`;
    let stored = false;
    try {
      return await this.tx.run(async (em) => {
        const r = await locate(em);
        if (!AWAITING_PHOTO.includes(r.status)) throw notAwaitingPhoto(r.status);
        // Written before the commit: once the row is visible (and the job may run), the bytes are there.
        await this.store.put(originalKey, file);
        stored = true;
        await this.photos.insert(em, {
          id: photoId,
          requestId: r.id,
          source,
          originalKey,
          sha256: createHash('sha256').update(file).digest('hex'),
          byteSize: file.length,
        });
        await this.requests.enterPhotoStatusIn(em, r.id, RequestStatus.PhotoReceived);
        await this.events.append(em, {
          organismeCode: r.organismeCode,
          type: FundEventType.PhotoReceived,
          subjectType: 'card_request',
          subjectId: r.id,
          data: { requestId: r.id, formNumber: r.formNumber, photoId, source },
        });
        await this.audit.record(em, actor, {
          action: 'photo.received',
          entityType: PHOTO_ENTITY,
          entityId: photoId,
          organismeCode: r.organismeCode,
          details: { requestId: r.id, source, byteSize: file.length },
        });
        await this.jobs.send(em, JobName.PhotoCheck, { photoId });
        return { photoId, status: PhotoStatus.Pending };
      });
    } catch (e) {
      // The transaction did not commit: no row points at the file, so it goes too.
      if (stored) await this.store.delete(originalKey).catch(() => undefined);
      throw e;
    }
  }
}

function requireFile(upload: PhotoUpload): Buffer {
  if (!upload.file || upload.file.length === 0) throw PhotoErrors.PHOTO_FILE_MISSING();
  return upload.file;
}

function onlyFields(upload: PhotoUpload, allowed: string[]): void {
  const unknown = Object.keys(upload.fields).filter((f) => !allowed.includes(f));
  if (unknown.length) throw PhotoErrors.UPLOAD_FIELD_UNKNOWN(unknown, false);
}
