import type { PersoRecord } from './personalisation-file.js';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../../platform/database/sql.js';
import { BatchStatus } from './personalisation-batch.entity.js';

/**
 * THE routing rule (the vendors module's; only batches need it, in SQL), as SQL on an expression giving a card's regime code (2 chars): the active vendor whose
 * regime_codes hold that regime, else the active default vendor, else NULL (the card waits).
 */
export const VENDOR_FOR_REGIME = (regimeExpr: string) => `COALESCE(
  (SELECT v.partner_id FROM vendor_profile v JOIN partner p ON p.id = v.partner_id AND p.active
    WHERE ${regimeExpr} = ANY(v.regime_codes) ORDER BY v.partner_id LIMIT 1),
  (SELECT v.partner_id FROM vendor_profile v JOIN partner p ON p.id = v.partner_id AND p.active WHERE v.is_default))`;

export interface PickedCard {
  cardId: string;
  requestId: string;
  organismeCode: string;
}

export interface BatchRow {
  id: string;
  batchNumber: string;
  vendorPartnerId: string;
  vendorLogin: string;
  status: BatchStatus;
  cardCount: number;
  fileName: string | null;
  sha256: string | null;
  persoVersion: number | null;
  createdAt: Date;
  writtenAt: Date | null;
  /** The vendor's age recipient now (null: the file cannot be written yet). */
  vendorAgeRecipient: string | null;
}

/** A card's record as read for the file: the file's record, with the photo's store key instead of its bytes. */
export type BatchRecordRow = Omit<PersoRecord, 'chipPhoto'> & { chipKey: string | null };

const BATCH_COLUMNS = `b.id, b.batch_number::text AS "batchNumber", b.vendor_partner_id AS "vendorPartnerId", v.login AS "vendorLogin",
  b.status, b.card_count AS "cardCount", b.file_name AS "fileName", b.sha256, b.perso_version AS "persoVersion", b.created_at AS "createdAt",
  b.written_at AS "writtenAt", v.age_recipient AS "vendorAgeRecipient"`;

