import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PhotoStore } from '../../photo/photo-store.js';
import { systemActor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { SigningService } from '../../platform/crypto/signing.service.js';
import { SftpFolders } from '../../platform/sftp/sftp-folders.js';
import { VENDOR_OUTBOX } from '../vendors/vendor-folders.js';
import { BatchRepository, type BatchRecordRow } from './batch.repository.js';
import { BatchStatus } from './personalisation-batch.entity.js';
import { buildPersoFile, persoFileName, PERSO_FORMAT, PERSO_VERSION, type PersoRecord } from './personalisation-file.js';

/** Photos read at once while a file is built (they are small; this only hides the disk latency). */
const PHOTO_READ_CONCURRENCY = 16;

export interface PersoSignature {
  format: string;
  file: string;
  sha256: string;
  keyId: string;
  algorithm: 'Ed25519';
  signature: string;
}

/**
 * Step 5, second half: one allocated batch → `PERSO_<n>.txt` and its detached signature `PERSO_<n>.txt.sig` in
 * the vendor's outbox. Everything comes from the database (produced-at is the batch's allocation time, records
 * by serial), so a rerun after a crash writes the very same bytes; files appear by rename, the signature first.
 */
@Injectable()
export class BatchFileService {
  private readonly logger = new Logger('emission.personalisation');

  constructor(
    private readonly dataSource: DataSource,
    private readonly repo: BatchRepository,
    private readonly photos: PhotoStore,
    private readonly signing: SigningService,
    private readonly folders: SftpFolders,
    private readonly audit: AuditService,
  ) {}

  async write(batchId: string): Promise<{ fileName: string; sha256: string } | null> {
    const batch = await this.repo.find(batchId);
    if (!batch) {
      this.logger.warn({ msg: 'batch to write not found', batchId });
      return null;
    }
    // Already written (a retry or a re-injection): the file is there and the vendor may have taken it.
    if (batch.status !== BatchStatus.Allocated) return null;
    const rows = await this.repo.records(batchId);
    if (rows.length !== batch.cardCount) throw new Error(`batch ${batch.batchNumber}: ${rows.length} cards found, ${batch.cardCount} allocated`);
    const records = await this.withPhotos(rows);
    const bytes = buildPersoFile({ batchNumber: batch.batchNumber, vendorLogin: batch.vendorLogin, producedAt: batch.createdAt, recordCount: records.length }, records);
    const fileName = persoFileName(batch.batchNumber);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const signature: PersoSignature = { format: `${PERSO_FORMAT}/${PERSO_VERSION}`, file: fileName, sha256, ...this.signing.sign(bytes) };
    // The signature first: a vendor that sees the file can always fetch its signature.
    await this.folders.publish(batch.vendorLogin, VENDOR_OUTBOX, `${fileName}.sig`, JSON.stringify(signature, null, 2) + '\n');
    await this.folders.publish(batch.vendorLogin, VENDOR_OUTBOX, fileName, bytes);
    await this.dataSource.transaction(async (em) => {
      if (!(await this.repo.markWritten(em, batchId, fileName, sha256))) return;
      await this.audit.record(em, systemActor(), {
        action: 'personalisation_batch.write', entityType: 'personalisation_batch', entityId: batchId,
        details: { batchNumber: batch.batchNumber, fileName, sha256, cardCount: records.length, keyId: signature.keyId },
      });
    });
    this.logger.log({ msg: 'personalisation file written', batchNumber: batch.batchNumber, vendor: batch.vendorLogin, cards: records.length, bytes: bytes.length });
    return { fileName, sha256 };
  }

  private async withPhotos(rows: BatchRecordRow[]): Promise<PersoRecord[]> {
    const out: PersoRecord[] = new Array(rows.length);
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const i = next++;
        const r = rows[i];
        if (!r.chipKey) throw new Error(`batch card ${r.serial} has no chip photo`);
        out[i] = { ...r, chipPhoto: await this.photos.get(r.chipKey) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(PHOTO_READ_CONCURRENCY, rows.length) }, worker));
    return out;
  }
}
