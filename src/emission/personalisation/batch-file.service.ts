import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../../platform/database/transactions.js';
import { PhotoStore } from '../../photo/photo-store.js';
import { systemActor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { SigningService } from '../../platform/crypto/signing.service.js';
import { SftpFolders } from '../../platform/sftp/sftp-folders.js';
import { encryptToRecipient } from '../vendors/vendor-age.js';
import { VENDOR_OUTBOX } from '../vendors/vendor-folders.js';
import { type BatchRow, BatchRepository, type BatchRecordRow } from './batch.repository.js';
import { BatchStatus } from './personalisation-batch.entity.js';
import {
  encryptedPersoFileName,
  persoChunks,
  persoFileName,
  PERSO_FORMAT,
  PERSO_VERSION,
  type PersoRecord,
} from './personalisation-file.js';

/** The detached signature `PERSO_<n>.txt.age.sig` (docs/formats/personalisation-file.md). */
export interface PersoSignature {
  format: string;
  /** The published, encrypted file. */
  file: string;
  /** SHA-256 of the encrypted bytes: what `signature` signs. */
  sha256: string;
  encryption: 'age';
  /** The vendor's age recipient the file was encrypted to. */
  recipient: string;
  /** The clear file inside, as the vendor names it once decrypted, and its SHA-256. */
  plaintextFile: string;
  plaintextSha256: string;
  keyId: string;
  algorithm: 'Ed25519';
  signature: string;
}

/**
 * Step 5, second half: one allocated batch → `PERSO_<n>.txt.age` (perso/2, encrypted to the vendor's age recipient)
 * and its detached signature `PERSO_<n>.txt.age.sig` in the vendor's outbox. The clear file is streamed from the
 * database and the photo store into the encryption, and only encrypted bytes reach the disk (staged under the
 * vendor's hidden staging area, then renamed into the outbox, the signature first). Everything comes from the
 * database (produced-at is the batch's allocation time, records by serial), so a rerun after a crash gives the same
 * clear content; the encrypted bytes differ (age draws a fresh file key each time), and both decrypt to it.
 * A vendor without an age recipient gets no file: the batch stays allocated until one is registered.
 */
@Injectable()
export class BatchFileService {
  private readonly logger = new Logger('emission.personalisation');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: BatchRepository,
    private readonly photos: PhotoStore,
    private readonly signing: SigningService,
    private readonly folders: SftpFolders,
    private readonly audit: AuditService,
  ) {}

  /** Batches, newest first, numbered below `before` (the console's list). */
  list(limit: number, before?: string): Promise<BatchRow[]> {
    return this.repo.list(limit, before);
  }

  /** One batch with its cards per state now; null when unknown. */
  async detail(id: string): Promise<(BatchRow & { cardStates: { state: string; cards: number }[] }) | null> {
    const batch = await this.repo.find(id);
    return batch ? { ...batch, cardStates: await this.repo.cardStates(id) } : null;
  }

  async write(batchId: string): Promise<{ fileName: string; sha256: string; plaintextSha256: string } | null> {
    const batch = await this.repo.find(batchId);
    if (!batch) {
      this.logger.warn({ msg: 'batch to write not found', batchId });
      return null;
    }
    // Already written (a retry or a re-injection): the file is there and the vendor may have taken it.
    if (batch.status !== BatchStatus.Allocated) return null;
    const recipient = batch.vendorAgeRecipient;
    if (!recipient) {
      // Never a clear file: the batch waits (stuck, re-injected, then flagged); registering the recipient queues it.
      this.logger.warn({
        msg: 'batch file not written: the vendor has no age recipient (PUT /v1/vendors/:id/age-recipient)',
        batchNumber: batch.batchNumber,
        vendor: batch.vendorLogin,
      });
      return null;
    }
    const rows = await this.repo.records(batchId);
    if (rows.length !== batch.cardCount)
      throw new Error(`batch ${batch.batchNumber}: ${rows.length} cards found, ${batch.cardCount} allocated`);
    const fileName = encryptedPersoFileName(batch.batchNumber);
    let plaintextSha256 = '';
    const clear = persoChunks(
      {
        batchNumber: batch.batchNumber,
        vendorLogin: batch.vendorLogin,
        producedAt: batch.createdAt,
        recordCount: rows.length,
      },
      this.withPhotos(rows),
      (digest) => (plaintextSha256 = digest),
    );
    const staged = await this.folders.stagingPath(batch.vendorLogin, fileName);
    let sha256: string;
    let keyId: string;
    try {
      await pipeline(await encryptToRecipient(recipient, clear), this.folders.openStagingStream(staged));
      // Read back to sign what is on disk (Ed25519 signs a whole message: no streaming).
      const bytes = await readFile(staged);
      sha256 = createHash('sha256').update(bytes).digest('hex');
      if (!plaintextSha256) throw new Error(`batch ${batch.batchNumber}: the clear file did not end`);
      const signature: PersoSignature = {
        format: `${PERSO_FORMAT}/${PERSO_VERSION}`,
        file: fileName,
        sha256,
        encryption: 'age',
        recipient,
        plaintextFile: persoFileName(batch.batchNumber),
        plaintextSha256,
        ...this.signing.sign(bytes),
      };
      keyId = signature.keyId;
      // The signature first: a vendor that sees the file can always fetch its signature.
      await this.folders.publish(
        batch.vendorLogin,
        VENDOR_OUTBOX,
        `${fileName}.sig`,
        JSON.stringify(signature, null, 2) + '\n',
      );
      await this.folders.publishStaged(batch.vendorLogin, VENDOR_OUTBOX, fileName, staged);
    } finally {
      await rm(staged, { force: true });
    }
    await this.tx.run(async (em) => {
      if (
        !(await this.repo.markWritten(em, batchId, {
          fileName,
          sha256,
          persoVersion: Number(PERSO_VERSION),
          plaintextSha256,
        }))
      )
        return;
      await this.audit.record(em, systemActor(), {
        action: 'personalisation_batch.write',
        entityType: 'personalisation_batch',
        entityId: batchId,
        details: {
          batchNumber: batch.batchNumber,
          fileName,
          format: `${PERSO_FORMAT}/${PERSO_VERSION}`,
          sha256,
          plaintextSha256,
          recipient,
          cardCount: rows.length,
          keyId,
        },
      });
    });
    this.logger.log({
      msg: 'personalisation file written',
      batchNumber: batch.batchNumber,
      vendor: batch.vendorLogin,
      cards: rows.length,
    });
    return { fileName, sha256, plaintextSha256 };
  }

  /**
   * The records with their chip photos, in order. Each photo is read synchronously (PhotoStore.getSync): 5,000 small
   * files in a row cost about a third less CPU than with asynchronous reads (measured: ~1.5 → ~1.0 s per 5,000-card
   * file), and the file writer is the emission chain's slowest step while batches are built.
   */
  private async *withPhotos(rows: BatchRecordRow[]): AsyncGenerator<PersoRecord> {
    for (const r of rows) {
      if (!r.chipKey) throw new Error(`batch card ${r.serial} has no chip photo`);
      yield { ...r, chipPhoto: this.photos.getSync(r.chipKey) };
    }
  }

  /** Returned batches whose files are past their retention (see VendorFileRetentionJobs), by batch number. */
  filesPastRetention(
    retentionDays: number,
    afterNumber: string,
    limit: number,
  ): Promise<Array<{ id: string; batchNumber: string; vendorLogin: string; fileName: string }>> {
    return this.repo.filesPastRetention(retentionDays, afterNumber, limit);
  }

  /** Records, in the caller's transaction, that these returned batches' files are gone; returns how many rows changed. */
  markFilesPurgedIn(em: EntityManager, batchIds: string[]): Promise<number> {
    return this.repo.markFilesPurged(em, batchIds);
  }

  /** After a return file, in its transaction: written → returned for the batches none of whose cards is still at the vendor. */
  markReturnedIn(em: EntityManager, batchIds: string[]): Promise<string[]> {
    return this.repo.markBatchesReturned(em, batchIds);
  }
}
