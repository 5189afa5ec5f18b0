import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../../platform/database/transactions.js';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import { JobName } from '../../platform/jobs/job-catalogue.js';
import { JobsService } from '../../platform/jobs/jobs.service.js';
import { isIncompleteName } from '../../platform/sftp/sftp-account.js';
import { SftpFolders } from '../../platform/sftp/sftp-folders.js';
import { SFTP_MAX_UPLOAD_BYTES } from '../../platform/sftp/sftp-session.js';
import { VENDOR_INBOX, VENDOR_OUTBOX } from '../vendors/vendor-folders.js';
import { VendorsService } from '../vendors/vendors.service.js';
import { ReturnFileRepository, type ReturnFileSummary } from './return-file.repository.js';
import { rejectFileName } from './return-file.js';

/** Received files, kept by content under the vendor's hidden area (the inbox copy is removed once registered). */
export const RECEIVED_AREA = 'received';
/** The scan leaves alone files changed this recently: a client may still be writing under the final name. */
const SCAN_QUIET_MS = 60_000;

export const vendorActor = (partnerId: string): Actor => ({
  kind: PartnerKind.PersonalisationVendor,
  partnerId,
  organismeCode: null,
  apiKeyId: null,
  requestId: null,
});

/**
 * Takes return files in from the vendors' inboxes: copy kept by SHA-256, one vendor_return_file row per distinct
 * content (ON CONFLICT DO NOTHING: the same bytes twice change nothing) and the ingestion job, both in one
 * transaction; then the inbox copy goes. A crash anywhere leaves the file in the inbox for the next scan.
 */
