import { Injectable, Logger } from '@nestjs/common';
import { Transactions } from '../platform/database/transactions.js';
import { AppConfig } from '../config/app-config.js';
import type { Actor } from '../platform/auth/actor.js';
import { systemActor } from '../platform/auth/actor.js';
import { AuditRecord, AuditService } from '../platform/audit/audit.service.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { RegisterErrors } from './register.errors.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { purgeInChunks } from '../platform/jobs/purge-in-chunks.js';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import { BENEFICIARY_ENTITY } from './beneficiaries.service.js';
import { BulkImportStatus } from './bulk-import.entity.js';
import { BeneficiaryRepository, RefusedRow, StagedChange } from './beneficiary.repository.js';
import { BulkImportRepository } from './bulk-import.repository.js';
import type { ImportAcceptedView, ImportRejectPage, ImportView } from './dto/bulk-import.dto.js';
import {
  decodeUtf8,
  formatOf,
  IMPORT_FORMAT_VERSION,
  ImportFileError,
  ImportFormat,
  ImportReject,
  inspectImport,
  parseImport,
  ParsedImport,
} from './import-parser.js';
import { RegisterClock } from './register-clock.js';
import { AttachmentImportsService } from './attachment-imports.service.js';
import { isUuid } from '../platform/validation/ids.js';

const AUDIT_CHUNK = 500;
/** Imports deleted per transaction (their rejects go with them). */
const PURGE_CHUNK = 100;
const IMPORT_ENTITY = 'bulk_import';

const importNotFound = RegisterErrors.IMPORT_NOT_FOUND;

/**
 * Bulk files of insured persons: the upload is checked as a whole and stored with its job in one transaction;
 * the job validates every line and writes the good ones in one transaction (all or nothing, so a retry after a
 * crash starts over cleanly), reporting the bad ones by line.
 */
