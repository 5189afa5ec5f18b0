import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CardState } from '../../cards/card-state.enum.js';
import { run } from '../../platform/database/sql.js';
import type { RequestStatus } from '../requests/request-status.enum.js';
import type { LineProblem } from './return-file.js';
import { ReturnFileStatus } from './vendor-return-file.entity.js';

/** Reject lines kept with a return file's row (the console shows them); the reject file in the outbox has them all. */
export const REJECT_LINES_KEPT = 1000;

export interface LockedReturnFile {
  id: string;
  vendorPartnerId: string;
  vendorLogin: string;
  fileName: string;
  sha256: string;
  status: ReturnFileStatus;
  receivedAt: Date;
}

/** A card named by a return line, as this vendor may see it (in one of its batches), with its request. */
export interface ReturnedCard {
  id: string;
  serial: string;
  state: CardState;
  beneficiaryId: string;
  organismeCode: string;
  batchId: string;
  batchCreatedAt: Date;
  /** The format the batch's file was written in (1 clear, 2 encrypted; null: not written yet). */
  batchPersoVersion: number | null;
  requestId: string | null;
  requestStatus: RequestStatus | null;
  replacedCardId: string | null;
}

/** vendor_return_file, and the reads step 6 needs on cards and batches (cards are written through CardsService). */
/** A received return file and what its ingestion did, newest first. */
export interface ReturnFileSummary {
  id: string;
  vendorPartnerId: string;
  fileName: string;
  sha256: string;
  status: ReturnFileStatus;
  lineCount: number;
  appliedCount: number;
  rejectedCount: number;
  failure: string | null;
  receivedAt: Date;
  ingestedAt: Date | null;
}

const SUMMARY_COLUMNS = `f.id, f.vendor_partner_id AS "vendorPartnerId", f.file_name AS "fileName", f.sha256, f.status, f.line_count AS "lineCount",
  f.applied_count AS "appliedCount", f.rejected_count AS "rejectedCount", f.failure, f.received_at AS "receivedAt", f.ingested_at AS "ingestedAt"`;