/** Personalisation batches: which ordered cards go out, in which batch, and what the batch file holds. */
@Injectable()
export class BatchRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Every regime with the vendor the routing rule sends its cards to (null: none, the cards wait), and whether that
   * vendor has an age recipient to encrypt its files to (without one its cards wait too).
   */
  async routing(): Promise<
    Array<{
      regimeCode: string;
      vendorPartnerId: string | null;
      vendorLogin: string | null;
      vendorHasRecipient: boolean;
    }>
  > {
    const { rows } = await run<{
      regimeCode: string;
      vendorPartnerId: string | null;
      vendorLogin: string | null;
      vendorHasRecipient: boolean;
    }>(
      this.dataSource.manager,
      `SELECT x.code AS "regimeCode", x.vendor AS "vendorPartnerId", v.login AS "vendorLogin", v.age_recipient IS NOT NULL AS "vendorHasRecipient"
         FROM (SELECT r.code::text AS code, ${VENDOR_FOR_REGIME('r.code')} AS vendor FROM regime r) x
         LEFT JOIN vendor_profile v ON v.partner_id = x.vendor
        ORDER BY x.code`,
    );
    return rows;
  }

  /**
   * Up to `limit` ordered cards of these regimes not yet in a batch, oldest orders first, with their request;
   * both rows locked, rows another builder holds skipped (two builders never pick the same card).
   * The regimes' organismes are read first and the cards filtered on those codes as `character` (the column's type,
   * so the planner uses its statistics): joined to organisme on a text comparison, the planner believed a tenth of
   * the ordered cards qualified and joined and sorted them all for each batch; now it reads the requests in pick
   * order (card_request_ordered_in_pick_order) and stops at `limit`.
   */
  async pickOrdered(em: EntityManager, regimeCodes: string[], limit: number): Promise<PickedCard[]> {
    const { rows: organismes } = await run<{ code: string }>(
      em,
      `SELECT code FROM organisme WHERE regime_code = ANY($1::text[])`,
      [regimeCodes],
    );
    if (organismes.length === 0) return [];
    const { rows } = await run<PickedCard>(
      em,
      `SELECT c.id AS "cardId", r.id AS "requestId", r.organisme_code AS "organismeCode"
         FROM card_request r
         JOIN card c ON c.id = r.card_id
        WHERE r.status = 'ordered' AND c.state = 'ordered' AND c.batch_id IS NULL AND c.serial IS NULL
          AND c.organisme_code = ANY($1::bpchar[])
        ORDER BY r.status_changed_at, r.id
        LIMIT $2
        FOR UPDATE OF r, c SKIP LOCKED`,
      [organismes.map((o) => o.code), limit],
    );
    return rows;
  }

  /** Ordered cards (with a request) of these regimes: those no vendor takes wait and show as stuck. */
  async countOrdered(regimeCodes: string[]): Promise<number> {
    if (regimeCodes.length === 0) return 0;
    const { rows } = await run<{ n: number }>(
      this.dataSource.manager,
      `SELECT count(*)::int AS n FROM card_request r JOIN card c ON c.id = r.card_id JOIN organisme o ON o.code = c.organisme_code
        WHERE r.status = 'ordered' AND c.state = 'ordered' AND c.batch_id IS NULL AND o.regime_code = ANY($1::text[])`,
      [regimeCodes],
    );
    return rows[0].n;
  }

  async insertBatch(
    em: EntityManager,
    vendorPartnerId: string,
    cardCount: number,
  ): Promise<{ id: string; batchNumber: string; createdAt: Date }> {
    const { rows } = await run<{ id: string; batchNumber: string; createdAt: Date }>(
      em,
      `INSERT INTO personalisation_batch (batch_number, vendor_partner_id, card_count)
       VALUES (nextval('personalisation_batch_seq'), $1, $2)
       RETURNING id, batch_number::text AS "batchNumber", created_at AS "createdAt"`,
      [vendorPartnerId, cardCount],
    );
    return rows[0];
  }

  async find(batchId: string): Promise<BatchRow | null> {
    const { rows } = await run<BatchRow>(
      this.dataSource.manager,
      `SELECT ${BATCH_COLUMNS} FROM personalisation_batch b JOIN vendor_profile v ON v.partner_id = b.vendor_partner_id WHERE b.id = $1`,
      [batchId],
    );
    return rows[0] ?? null;
  }

  async list(limit: number, beforeNumber?: string): Promise<BatchRow[]> {
    const { rows } = await run<BatchRow>(
      this.dataSource.manager,
      `SELECT ${BATCH_COLUMNS} FROM personalisation_batch b JOIN vendor_profile v ON v.partner_id = b.vendor_partner_id
        WHERE ($1::bigint IS NULL OR b.batch_number < $1) ORDER BY b.batch_number DESC LIMIT $2`,
      [beforeNumber ?? null, limit],
    );
    return rows;
  }

  /** The batch's cards per state now (the console's batch page). */
  async cardStates(batchId: string): Promise<{ state: string; cards: number }[]> {
    const { rows } = await run<{ state: string; cards: number }>(
      this.dataSource.manager,
      `SELECT state::text AS state, count(*)::int AS cards FROM card WHERE batch_id = $1 GROUP BY 1 ORDER BY 1`,
      [batchId],
    );
    return rows;
  }

  /**
   * What the batch file holds, by serial: the card, its holder as the register has it, the chip photo of the
   * request that ordered it. Read again on every write, so a rewrite gives the same records.
   */
  async records(batchId: string): Promise<BatchRecordRow[]> {
    const { rows } = await run<BatchRecordRow>(
      this.dataSource.manager,
      `SELECT c.serial::text AS serial, b.nir, b.birth_name AS "birthName", b.usage_name AS "usageName", b.first_name AS "firstName",
              b.birth_date::text AS "birthDate", b.address_lines AS "addressLines", c.organisme_code AS "organismeCode",
              c.data_version AS "dataVersion", p.chip_key AS "chipKey"
         FROM card c
         JOIN beneficiary b ON b.id = c.beneficiary_id
         LEFT JOIN card_request r ON r.card_id = c.id
         LEFT JOIN photo p ON p.id = r.photo_id
        WHERE c.batch_id = $1
        ORDER BY c.serial`,
      [batchId],
    );
    return rows;
  }

  /** allocated → written, once, with the file's format and hashes (published bytes; clear bytes for perso/2). */
  async markWritten(
    em: EntityManager,
    batchId: string,
    f: { fileName: string; sha256: string; persoVersion: number; plaintextSha256: string | null },
  ): Promise<boolean> {
    return (
      (
        await run(
          em,
          `UPDATE personalisation_batch SET status = 'written', file_name = $2, sha256 = $3, perso_version = $4, plaintext_sha256 = $5, written_at = now()
        WHERE id = $1 AND status = 'allocated'`,
          [batchId, f.fileName, f.sha256, f.persoVersion, f.plaintextSha256],
        )
      ).count === 1
    );
  }

  /**
   * Returned batches whose file is still in the outbox and that have been done for longer than `retentionDays`:
   * written before the cut-off and none of their cards changed state since (the last card's return is the
   * moment the batch became returned; a later change of a card only keeps the file longer). By batch number,
   * after `afterNumber`.
   */
  async filesPastRetention(
    retentionDays: number,
    afterNumber: string,
    limit: number,
  ): Promise<Array<{ id: string; batchNumber: string; vendorLogin: string; fileName: string }>> {
    const { rows } = await run<{ id: string; batchNumber: string; vendorLogin: string; fileName: string }>(
      this.dataSource.manager,
      `SELECT b.id, b.batch_number::text AS "batchNumber", v.login AS "vendorLogin", b.file_name AS "fileName"
         FROM personalisation_batch b JOIN vendor_profile v ON v.partner_id = b.vendor_partner_id
        WHERE b.status = 'returned' AND b.file_purged_at IS NULL AND b.file_name IS NOT NULL
          AND b.written_at < now() - make_interval(days => $1) AND b.batch_number > $2::bigint
          AND NOT EXISTS (SELECT 1 FROM card c WHERE c.batch_id = b.id AND c.state_changed_at >= now() - make_interval(days => $1))
        ORDER BY b.batch_number LIMIT $3`,
      [retentionDays, afterNumber, limit],
    );
    return rows;
  }

  /** Records that these returned batches' files are gone; returns how many rows changed. */
  async markFilesPurged(em: EntityManager, batchIds: string[]): Promise<number> {
    if (batchIds.length === 0) return 0;
    return (
      await run(
        em,
        `UPDATE personalisation_batch SET file_purged_at = now() WHERE id = ANY($1::uuid[]) AND status = 'returned' AND file_purged_at IS NULL`,
        [batchIds],
      )
    ).count;
  }

  /** written → returned for the batches none of whose cards is still at the vendor. */
  async markBatchesReturned(em: EntityManager, batchIds: string[]): Promise<string[]> {
    if (batchIds.length === 0) return [];
    const { rows } = await run<{ id: string }>(
      em,
      `UPDATE personalisation_batch b SET status = 'returned'
        WHERE b.id = ANY($1::uuid[]) AND b.status = 'written'
          AND NOT EXISTS (SELECT 1 FROM card c WHERE c.batch_id = b.id AND c.state = 'in_personalisation')
        RETURNING b.id`,
      [batchIds],
    );
    return rows.map((r) => r.id);
  }
}
