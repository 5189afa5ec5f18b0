import { BatchStatus } from '../personalisation/personalisation-batch.entity.js';
import { RequestStatus } from '../requests/request-status.enum.js';
import { JobName, type JobPayloads } from '../../platform/jobs/job-catalogue.js';

/**
 * Who a request is waiting for. Only `system` steps are retried and re-injected: a step waiting for a person
 * (the insured's photo, the fund's order) is followed by deadlines and reminders, and one waiting for the vendor
 * by its return file.
 */
export type WaitingOn = 'insured' | 'fund' | 'vendor' | 'system';
export const WAITING_ON: WaitingOn[] = ['insured', 'fund', 'vendor', 'system'];

/** The facts about one request the pipeline rules need (read in one query: request, pending photo, card's batch). */
export interface RequestSituation {
  id: string;
  formNumber: string;
  organismeCode: string;
  status: RequestStatus;
  autoOrder: boolean;
  statusChangedAt: Date;
  /** Hours since it entered its status (database clock). */
  idleHours: number;
  reinjections: number;
  needsReview: boolean;
  cardId: string | null;
  pendingPhotoId: string | null;
  batchId: string | null;
  batchStatus: BatchStatus | null;
  waitingOn: WaitingOn;
}

export type StepJob = {
  [
    N in JobName.PhotoCheck | JobName.EmissionAutoOrder | JobName.EmissionBuildBatches | JobName.EmissionWriteBatchFile
  ]: { name: N; payload: JobPayloads[N] };
}[JobName.PhotoCheck | JobName.EmissionAutoOrder | JobName.EmissionBuildBatches | JobName.EmissionWriteBatchFile];

/**
 * The job that does the work of a request's current step, when the system owes that work; null otherwise
 * (waiting for a person or the vendor, closed, or nothing the system could redo, which needs a person to look).
 */
export function stepJob(
  s: Pick<RequestSituation, 'id' | 'status' | 'autoOrder' | 'pendingPhotoId' | 'batchId' | 'batchStatus'>,
): StepJob | null {
  switch (s.status) {
    case RequestStatus.PhotoReceived:
      return s.pendingPhotoId ? { name: JobName.PhotoCheck, payload: { photoId: s.pendingPhotoId } } : null;
    case RequestStatus.PhotoAvailable:
      return s.autoOrder ? { name: JobName.EmissionAutoOrder, payload: { requestId: s.id } } : null;
    case RequestStatus.Ordered:
      return { name: JobName.EmissionBuildBatches, payload: {} };
    case RequestStatus.InPersonalisation:
      return s.batchId && s.batchStatus === BatchStatus.Allocated
        ? { name: JobName.EmissionWriteBatchFile, payload: { batchId: s.batchId } }
        : null;
    default:
      return null;
  }
}

/** An operator may cancel before the vendor has the card; afterwards the card is made and the return file settles it. */
export const CANCELLABLE_STATUSES: RequestStatus[] = [
  RequestStatus.FormSent,
  RequestStatus.PhotoReceived,
  RequestStatus.PhotoRejected,
  RequestStatus.PhotoAvailable,
  RequestStatus.Ordered,
];

/** The statuses the re-injector looks at (whether the step is really the system's is decided per request). */
export const REINJECTABLE_STATUSES: RequestStatus[] = [
  RequestStatus.PhotoReceived,
  RequestStatus.PhotoAvailable,
  RequestStatus.Ordered,
  RequestStatus.InPersonalisation,
];

/** Lead-time segments, in display order, beside the 2014 diagram's figures where we assume they apply (docs/emission.md). */
export const LEAD_TIME_SEGMENTS: {
  from: RequestStatus;
  to: RequestStatus;
  referenceDays: number | null;
  referenceNote: string | null;
}[] = [
  {
    from: RequestStatus.FormSent,
    to: RequestStatus.PhotoAvailable,
    referenceDays: 2.4,
    referenceNote:
      "2014 diagram, assumed: return of the form and photo digitisation (steps 2-3); this segment also counts the insured's own delay",
  },
  { from: RequestStatus.PhotoAvailable, to: RequestStatus.Ordered, referenceDays: null, referenceNote: null },
  { from: RequestStatus.Ordered, to: RequestStatus.InPersonalisation, referenceDays: null, referenceNote: null },
  {
    from: RequestStatus.InPersonalisation,
    to: RequestStatus.Completed,
    referenceDays: 3.5,
    referenceNote: '2014 diagram, assumed: personalisation and shipping by the vendor (steps 5-6)',
  },
  { from: RequestStatus.FormSent, to: RequestStatus.Completed, referenceDays: null, referenceNote: null },
];