@Injectable()
export class BulkImportsService {
  private readonly logger = new Logger('register');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: BulkImportRepository,
    private readonly register: BeneficiaryRepository,
    private readonly jobs: JobsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: RegisterClock,
    private readonly attachmentImports: AttachmentImportsService,
  ) {}

  async upload(actor: Actor, contentType: string | undefined, body: unknown): Promise<ImportAcceptedView> {
    if (actor.kind !== PartnerKind.Fund || !actor.organismeCode) throw PlatformErrors.FUND_ONLY();
    const organismeCode = actor.organismeCode;
    const format = formatOf(contentType);
    if (!format || !Buffer.isBuffer(body)) {
      throw RegisterErrors.IMPORT_MEDIA_TYPE();
    }
    const totalRows = this.inspect(format, body);
    return this.tx.run(async (em) => {
      const id = await this.repo.insert(em, {
        organismeCode,
        partnerId: actor.partnerId!,
        format,
        payload: body,
        totalRows,
        requestId: actor.requestId,
      });
      await this.jobs.send(em, JobName.RegisterBulkImport, { importId: id });
      await this.audit.record(em, actor, {
        action: 'bulk-import.received',
        entityType: IMPORT_ENTITY,
        entityId: id,
        organismeCode,
        details: { format, totalRows, bytes: body.length },
      });
      return {
        id,
        status: BulkImportStatus.Pending,
        format,
        version: IMPORT_FORMAT_VERSION,
        totalRows,
        location: `/v1/beneficiaries/imports/${id}`,
      };
    });
  }

  private inspect(format: ImportFormat, body: Buffer): number {
    try {
      return inspectImport(format, decodeUtf8(body), this.config.bulkImportMaxRows);
    } catch (e) {
      if (e instanceof ImportFileError) throw RegisterErrors[e.code](e.message);
      throw e;
    }
  }

  async get(actor: Actor, id: string): Promise<ImportView> {
    if (!isUuid(id)) throw importNotFound();
    const found = await this.repo.find(ownerScope(actor), id);
    if (!found) throw importNotFound();
    return found;
  }

  async rejects(actor: Actor, id: string, after = 0, limit = 500): Promise<ImportRejectPage> {
    if (!isUuid(id)) throw importNotFound();
    const items = await this.repo.listRejects(ownerScope(actor), id, after, limit);
    if (!items) throw importNotFound();
    return { items, next: items.length === limit ? items[items.length - 1].line : null };
  }

  /** The job: a finished import is left alone, so a redelivered job does nothing twice. */
  async process(importId: string): Promise<void> {
    const job = await this.repo.loadForJob(importId);
    if (!job || job.status === BulkImportStatus.Done || job.status === BulkImportStatus.Failed) return;
    if (job.kind === 'attachments') return this.attachmentImports.process(job);
    const started = Date.now();
    if (!job.payload) {
      await this.repo.recordFailure(importId, 'PAYLOAD_MISSING', true);
      return;
    }
    await this.repo.markProcessing(importId);
    const actor: Actor = {
      kind: PartnerKind.Fund,
      partnerId: job.partnerId,
      organismeCode: job.organismeCode,
      apiKeyId: null,
      requestId: job.requestId,
    };
    const today = this.clock.today();
    let parsed: ParsedImport;
    try {
      parsed = parseImport(job.format, decodeUtf8(job.payload), today);
    } catch (e) {
      if (!(e instanceof ImportFileError)) throw e;
      await this.tx.run(async (em) => {
        if ((await this.repo.lockStatus(em, importId)) === BulkImportStatus.Done) return;
        await this.repo.finish(em, importId, BulkImportStatus.Failed, {
          total: 0,
          created: 0,
          updated: 0,
          rejected: 0,
          failure: e.code,
        });
        await this.audit.record(em, actor, {
          action: 'bulk-import.failed',
          entityType: IMPORT_ENTITY,
          entityId: importId,
          organismeCode: job.organismeCode,
          details: { failure: e.code },
        });
      });
      return;
    }

    try {
      const counts = await this.tx.run(async (em) => {
        const status = await this.repo.lockStatus(em, importId);
        if (status !== BulkImportStatus.Pending && status !== BulkImportStatus.Processing) return null;
        let created = 0,
          updated = 0,
          refused: RefusedRow[] = [],
          changes: StagedChange[] = [];
        if (parsed.rows.length > 0) {
          await this.register.stageImport(em, parsed.rows);
          await this.register.classifyImport(em, job.organismeCode, today);
          ({ created, updated, refused, changes } = await this.register.applyImport(em, job.organismeCode));
        }
        const rejects = [...parsed.rejects, ...refused.map((r) => refusal(r, job.format))].sort(
          (a, b) => a.line - b.line,
        );
        await this.repo.insertRejects(em, importId, rejects);
        const c = { total: parsed.total, created, updated, rejected: rejects.length };
        await this.repo.finish(em, importId, BulkImportStatus.Done, c);
        for (let i = 0; i < changes.length; i += AUDIT_CHUNK) {
          await this.audit.record(
            em,
            actor,
            ...changes.slice(i, i + AUDIT_CHUNK).map((ch) => changeRecord(ch, importId, job.organismeCode)),
          );
        }
        await this.audit.record(em, actor, {
          action: 'bulk-import.processed',
          entityType: IMPORT_ENTITY,
          entityId: importId,
          organismeCode: job.organismeCode,
          details: { totalRows: c.total, createdRows: c.created, updatedRows: c.updated, rejectedRows: c.rejected },
        });
        return c;
      });
      if (counts) this.logger.log({ msg: 'bulk import processed', importId, ...counts, ms: Date.now() - started });
    } catch (e) {
      const failure = this.repo.failureOf(e);
      this.logger.error({ msg: 'bulk import run failed; the job will be retried', importId, failure });
      await this.repo.recordFailure(importId, failure, false).catch(() => undefined);
      // Not the cause: the database's message quotes the row's values (a NIR), and the job keeps its error.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`bulk import ${importId} failed: ${failure}`);
    }
  }

  /** Drops import reports past their retention, in chunks; one audit entry per chunk. */
  async purge(retentionDays: number): Promise<number> {
    // Each chunk and its audit entry in one transaction.
    return purgeInChunks(PURGE_CHUNK, (limit) =>
      this.tx.run(async (em) => {
        const deleted = await this.repo.purge(em, retentionDays, limit);
        if (deleted > 0) {
          await this.audit.record(em, systemActor(), {
            action: 'bulk-import.purged',
            entityType: IMPORT_ENTITY,
            entityId: 'retention',
            details: { deleted, retentionDays },
          });
        }
        return deleted;
      }),
    );
  }
}

/** A fund reaches only its organisme's imports; an operator reaches all of them. */
function ownerScope(actor: Actor): string | null {
  if (actor.kind === PartnerKind.Fund) {
    if (!actor.organismeCode) throw importNotFound();
    return actor.organismeCode;
  }
  return null;
}

function refusal(r: RefusedRow, format: ImportFormat): ImportReject {
  return r.reason === 'elsewhere'
    ? {
        line: r.line,
        code: 'BENEFICIARY_AFFILIATED_ELSEWHERE',
        field: 'nir',
        message: 'the NIR is affiliated to another organisme',
      }
    : {
        line: r.line,
        code: 'AFFILIATION_OVERLAP',
        field: format === 'csv' ? 'affiliated_from' : 'affiliatedFrom',
        message: 'the affiliation start falls within a previous affiliation of this NIR',
      };
}

function changeRecord(ch: StagedChange, importId: string, organismeCode: string): AuditRecord {
  const action =
    ch.action === 'create'
      ? 'beneficiary.created'
      : ch.action === 'update'
        ? 'beneficiary.updated'
        : 'beneficiary.reaffiliated';
  return {
    action,
    entityType: BENEFICIARY_ENTITY,
    entityId: ch.beneficiaryId,
    organismeCode,
    details: ch.action === 'create' ? { importId } : { importId, fields: ch.changed ?? [] },
  };
}