@Injectable()
export class ReturnIntakeService {
  private readonly logger = new Logger('emission.returns');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: ReturnFileRepository,
    private readonly vendors: VendorsService,
    private readonly folders: SftpFolders,
    private readonly jobs: JobsService,
    private readonly audit: AuditService,
  ) {}

  /** Return files, newest first, received before the file `before` (the console's list). */
  files(limit: number, before: string | null): Promise<(ReturnFileSummary & { vendorLogin: string })[]> {
    return this.repo.page(limit, before);
  }

  /**
   * One return file and its reject lines (line number, code, message): those kept with the file at ingestion (the
   * first REJECT_LINES_KEPT; `rejectsTruncated` when there were more, all in the reject file); for a file ingested
   * before they were kept, read from the reject file in the vendor's outbox, null once the vendor has taken it away.
   */
  async file(id: string): Promise<
    | (ReturnFileSummary & {
        vendorLogin: string;
        rejectFile: string;
        rejects: { line: number; code: string; message: string | null }[] | null;
        rejectsTruncated: boolean;
      })
    | null
  > {
    const row = await this.repo.find(id);
    if (!row) return null;
    const { rejectLines, ...found } = row;
    const rejectFile = rejectFileName(found.fileName);
    if (rejectLines) {
      const rejects = rejectLines.map((r) => ({ line: r.line, code: r.code, message: r.message }));
      return { ...found, rejectFile, rejects, rejectsTruncated: found.rejectedCount > rejects.length };
    }
    const read = await this.folders.read(found.vendorLogin, VENDOR_OUTBOX, rejectFile, SFTP_MAX_UPLOAD_BYTES);
    const rejects = read
      ? read.data
          .toString('utf8')
          .split('\n')
          .filter((l) => l.startsWith('E|'))
          .map((l) => {
            const [, line, code] = l.split('|');
            return { line: Number(line), code, message: null };
          })
      : null;
    return { ...found, rejectFile, rejects, rejectsTruncated: false };
  }

  /** One complete file in a vendor's inbox. Returns the new return file's id, or null (same content already received). */
  async register(vendor: { partnerId: string; login: string }, name: string): Promise<string | null> {
    if (isIncompleteName(name)) return null;
    const file = await this.folders.read(vendor.login, VENDOR_INBOX, name, SFTP_MAX_UPLOAD_BYTES);
    if (!file) return null;
    const sha256 = createHash('sha256').update(file.data).digest('hex');
    await this.folders.keep(vendor.login, RECEIVED_AREA, sha256, file.data);
    const id = await this.tx.run(async (em) => {
      const inserted = await this.repo.insertReceived(em, {
        vendorPartnerId: vendor.partnerId,
        fileName: name,
        sha256,
      });
      if (!inserted) return null;
      await this.jobs.send(em, JobName.EmissionIngestReturnFile, { returnFileId: inserted });
      await this.audit.record(em, vendorActor(vendor.partnerId), {
        action: 'vendor_return_file.receive',
        entityType: 'vendor_return_file',
        entityId: inserted,
        details: { fileName: name, sha256, bytes: file.data.length },
      });
      return inserted;
    });
    await this.folders.removeIfUnchanged(vendor.login, VENDOR_INBOX, name, file.facts);
    this.logger.log({
      msg: id ? 'return file received' : 'return file already received (same content): ignored',
      vendor: vendor.login,
      fileName: name,
      returnFileId: id,
    });
    return id;
  }

  /**
   * Deletes unfinished uploads (`*.part`, `*.tmp`) untouched for `olderThanHours` from every vendor's inbox,
   * active or not (EmissionPurgePartialUploads): they count against the inbox quota and nothing takes them in.
   */
  async purgeAbandonedUploads(olderThanHours: number): Promise<number> {
    const cutoffMs = Date.now() - olderThanHours * 3_600_000;
    let removed = 0;
    for (const vendor of await this.vendors.allVendors()) {
      try {
        removed += await this.folders.removeIncompleteBefore(vendor.login, VENDOR_INBOX, cutoffMs);
      } catch (e) {
        this.logger.error({
          msg: 'abandoned uploads could not be deleted',
          vendor: vendor.login,
          err: (e as Error).message,
        });
      }
    }
    return removed;
  }

  /** The safety net (EmissionScanInboxes): complete, settled files left in any active vendor's inbox. */
  async scan(): Promise<number> {
    return (await this.sweep()).registered;
  }

  /**
   * As `scan`, also saying when the soonest complete file left alone as too fresh settles, so a follow-up scan can
   * take it then rather than at the next cron (a file whose arrival was never announced, the instance having died
   * just after the client's rename, is taken in about a minute after it was written).
   */
  async sweep(): Promise<{ registered: number; settlesAt: Date | null }> {
    let registered = 0;
    let settlesAt: number | null = null;
    const settled = Date.now() - SCAN_QUIET_MS;
    for (const vendor of await this.vendors.activeVendors()) {
      for (const f of await this.folders.list(vendor.login, VENDOR_INBOX)) {
        if (isIncompleteName(f.name)) continue;
        if (f.mtimeMs > settled) {
          settlesAt = Math.min(settlesAt ?? Infinity, f.mtimeMs + SCAN_QUIET_MS);
          continue;
        }
        try {
          if (await this.register(vendor, f.name)) registered += 1;
        } catch (e) {
          this.logger.error({
            msg: 'inbox file could not be registered',
            vendor: vendor.login,
            fileName: f.name,
            err: (e as Error).message,
          });
        }
      }
    }
    return { registered, settlesAt: settlesAt === null ? null : new Date(settlesAt) };
  }

  /** Of these kept copies of a vendor's files (by SHA-256), those processed more than `retentionDays` ago. */
  processedBefore(vendorPartnerId: string, sha256s: string[], retentionDays: number): Promise<string[]> {
    return this.repo.processedBefore(vendorPartnerId, sha256s, retentionDays);
  }

  /** Records, in the caller's transaction, that these kept copies are gone; returns how many rows changed. */
  markCopiesPurgedIn(em: EntityManager, vendorPartnerId: string, sha256s: string[]): Promise<number> {
    return this.repo.markCopiesPurged(em, vendorPartnerId, sha256s);
  }
}
