import { Injectable, Logger } from '@nestjs/common';
import { lstat, readdir, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transactions } from '../platform/database/transactions.js';
import { AppConfig } from '../config/app-config.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobHandler } from '../platform/jobs/job-handler.decorator.js';
import { purgeInChunks } from '../platform/jobs/purge-in-chunks.js';
import { SftpFolders } from '../platform/sftp/sftp-folders.js';
import { SFTP_FILE_NAME } from '../platform/sftp/sftp-paths.js';
import { BatchFileService } from './personalisation/batch-file.service.js';
import { RECEIVED_AREA, ReturnIntakeService } from './returns/return-intake.service.js';
import { VENDOR_OUTBOX } from './vendors/vendor-folders.js';
import { VendorsService } from './vendors/vendors.service.js';

const DAY = 86_400;
const DAY_MS = DAY * 1000;
/** Batches (or kept copies) handled per round: files deleted, then their rows marked in one statement. */
const PURGE_BATCH = 500;
/** Reject files are `REJ_<return file name>` (see rejectFileName); personalisation files never start so. */
const REJECT_PREFIX = 'REJ_';
/** Kept return files are named by their SHA-256. */
const KEPT_NAME = /^[0-9a-f]{64}$/;

export interface VendorFilePurge {
  /** Batches whose file (and signature) went, and so were marked `file_purged_at`. */
  batches: number;
  /** Personalisation files and signatures deleted. */
  personalisationFiles: number;
  rejectFiles: number;
  returnCopies: number;
}

/**
 * Retention of the files exchanged with the personalisation vendors, VENDOR_FILE_RETENTION_DAYS after they are
 * done. Files go first, then the rows are marked: a run stopped in between deletes nothing twice (a missing
 * file counts as gone) and the next run marks the rows.
 *
 * - Personalisation file `PERSO_<n>.txt` and its `.sig`: only for a `returned` batch (every card came back), once
 *   it has been returned for longer than the retention — no card of the batch changed state since the cut-off
 *   (the last card's return is when the batch became returned) — and both files are older than the cut-off
 *   (mtime). An `allocated` or `written` batch keeps its file whatever its age. `file_purged_at` is then set.
 * - Reject files `REJ_*` in the outboxes: when their mtime is older than the cut-off.
 * - Kept copies `.received/<sha256>`: when their `vendor_return_file` row was processed (ingested or refused)
 *   before the cut-off; a copy whose row is still `received`, or that has no row, stays. `copy_purged_at` is set.
 *
 * Only plain files are removed, inside folders that resolve within the SFTP tree under DATA_DIR; a symbolic
 * link is never followed (nor removed).
 */
@Injectable()
export class VendorFileRetentionJobs {
  private readonly logger = new Logger('emission');

  constructor(
    private readonly tx: Transactions,
    private readonly batches: BatchFileService,
    private readonly returns: ReturnIntakeService,
    private readonly vendors: VendorsService,
    private readonly folders: SftpFolders,
    private readonly config: AppConfig,
  ) {}

  @JobHandler(JobName.EmissionPurgeVendorFiles)
  async purgeVendorFiles(): Promise<VendorFilePurge> {
    const retentionDays = this.config.vendorFileRetentionDays;
    const cutoffMs = Date.now() - retentionDays * DAY_MS;
    const out: VendorFilePurge = { batches: 0, personalisationFiles: 0, rejectFiles: 0, returnCopies: 0 };
    await this.purgeBatchFiles(retentionDays, cutoffMs, out);
    for (const vendor of await this.vendors.allVendors()) {
      await this.purgeRejectFiles(vendor.login, cutoffMs, out);
      await this.purgeReturnCopies(vendor, retentionDays, out);
    }
    // Counts only: never a vendor, a batch number or a file name.
    if (out.personalisationFiles + out.batches + out.rejectFiles + out.returnCopies > 0) {
      this.logger.log({ msg: 'vendor files purged', ...out, retentionDays });
    }
    return out;
  }