@Injectable()
export class ReturnFileRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a received file; null when this vendor already sent these exact bytes (nothing happens twice). */
  async insertReceived(
    em: EntityManager,
    f: { vendorPartnerId: string; fileName: string; sha256: string },
  ): Promise<string | null> {
    const { rows } = await run<{ id: string }>(
      em,
      `INSERT INTO vendor_return_file (vendor_partner_id, file_name, sha256) VALUES ($1, $2, $3)
       ON CONFLICT (vendor_partner_id, sha256) DO NOTHING RETURNING id`,
      [f.vendorPartnerId, f.fileName, f.sha256],
    );
    return rows[0]?.id ?? null;
  }

  async lock(em: EntityManager, id: string): Promise<LockedReturnFile | null> {
    const { rows } = await run<LockedReturnFile>(
      em,
      `SELECT f.id, f.vendor_partner_id AS "vendorPartnerId", v.login AS "vendorLogin", f.file_name AS "fileName", f.sha256, f.status,
              f.received_at AS "receivedAt"
         FROM vendor_return_file f JOIN vendor_profile v ON v.partner_id = f.vendor_partner_id
        WHERE f.id = $1 FOR UPDATE OF f`,
      [id],
    );
    return rows[0] ?? null;
  }

  async finish(
    em: EntityManager,
    id: string,
    r: {
      status: ReturnFileStatus;
      lineCount: number;
      appliedCount: number;
      rejectedCount: number;
      failure: string | null;
      rejectLines: LineProblem[];
    },
  ): Promise<void> {
    await run(
      em,
      `UPDATE vendor_return_file SET status = $2, line_count = $3, applied_count = $4, rejected_count = $5, failure = $6,
              reject_lines = $7::jsonb, ingested_at = now()
        WHERE id = $1`,
      [
        id,
        r.status,
        r.lineCount,
        r.appliedCount,
        r.rejectedCount,
        r.failure?.slice(0, 200) ?? null,
        JSON.stringify(
          r.rejectLines.slice(0, REJECT_LINES_KEPT).map(({ line, code, message }) => ({ line, code, message })),
        ),
      ],
    );
  }

  /**
   * Locks the cards these serials name among this vendor's batches (another vendor's serial is simply not
   * found), then their requests, in a fixed order.
   */
  async lockCards(em: EntityManager, vendorPartnerId: string, serials: string[]): Promise<ReturnedCard[]> {
    if (serials.length === 0) return [];
    const { rows } = await run<ReturnedCard>(
      em,
      `SELECT c.id, c.serial::text AS serial, c.state, c.beneficiary_id AS "beneficiaryId", c.organisme_code AS "organismeCode",
              c.batch_id AS "batchId", b.created_at AS "batchCreatedAt", b.perso_version AS "batchPersoVersion",
              r.id AS "requestId", r.status AS "requestStatus", r.replaced_card_id AS "replacedCardId"
         FROM card c
         JOIN personalisation_batch b ON b.id = c.batch_id AND b.vendor_partner_id = $2
         LEFT JOIN card_request r ON r.card_id = c.id
        WHERE c.serial = ANY($1::bigint[])
        ORDER BY c.id
        FOR UPDATE OF c`,
      [serials, vendorPartnerId],
    );
    const requestIds = rows.map((r) => r.requestId).filter((x): x is string => !!x);
    if (requestIds.length)
      await run(em, `SELECT id FROM card_request WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [requestIds]);
    return rows;
  }

  /** Return files newest first, received before the file `before` (the console's pages); with the vendor's login. */
  async page(limit: number, before: string | null): Promise<(ReturnFileSummary & { vendorLogin: string })[]> {
    const { rows } = await run<ReturnFileSummary & { vendorLogin: string }>(
      this.dataSource.manager,
      `SELECT ${SUMMARY_COLUMNS}, v.login AS "vendorLogin"
         FROM vendor_return_file f JOIN vendor_profile v ON v.partner_id = f.vendor_partner_id
        WHERE ($2::uuid IS NULL OR (f.received_at, f.id) < (SELECT received_at, id FROM vendor_return_file WHERE id = $2))
        ORDER BY f.received_at DESC, f.id DESC LIMIT $1`,
      [limit, before],
    );
    return rows;
  }

  /** One return file with its vendor's login and its kept reject lines (null: ingested before they were kept). */
  async find(
    id: string,
  ): Promise<(ReturnFileSummary & { vendorLogin: string; rejectLines: LineProblem[] | null }) | null> {
    const { rows } = await run<ReturnFileSummary & { vendorLogin: string; rejectLines: LineProblem[] | null }>(
      this.dataSource.manager,
      `SELECT ${SUMMARY_COLUMNS}, v.login AS "vendorLogin", f.reject_lines AS "rejectLines"
         FROM vendor_return_file f JOIN vendor_profile v ON v.partner_id = f.vendor_partner_id WHERE f.id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async list(limit: number, vendorPartnerId?: string): Promise<ReturnFileSummary[]> {
    const { rows } = await run<ReturnFileSummary>(
      this.dataSource.manager,
      `SELECT f.id, f.vendor_partner_id AS "vendorPartnerId", f.file_name AS "fileName", f.sha256, f.status, f.line_count AS "lineCount",
              f.applied_count AS "appliedCount", f.rejected_count AS "rejectedCount", f.failure, f.received_at AS "receivedAt", f.ingested_at AS "ingestedAt"
         FROM vendor_return_file f WHERE ($2::uuid IS NULL OR f.vendor_partner_id = $2) ORDER BY f.received_at DESC, f.id LIMIT $1`,
      [limit, vendorPartnerId ?? null],
    );
    return rows;
  }

  /**
   * Among these kept copies (by SHA-256) of one vendor, those whose file was processed (ingested or refused)
   * more than `retentionDays` ago. A file still `received` (waiting for ingestion) or unknown is never listed.
   */
  async processedBefore(vendorPartnerId: string, sha256s: string[], retentionDays: number): Promise<string[]> {
    if (sha256s.length === 0) return [];
    const { rows } = await run<{ sha256: string }>(
      this.dataSource.manager,
      `SELECT f.sha256 FROM vendor_return_file f
        WHERE f.vendor_partner_id = $1 AND f.sha256 = ANY($2::char(64)[]) AND f.status IN ('ingested', 'refused')
          AND f.ingested_at < now() - make_interval(days => $3)`,
      [vendorPartnerId, sha256s, retentionDays],
    );
    return rows.map((r) => r.sha256);
  }

  /** Records that the kept copies of these processed files are gone (first purge time kept); returns how many rows changed. */
  async markCopiesPurged(em: EntityManager, vendorPartnerId: string, sha256s: string[]): Promise<number> {
    if (sha256s.length === 0) return 0;
    return (
      await run(
        em,
        `UPDATE vendor_return_file SET copy_purged_at = now()
        WHERE vendor_partner_id = $1 AND sha256 = ANY($2::char(64)[]) AND status IN ('ingested', 'refused') AND copy_purged_at IS NULL`,
        [vendorPartnerId, sha256s],
      )
    ).count;
  }
}
