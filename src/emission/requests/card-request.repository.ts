import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../../platform/database/sql.js';
import { AWAITING_PHOTO, OPEN_REQUEST_STATUSES, RequestReason, RequestStatus } from './request-status.enum.js';

/** Who may see which requests, decided in SQL: a fund its organisme's, an operator (null) all. */
export interface RequestScope {
  organismeCode: string | null;
}

/** A card request row as the services use it. */
export interface CardRequestRecord {
  id: string;
  formNumber: string;
  beneficiaryId: string;
  organismeCode: string;
  reason: RequestReason;
  status: RequestStatus;
  /** Who opened it: a fund, the 16th-birthday job or a renewal campaign. */
  origin: RequestOrigin;
  /** The renewal campaign that opened it (origin `campaign`). */
  campaignId: string | null;
  autoOrder: boolean;
  photoId: string | null;
  cardId: string | null;
  replacedCardId: string | null;
  reminderDueAt: Date;
  remindedAt: Date | null;
  expiresAt: Date;
  /** When the current upload link stops working; null when there is none (used, revoked or never given). */
  uploadLinkExpiresAt: Date | null;
  statusChangedAt: Date;
  needsReview: boolean;
  createdAt: Date;
}

/** The latest photo received for a request. */
export interface LatestPhoto {
  id: string;
  status: string;
  source: string;
  reasons: string[];
  receivedAt: Date;
  checkedAt: Date | null;
}

export interface RequestWithPhoto extends CardRequestRecord {
  photo: LatestPhoto | null;
}

export interface RequestStepRecord {
  status: RequestStatus;
  enteredAt: Date;
}

export interface RequestMove {
  id: string;
  status: RequestStatus;
  /** The request's card from now on (a re-made card after a failure); unchanged when absent. */
  cardId?: string | null;
}

/** Who opened a request: a fund, or the daily job for a dependant reaching 16 (once per young person, an index). */
export type RequestOrigin = 'fund' | 'sixteenth_birthday' | 'campaign';

export interface NewCardRequest {
  /** `fund` when absent. */
  origin?: RequestOrigin;
  /** The renewal campaign opening it (origin `campaign` only, a check). */
  campaignId?: string | null;
  formNumber: string;
  beneficiaryId: string;
  organismeCode: string;
  reason: RequestReason;
  autoOrder: boolean;
  replacedCardId: string | null;
  reminderDays: number;
  expiryDays: number;
  /** Null: no upload link yet (the fund asks for one). */
  uploadTokenHash: Buffer | null;
  uploadLinkDays: number;
}

/** What the pre-filled form prints. */
export interface RequestFormRecord {
  formNumber: string;
  createdAt: Date;
  firstName: string;
  birthName: string;
  usageName: string | null;
  birthDate: string;
  addressLines: string[];
  organismeName: string;
  organismeCity: string | null;
}

/** A request touched by the deadlines job. */
export interface DeadlineHit {
  id: string;
  organismeCode: string;
  formNumber: string;
  status: RequestStatus;
}

export interface RequestListFilter {
  status?: RequestStatus;
  beneficiaryId?: string;
  afterId?: string;
  limit: number;
}

const OPEN_LIST = OPEN_REQUEST_STATUSES.map((s) => `'${s}'`).join(', ');
const AWAITING_LIST = AWAITING_PHOTO.map((s) => `'${s}'`).join(', ');

const COLUMNS = `r.id, r.form_number, r.beneficiary_id, r.organisme_code, r.reason, r.status, r.auto_order, r.photo_id, r.card_id,
  r.replaced_card_id, r.reminder_due_at, r.reminded_at, r.expires_at,
  CASE WHEN r.upload_token_hash IS NULL THEN NULL ELSE r.upload_token_expires_at END AS upload_link_expires_at,
  r.status_changed_at, r.needs_review, r.created_at, r.origin, r.campaign_id`;

const PHOTO_JOIN = `LEFT JOIN LATERAL (
    SELECT p.id, p.status::text, p.source::text, p.reasons, p.received_at, p.checked_at FROM photo p
     WHERE p.request_id = r.id ORDER BY p.received_at DESC, p.id DESC LIMIT 1) ph ON true`;
const PHOTO_COLUMNS = `ph.id AS ph_id, ph.status AS ph_status, ph.source AS ph_source, ph.reasons AS ph_reasons,
  ph.received_at AS ph_received_at, ph.checked_at AS ph_checked_at`;

type Row = Record<string, unknown>;