  private async purgeBatchFiles(retentionDays: number, cutoffMs: number, out: VendorFilePurge): Promise<void> {
    let after = '0';
    await purgeInChunks(PURGE_BATCH, async (limit) => {
      const batch = await this.batches.filesPastRetention(retentionDays, after, limit);
      if (batch.length === 0) return 0;
      after = batch[batch.length - 1].batchNumber;
      const done: string[] = [];
      for (const b of batch) {
        const dir = await this.folders.realFolder(b.vendorLogin, VENDOR_OUTBOX);
        if (!dir) continue; // no outbox, or not a plain directory inside the tree: left alone, looked at again next run
        const names = [b.fileName, `${b.fileName}.sig`];
        const states = await Promise.all(names.map((n) => fileState(dir, n, cutoffMs)));
        // Both files old (or already gone), else neither goes: a file touched within the retention stays.
        if (!states.every((s) => s === 'old' || s === 'missing')) continue;
        for (let i = 0; i < names.length; i++)
          if (states[i] === 'old' && (await removePlain(dir, names[i]))) out.personalisationFiles += 1;
        done.push(b.id);
      }
      out.batches += await this.tx.run((em) => this.batches.markFilesPurgedIn(em, done));
      return batch.length;
    });
  }

  private async purgeRejectFiles(login: string, cutoffMs: number, out: VendorFilePurge): Promise<void> {
    const dir = await this.folders.realFolder(login, VENDOR_OUTBOX);
    if (!dir) return;
    for (const f of await this.folders.list(login, VENDOR_OUTBOX)) {
      if (!f.name.startsWith(REJECT_PREFIX) || f.mtimeMs >= cutoffMs) continue;
      if ((await fileState(dir, f.name, cutoffMs)) === 'old' && (await removePlain(dir, f.name))) out.rejectFiles += 1;
    }
  }

  private async purgeReturnCopies(
    vendor: { partnerId: string; login: string },
    retentionDays: number,
    out: VendorFilePurge,
  ): Promise<void> {
    const dir = await realDirIn(this.folders.base, path.join(this.folders.root(vendor.login), `.${RECEIVED_AREA}`));
    if (!dir) return;
    const names = (await readdir(dir)).filter((n) => KEPT_NAME.test(n)).sort();
    for (let i = 0; i < names.length; i += PURGE_BATCH) {
      const processed = await this.returns.processedBefore(
        vendor.partnerId,
        names.slice(i, i + PURGE_BATCH),
        retentionDays,
      );
      const gone: string[] = [];
      for (const sha256 of processed) {
        if ((await fileState(dir, sha256, Infinity)) === 'keep') continue; // not a plain file: never followed
        if (await removePlain(dir, sha256)) out.returnCopies += 1;
        gone.push(sha256);
      }
      await this.tx.run((em) => this.returns.markCopiesPurgedIn(em, vendor.partnerId, gone));
    }
  }
}

/** 'old': a plain file last changed before the cut-off; 'missing': not there; 'keep': anything else. */
async function fileState(dir: string, name: string, cutoffMs: number): Promise<'old' | 'missing' | 'keep'> {
  if (!SFTP_FILE_NAME.test(name)) return 'keep';
  try {
    const st = await lstat(path.join(dir, name));
    return st.isFile() && st.mtimeMs < cutoffMs ? 'old' : 'keep';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
}

/** Removes a plain file of `dir` (checked again just before, never through a link); false when it was not there. */
async function removePlain(dir: string, name: string): Promise<boolean> {
  const file = path.join(dir, name);
  try {
    if (!(await lstat(file)).isFile()) return false;
    await unlink(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** The real path of a plain directory that resolves inside `base`, or null (missing, a link, or outside). */
async function realDirIn(base: string, dir: string): Promise<string | null> {
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) return null;
    const [real, realBase] = await Promise.all([realpath(dir), realpath(base)]);
    return real.startsWith(realBase + path.sep) ? real : null;
  } catch {
    return null;
  }
}
