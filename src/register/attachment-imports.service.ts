import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { type AuditRecord, AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { isUuid } from '../platform/validation/ids.js';
import {
  ATTACHMENTS_FORMAT_VERSION,
  inspectAttachments,
  parseAttachments,
  type ParsedAttachments,
} from './attachment-import-parser.js';
import { BENEFICIARY_ENTITY } from './beneficiaries.service.js';
import { BulkImportStatus } from './bulk-import.entity.js';
import { BulkImportRepository, type ImportJobRow } from './bulk-import.repository.js';
import type { ImportAcceptedView, ImportRejectPage, ImportView } from './dto/bulk-import.dto.js';
import { FamiliesService } from './families.service.js';
import { decodeUtf8, formatOf, ImportFileError, type ImportFormat, type ImportReject } from './import-parser.js';
import { RegisterClock } from './register-clock.js';
import { RegisterErrors } from './register.errors.js';

const IMPORT_ENTITY = 'bulk_import';
const AUDIT_CHUNK = 500;
const importNotFound = RegisterErrors.IMPORT_NOT_FOUND;

/** Where a refused line's code points in the file, by format (the rest name their own field). */
const FIELD_OF_CODE = new Map<string, { csv: string; ndjson: string } | null>([
  [RegisterErrors.PARENT_NOT_MANAGED.code, { csv: 'parent_nir', ndjson: 'parentNir' }],
  [RegisterErrors.DEPENDANT_INSURED.code, { csv: 'dependant_nir', ndjson: 'dependantNir' }],
  [RegisterErrors.DEPENDANT_IDENTITY_MISMATCH.code, { csv: 'birth_date', ndjson: 'birthDate' }],
  [RegisterErrors.BENEFICIARY_CONFLICT.code, { csv: 'dependant_nir', ndjson: 'dependantNir' }],
  [RegisterErrors.ATTACHMENT_SELF.code, { csv: 'dependant_nir', ndjson: 'dependantNir' }],
  [RegisterErrors.ATTACHMENT_EXISTS.code, { csv: 'valid_from', ndjson: 'validFrom' }],
  [RegisterErrors.ATTACHMENT_TWO_PARENTS.code, { csv: 'valid_from', ndjson: 'validFrom' }],
  [RegisterErrors.ATTACHMENT_PARENT_IS_DEPENDANT.code, { csv: 'parent_nir', ndjson: 'parentNir' }],
  [RegisterErrors.ATTACHMENT_DEPENDANT_IS_PARENT.code, { csv: 'dependant_nir', ndjson: 'dependantNir' }],
  [RegisterErrors.ATTACHMENT_DATES_INVALID.code, { csv: 'valid_to', ndjson: 'validTo' }],
  [RegisterErrors.DEPENDANTS_LIMIT.code, null],
]);

/**
 * Bulk files of attachments (attachments-import/1, docs/formats/attachments-import.md), on the beneficiaries
 * import's rails: the upload is checked whole and stored with its job in one transaction (bulk_import, kind
 * `attachments`); the job validates every line, then applies the good ones in ONE transaction, each line under a
 * savepoint so that a line the register refuses (a family rule, the per-card limit, a parent not the fund's) is
 * reported by line and the others are kept. A crash or a database failure rolls the whole file back and the job
 * is retried from the start: never half a file.
 */
@Injectable()
export class AttachmentImportsService {
  private readonly logger = new Logger('register');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: BulkImportRepository,
    private readonly families: FamiliesService,
    private readonly jobs: JobsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
    private readonly clock: RegisterClock,
  ) {}

  async upload(actor: Actor, contentType: string | undefined, body: unknown): Promise<ImportAcceptedView> {
    if (actor.kind !== PartnerKind.Fund || !actor.organismeCode) throw PlatformErrors.FUND_ONLY();
    const organismeCode = actor.organismeCode;
    const format = formatOf(contentType);
    if (!format || !Buffer.isBuffer(body)) throw RegisterErrors.IMPORT_MEDIA_TYPE();
    let totalRows: number;
    try {
      totalRows = inspectAttachments(format, decodeUtf8(body), this.config.bulkImportMaxRows);
    } catch (e) {
      if (e instanceof ImportFileError) throw RegisterErrors[e.code](e.message);
      throw e;
    }
    return this.tx.run(async (em) => {
      const id = await this.repo.insert(em, {
        organismeCode,
        partnerId: actor.partnerId!,
        format,
        payload: body,
        totalRows,
        requestId: actor.requestId,
        kind: 'attachments',
      });
      await this.jobs.send(em, JobName.RegisterBulkImport, { importId: id });
      await this.audit.record(em, actor, {
        action: 'bulk-import.received',
        entityType: IMPORT_ENTITY,
        entityId: id,
        organismeCode,
        details: { kind: 'attachments', format, totalRows, bytes: body.length },
      });
      return {
        id,
        status: BulkImportStatus.Pending,
        format,
        version: ATTACHMENTS_FORMAT_VERSION,
        totalRows,
        location: `/v1/attachments/imports/${id}`,
      };
    });
  }

  async get(actor: Actor, id: string): Promise<ImportView> {
    if (!isUuid(id)) throw importNotFound();
    const found = await this.repo.find(ownerScope(actor), id, 'attachments');
    if (!found) throw importNotFound();
    return found;
  }

  async rejects(actor: Actor, id: string, after = 0, limit = 500): Promise<ImportRejectPage> {
    if (!isUuid(id)) throw importNotFound();
    const items = await this.repo.listRejects(ownerScope(actor), id, after, limit, 'attachments');
    if (!items) throw importNotFound();
    return { items, next: items.length === limit ? items[items.length - 1].line : null };
  }

  /** The job's work for an attachments import (BulkImportsService.process hands it over by kind). */
  async process(job: ImportJobRow): Promise<void> {
    const started = Date.now();
    if (!job.payload) {
      await this.repo.recordFailure(job.id, 'PAYLOAD_MISSING', true);
      return;
    }
    await this.repo.markProcessing(job.id);
    const actor: Actor = {
      kind: PartnerKind.Fund,
      partnerId: job.partnerId,
      organismeCode: job.organismeCode,
      apiKeyId: null,
      requestId: job.requestId,
    };
    const today = this.clock.today();
    let parsed: ParsedAttachments;
    try {
      parsed = parseAttachments(job.format, decodeUtf8(job.payload), today);
    } catch (e) {
      if (!(e instanceof ImportFileError)) throw e;
      await this.tx.run(async (em) => {
        if ((await this.repo.lockStatus(em, job.id)) === BulkImportStatus.Done) return;
        await this.repo.finish(em, job.id, BulkImportStatus.Failed, {
          total: 0,
          created: 0,
          updated: 0,
          rejected: 0,
          failure: e.code,
        });
        await this.audit.record(em, actor, {
          action: 'bulk-import.failed',
          entityType: IMPORT_ENTITY,
          entityId: job.id,
          organismeCode: job.organismeCode,
          details: { failure: e.code },
        });
      });
      return;
    }

    try {
      const counts = await this.tx.run(async (em) => {
        const status = await this.repo.lockStatus(em, job.id);
        if (status !== BulkImportStatus.Pending && status !== BulkImportStatus.Processing) return null;
        const refused: ImportReject[] = [];
        const done: AuditRecord[] = [];
        for (const line of parsed.rows) {
          try {
            const r = await this.families.importLine(em, job.organismeCode, today, line);
            done.push({
              action: 'dependant.attached',
              entityType: BENEFICIARY_ENTITY,
              entityId: r.dependantId,
              organismeCode: job.organismeCode,
              details: { importId: job.id, attachmentId: r.attachmentId, created: r.created },
            });
          } catch (e) {
            if (!(e instanceof DomainError)) throw e;
            refused.push(lineRefusal(line.line, e, job.format));
          }
        }
        const rejects = [...parsed.rejects, ...refused].sort((a, b) => a.line - b.line);
        await this.repo.insertRejects(em, job.id, rejects);
        const c = { total: parsed.total, created: done.length, updated: 0, rejected: rejects.length };
        await this.repo.finish(em, job.id, BulkImportStatus.Done, c);
        for (let i = 0; i < done.length; i += AUDIT_CHUNK)
          await this.audit.record(em, actor, ...done.slice(i, i + AUDIT_CHUNK));
        await this.audit.record(em, actor, {
          action: 'bulk-import.processed',
          entityType: IMPORT_ENTITY,
          entityId: job.id,
          organismeCode: job.organismeCode,
          details: { kind: 'attachments', totalRows: c.total, createdRows: c.created, rejectedRows: c.rejected },
        });
        return c;
      });
      if (counts)
        this.logger.log({ msg: 'attachments import processed', importId: job.id, ...counts, ms: Date.now() - started });
    } catch (e) {
      const failure = this.repo.failureOf(e);
      this.logger.error({ msg: 'attachments import run failed; the job will be retried', importId: job.id, failure });
      await this.repo.recordFailure(job.id, failure, false).catch(() => undefined);
      // Not the cause: the database's message may quote the row's values (a NIR), and the job keeps its error.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`attachments import ${job.id} failed: ${failure}`);
    }
  }
}

function ownerScope(actor: Actor): string | null {
  if (actor.kind === PartnerKind.Fund) {
    if (!actor.organismeCode) throw importNotFound();
    return actor.organismeCode;
  }
  return null;
}

/** A line the register refused: its code, the column it points at, the register's message (never the data). */
function lineRefusal(line: number, e: DomainError, format: ImportFormat): ImportReject {
  const at = FIELD_OF_CODE.get(e.code);
  // The API's message speaks of births; a file's line names one parent.
  const message =
    e.code === RegisterErrors.PARENT_NOT_MANAGED.code
      ? 'the parent is not an insured of your organisme today'
      : e.message;
  return { line, code: e.code, field: at ? at[format] : null, message };
}