/** The only place that reads and writes card_request and card_request_step. */
@Injectable()
export class CardRequestRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The next 7-digit form sequence value (gaps are harmless: the number only has to be unique), or null once spent. */
  async nextFormSequence(em: EntityManager): Promise<number | null> {
    const { rows } = await run<{ v: string | null }>(em, `SELECT next_form_sequence()::text AS v`);
    return rows[0].v === null ? null : Number(rows[0].v);
  }

  /**
   * Releases the form number of the request closed longest ago, if that was more than `reuseDays` ago, and answers
   * it (null: none is old enough). The row is locked and skipped by concurrent callers, so two new requests never
   * take the same number; a rollback gives it back. The unique index over held numbers is the arbiter.
   */
  async releaseOldestFormNumber(em: EntityManager, reuseDays: number): Promise<string | null> {
    const { rows } = await run<{ form_number: string }>(
      em,
      `UPDATE card_request r SET form_number_released_at = now()
         FROM (SELECT id FROM card_request
                WHERE form_number_released_at IS NULL AND status IN ('completed', 'expired', 'cancelled')
                  AND status_changed_at < now() - make_interval(days => $1::int)
                ORDER BY status_changed_at LIMIT 1
                  FOR UPDATE SKIP LOCKED) old
        WHERE r.id = old.id
       RETURNING r.form_number`,
      [reuseDays],
    );
    return rows[0]?.form_number ?? null;
  }

  /**
   * Inserts a request in form_sent with its deadlines; null when the beneficiary already has an open request
   * (the partial unique index decides, also between concurrent transactions) or, for the 16th-birthday job, already
   * had the job's request (card_request_sixteenth_birthday_once), or, for a campaign, already had its request
   * (card_request_once_per_campaign).
   */
  async insert(em: EntityManager, r: NewCardRequest): Promise<string | null> {
    const origin = r.origin ?? 'fund';
    // The jobs' inserts give way to either index; a fund's only to the open one (form numbers never collide).
    const conflict =
      origin !== 'fund'
        ? 'ON CONFLICT DO NOTHING'
        : `ON CONFLICT (beneficiary_id) WHERE status IN (${OPEN_LIST}) DO NOTHING`;
    const { rows } = await run<{ id: string }>(
      em,
      `INSERT INTO card_request (form_number, beneficiary_id, organisme_code, reason, status, auto_order, replaced_card_id,
                                 reminder_due_at, expires_at, upload_token_hash, upload_token_expires_at, origin, campaign_id)
       VALUES ($1, $2, $3, $4, 'form_sent', $5, $6, now() + make_interval(days => $7), now() + make_interval(days => $8),
               $9, now() + make_interval(days => $10), $11, $12)
       ${conflict}
       RETURNING id`,
      [
        r.formNumber,
        r.beneficiaryId,
        r.organismeCode,
        r.reason,
        r.autoOrder,
        r.replacedCardId,
        r.reminderDays,
        r.expiryDays,
        r.uploadTokenHash,
        r.uploadLinkDays,
        origin,
        r.campaignId ?? null,
      ],
    );
    return rows[0]?.id ?? null;
  }

  async insertStep(em: EntityManager, requestId: string, status: RequestStatus): Promise<void> {
    await run(em, `INSERT INTO card_request_step (request_id, status) VALUES ($1, $2)`, [requestId, status]);
  }

  /**
   * Moves a request to a new status and records the step, in the caller's transaction (the caller holds the row
   * lock and has checked the transition). The re-injection count is per step, so it starts again at 0.
   */
  async enterStatus(
    em: EntityManager,
    id: string,
    status: RequestStatus,
    opts: { photoId?: string; clearUploadLink?: boolean } = {},
  ): Promise<void> {
    await run(
      em,
      `WITH u AS (
         UPDATE card_request
            SET status = $2, status_changed_at = now(), updated_at = now(), version = version + 1, reinjections = 0,
                photo_id = COALESCE($3::uuid, photo_id),
                upload_token_hash = CASE WHEN $4 THEN NULL ELSE upload_token_hash END
          WHERE id = $1 RETURNING id)
       INSERT INTO card_request_step (request_id, status) SELECT id, $2 FROM u`,
      [id, status, opts.photoId ?? null, opts.clearUploadLink ?? false],
    );
  }

  /** Replaces the upload link of a request (the previous one stops working). */
  async setUploadToken(em: EntityManager, id: string, hash: Buffer, days: number): Promise<Date> {
    const { rows } = await run<{ expires: Date }>(
      em,
      `UPDATE card_request SET upload_token_hash = $2, upload_token_expires_at = now() + make_interval(days => $3), updated_at = now()
        WHERE id = $1 RETURNING upload_token_expires_at AS expires`,
      [id, hash, days],
    );
    return rows[0].expires;
  }

  /** Locks a request the scope reaches (SELECT ... FOR UPDATE); null for unknown or another fund's. */
  async lock(em: EntityManager, scope: RequestScope, id: string): Promise<CardRequestRecord | null> {
    const { rows } = await run<Row>(
      em,
      `SELECT ${COLUMNS} FROM card_request r WHERE r.id = $1 AND ($2::char(9) IS NULL OR r.organisme_code = $2) FOR UPDATE`,
      [id, scope.organismeCode],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Locks the request a form number designates (the digitisation centre's way in): the one holding it. */
  async lockByFormNumber(em: EntityManager, formNumber: string): Promise<CardRequestRecord | null> {
    const { rows } = await run<Row>(
      em,
      `SELECT ${COLUMNS} FROM card_request r WHERE r.form_number = $1 AND r.form_number_released_at IS NULL FOR UPDATE`,
      [formNumber],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Whether an upload link is known and not expired (read only: the upload uses it up later, in its transaction). */
  async uploadTokenLive(hash: Buffer): Promise<boolean> {
    const { rows } = await run<{ live: boolean }>(
      this.dataSource.manager,
      `SELECT EXISTS (SELECT 1 FROM card_request WHERE upload_token_hash = $1 AND upload_token_expires_at > now()) AS live`,
      [hash],
    );
    return rows[0].live;
  }

  /**
   * Uses up an upload link: clears its hash and returns the request, locked, when the link is known and not
   * expired. A rollback of the caller's transaction gives the link back.
   */
  async consumeUploadToken(em: EntityManager, hash: Buffer): Promise<CardRequestRecord | null> {
    const { rows } = await run<Row>(
      em,
      `UPDATE card_request r SET upload_token_hash = NULL, updated_at = now()
        WHERE r.upload_token_hash = $1 AND r.upload_token_expires_at > now()
        RETURNING ${COLUMNS}`,
      [hash],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** One request the scope reaches, with its latest photo. */
  async find(
    scope: RequestScope,
    id: string,
    em: EntityManager = this.dataSource.manager,
  ): Promise<RequestWithPhoto | null> {
    const { rows } = await run<Row>(
      em,
      `SELECT ${COLUMNS}, ${PHOTO_COLUMNS} FROM card_request r ${PHOTO_JOIN}
        WHERE r.id = $1 AND ($2::char(9) IS NULL OR r.organisme_code = $2)`,
      [id, scope.organismeCode],
    );
    return rows[0] ? toWithPhoto(rows[0]) : null;
  }

  async steps(requestId: string, em: EntityManager = this.dataSource.manager): Promise<RequestStepRecord[]> {
    const { rows } = await run<{ status: RequestStatus; entered_at: Date }>(
      em,
      `SELECT status, entered_at FROM card_request_step WHERE request_id = $1 ORDER BY entered_at, id`,
      [requestId],
    );
    return rows.map((r) => ({ status: r.status, enteredAt: r.entered_at }));
  }

  /** Keyset page by id, scope and filters in SQL. */
  async list(scope: RequestScope, f: RequestListFilter): Promise<RequestWithPhoto[]> {
    const { rows } = await run<Row>(
      this.dataSource.manager,
      `SELECT ${COLUMNS}, ${PHOTO_COLUMNS} FROM card_request r ${PHOTO_JOIN}
        WHERE ($1::char(9) IS NULL OR r.organisme_code = $1)
          AND ($2::request_status IS NULL OR r.status = $2)
          AND ($3::uuid IS NULL OR r.beneficiary_id = $3)
          AND ($4::uuid IS NULL OR r.id > $4)
        ORDER BY r.id LIMIT $5`,
      [scope.organismeCode, f.status ?? null, f.beneficiaryId ?? null, f.afterId ?? null, f.limit],
    );
    return rows.map(toWithPhoto);
  }

  /** The identity, address and sender printed on the form, for a request the scope reaches. */
  async formData(
    scope: RequestScope,
    id: string,
    em: EntityManager = this.dataSource.manager,
  ): Promise<RequestFormRecord | null> {
    const { rows } = await run<Row>(
      em,
      `SELECT r.form_number, r.created_at, b.first_name, b.birth_name, b.usage_name, b.birth_date::text AS birth_date,
              b.address_lines, o.name AS organisme_name, o.city AS organisme_city
         FROM card_request r
         JOIN beneficiary b ON b.id = r.beneficiary_id
         JOIN organisme o ON o.code = r.organisme_code
        WHERE r.id = $1 AND ($2::char(9) IS NULL OR r.organisme_code = $2)`,
      [id, scope.organismeCode],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      formNumber: r.form_number as string,
      createdAt: r.created_at as Date,
      firstName: r.first_name as string,
      birthName: r.birth_name as string,
      usageName: r.usage_name as string | null,
      birthDate: r.birth_date as string,
      addressLines: r.address_lines as string[],
      organismeName: r.organisme_name as string,
      organismeCity: r.organisme_city as string | null,
    };
  }

  /** Marks up to `limit` unanswered requests past their reminder date as reminded (once); returns them. */
  async remindDue(em: EntityManager, limit: number): Promise<DeadlineHit[]> {
    const { rows } = await run<Row>(
      em,
      `WITH due AS (
         SELECT id FROM card_request
          WHERE status IN (${AWAITING_LIST}) AND reminded_at IS NULL AND reminder_due_at <= now() AND expires_at > now()
          ORDER BY reminder_due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE card_request r SET reminded_at = now(), updated_at = now() FROM due WHERE r.id = due.id
       RETURNING r.id, r.organisme_code, r.form_number, r.status`,
      [limit],
    );
    return rows.map(toHit);
  }

  /** Expires up to `limit` unanswered requests past their deadline (status, step, link revoked); returns them. */
  async expireDue(em: EntityManager, limit: number): Promise<DeadlineHit[]> {
    const { rows } = await run<Row>(
      em,
      `WITH due AS (
         SELECT id FROM card_request
          WHERE status IN (${AWAITING_LIST}) AND expires_at <= now()
          ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED),
       prev AS (SELECT r.id, r.status FROM card_request r JOIN due ON due.id = r.id),
       u AS (
         UPDATE card_request r SET status = 'expired', status_changed_at = now(), updated_at = now(), version = version + 1,
                reinjections = 0, upload_token_hash = NULL
           FROM due WHERE r.id = due.id
         RETURNING r.id, r.organisme_code, r.form_number),
       s AS (INSERT INTO card_request_step (request_id, status) SELECT id, 'expired' FROM u)
       SELECT u.id, u.organisme_code, u.form_number, prev.status FROM u JOIN prev ON prev.id = u.id`,
      [limit],
    );
    return rows.map(toHit);
  }

  /**
   * Moves card requests along steps 4-6, set-based: one UPDATE for many requests and one card_request_step row
   * per request that moved (the step history the lead times are computed from). Only requests still in one of
   * `from` move; the caller holds their row locks. The requests are found by primary key (`id = ANY`): joined to the
   * moves alone, the planner hashed every request in the `from` states, a scan of the whole table per call.
   * Moves that set no card (a batch's, a return's) go one statement per target status with no join at all: joined
   * to the list of moves, a statement planned on statistics that do not know the `from` status yet (a return right
   * after its batch, before autovacuum's next analyze) expected one request and rescanned the whole list for each
   * request, 5,000 × 5,000 comparisons per return file (5-9 s instead of 0.5 s at 100,000 cards).
   * The statement resets the step fields itself (re-injections, review flag, status date), so the row trigger that
   * would (card_request_new_step) is not called.
   */
  async move(
    em: EntityManager,
    moves: RequestMove[],
    from: RequestStatus[],
  ): Promise<Array<{ id: string; status: RequestStatus; organismeCode: string }>> {
    const byStatus = new Map<RequestStatus, string[]>();
    const withCard: RequestMove[] = [];
    for (const m of moves) {
      if (m.cardId) withCard.push(m);
      else byStatus.set(m.status, [...(byStatus.get(m.status) ?? []), m.id]);
    }
    const moved: Array<{ id: string; status: RequestStatus; organismeCode: string }> = [];
    for (const [status, ids] of byStatus) {
      const { rows } = await run<{ id: string; status: RequestStatus; organismeCode: string }>(
        em,
        `WITH upd AS (
           UPDATE card_request r
              SET status = $2::request_status, status_changed_at = now(), updated_at = now(),
                  version = r.version + 1, reinjections = 0, needs_review = false
            WHERE r.id = ANY($1::uuid[]) AND r.status = ANY($3::request_status[])
           RETURNING r.id, r.status, r.organisme_code),
         steps AS (INSERT INTO card_request_step (request_id, status) SELECT id, status FROM upd)
         SELECT id, status::text AS status, organisme_code AS "organismeCode" FROM upd`,
        [ids, status, from],
      );
      moved.push(...rows);
    }
    if (withCard.length === 0) return moved;
    const { rows } = await run<{ id: string; status: RequestStatus; organismeCode: string }>(
      em,
      `WITH m AS (SELECT * FROM unnest($1::uuid[], $2::request_status[], $3::uuid[]) AS m(id, status, card_id)),
       upd AS (
         UPDATE card_request r
            SET status = m.status, card_id = m.card_id, status_changed_at = now(), updated_at = now(),
                version = r.version + 1, reinjections = 0, needs_review = false
           FROM m
          WHERE r.id = ANY($1::uuid[]) AND r.id = m.id AND r.status = ANY($4::request_status[])
         RETURNING r.id, r.status, r.organisme_code),
       steps AS (INSERT INTO card_request_step (request_id, status) SELECT id, status FROM upd)
       SELECT id, status::text AS status, organisme_code AS "organismeCode" FROM upd`,
      [withCard.map((m) => m.id), withCard.map((m) => m.status), withCard.map((m) => m.cardId), from],
    );
    return [...moved, ...rows];
  }

  /** The emission pipeline's re-injector and operator actions (steps 4-6). */
  async markReinjected(em: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await run(
      em,
      `UPDATE card_request SET reinjections = reinjections + 1, updated_at = now(), version = version + 1 WHERE id = ANY ($1::uuid[])`,
      [ids],
    );
  }

  async markNeedsReview(em: EntityManager, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await run(
      em,
      `UPDATE card_request SET needs_review = true, updated_at = now(), version = version + 1 WHERE id = ANY ($1::uuid[])`,
      [ids],
    );
  }

  /** After an operator's retry: the re-injector starts counting again, a full period from now. */
  async resetAfterRetry(em: EntityManager, id: string): Promise<void> {
    await run(
      em,
      `UPDATE card_request SET needs_review = false, reinjections = 0, updated_at = now(), version = version + 1 WHERE id = $1`,
      [id],
    );
  }

  /** Cancels a request and records the step, in the caller's transaction (the upload link dies with it). */
  async cancel(em: EntityManager, id: string): Promise<void> {
    await run(
      em,
      `UPDATE card_request SET status = 'cancelled', status_changed_at = now(), needs_review = false, reinjections = 0,
              upload_token_hash = NULL, upload_token_expires_at = NULL, updated_at = now(), version = version + 1
        WHERE id = $1`,
      [id],
    );
    await run(em, `INSERT INTO card_request_step (request_id, status) VALUES ($1, 'cancelled')`, [id]);
  }
}

function toRecord(r: Row): CardRequestRecord {
  return {
    id: r.id as string,
    formNumber: r.form_number as string,
    beneficiaryId: r.beneficiary_id as string,
    organismeCode: r.organisme_code as string,
    reason: r.reason as RequestReason,
    origin: r.origin as RequestOrigin,
    campaignId: (r.campaign_id as string | null) ?? null,
    status: r.status as RequestStatus,
    autoOrder: r.auto_order as boolean,
    photoId: (r.photo_id as string | null) ?? null,
    cardId: (r.card_id as string | null) ?? null,
    replacedCardId: (r.replaced_card_id as string | null) ?? null,
    reminderDueAt: r.reminder_due_at as Date,
    remindedAt: (r.reminded_at as Date | null) ?? null,
    expiresAt: r.expires_at as Date,
    uploadLinkExpiresAt: (r.upload_link_expires_at as Date | null) ?? null,
    statusChangedAt: r.status_changed_at as Date,
    needsReview: r.needs_review as boolean,
    createdAt: r.created_at as Date,
  };
}

function toWithPhoto(r: Row): RequestWithPhoto {
  return {
    ...toRecord(r),
    photo: r.ph_id
      ? {
          id: r.ph_id as string,
          status: r.ph_status as string,
          source: r.ph_source as string,
          reasons: (r.ph_reasons as string[]) ?? [],
          receivedAt: r.ph_received_at as Date,
          checkedAt: (r.ph_checked_at as Date | null) ?? null,
        }
      : null,
  };
}

function toHit(r: Row): DeadlineHit {
  return {
    id: r.id as string,
    organismeCode: r.organisme_code as string,
    formNumber: r.form_number as string,
    status: r.status as RequestStatus,
  };
}
