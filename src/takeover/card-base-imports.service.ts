import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CardsService } from '../cards/cards.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import { isUuid } from '../platform/validation/ids.js';
import { CardBaseImportStatus } from './card-base-import.entity.js';
import { CARD_IMPORT_STAGE, CardBaseImportRepository, type ImportRow } from './card-base-import.repository.js';
import {
  CARD_BASE_FORMAT,
  CardBaseFileError,
  type CardBaseReject,
  type ParsedChunk,
  readCardBase,
} from './card-base-parser.js';
import { TakeoverErrors } from './takeover.errors.js';

const IMPORT_ENTITY = 'card_base_import';

/** A chunk being applied (CardBaseImportsService.applyChunk). */
interface InFlight {
  staged: Promise<void>;
  done: Promise<boolean>;
  lastLine: number;
  minSerial: number;
  maxSerial: number;
}

export interface CardImportView {
  id: string;
  format: string;
  status: CardBaseImportStatus;
  /** The resumable cursor: the last line committed (1, the header, before any). */
  lastLine: number;
  importedRows: number;
  unchangedRows: number;
  rejectedRows: number;
  sendings: number;
  interruption: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  rejects: string;
}

/** What one sending did, beside the import's totals. */
export interface CardImportSending extends CardImportView {
  /** Chunks this sending found already committed (an earlier sending of the same file) and skipped. */
  chunksSkipped: number;
  chunksCommitted: number;
}

/**
 * The card-base import: a card-base/1 file streamed in chunks of CARD_IMPORT_CHUNK_ROWS lines, each chunk staged
 * with COPY and applied in one transaction (all or nothing) with its rejects and the import's cursor. A sending of
 * the same file finds its import by the first chunk's hash and skips every chunk already committed with the same
 * chained hash, so an interrupted import resumes where it stopped and a finished one changes nothing.
 */
@Injectable()
export class CardBaseImportsService {
  private readonly logger = new Logger('takeover');

  constructor(
    private readonly tx: Transactions,
    private readonly repo: CardBaseImportRepository,
    private readonly cards: CardsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  async importFile(actor: Actor, source: AsyncIterable<Buffer>): Promise<CardImportSending> {
    const chunkRows = this.config.cardImportChunkRows;
    let importId: string | null = null;
    let lastLine = 1;
    let skipped = 0;
    let committed = 0;
    // Two chunks are applied side by side (two connections: the database writes one chunk's cards while it writes
    // the next one's), each committing after the one before it: what is committed is always the file's first chunks.
    const inFlight: InFlight[] = [];
    const counted = (c: InFlight, wasApplied: boolean) => {
      if (wasApplied) committed++;
      else skipped++;
      lastLine = c.lastLine;
    };
    const started = Date.now();
    try {
      for await (const chunk of readCardBase(source, chunkRows)) {
        if (!importId) importId = await this.begin(actor, chunk, chunkRows);
        const previous = inFlight.at(-1);
        // Two chunks whose serials may meet are never applied together (each would wait for the other's rows).
        if (previous && !(chunk.minSerial > previous.maxSerial || chunk.maxSerial < previous.minSerial))
          await previous.done;
        const current = this.applyChunk(importId, chunk, previous?.done ?? null);
        inFlight.push(current);
        // The reader reuses the chunk's COPY buffer for the next chunk: read it first.
        await current.staged;
        if (inFlight.length > 1) {
          const c = inFlight.shift()!;
          counted(c, await c.done);
        }
      }
      while (inFlight.length > 0) {
        const c = inFlight.shift()!;
        counted(c, await c.done);
      }
    } catch (e) {
      // What is in flight finishes (or rolls back) before the sending is said to be stopped; the cursor counts the
      // chunks that committed.
      const settled = await Promise.allSettled(inFlight.map((c) => c.done));
      for (const [i, r] of settled.entries()) {
        if (r.status === 'rejected') break;
        counted(inFlight[i], r.value);
      }
      const code = e instanceof CardBaseFileError ? e.code : 'SENDING_CUT';
      if (importId) await this.stop(actor, importId, code);
      if (e instanceof CardBaseFileError) {
        throw e.truncated ? TakeoverErrors.CARD_IMPORT_TRUNCATED(importId, lastLine) : e.problem();
      }
      throw e;
    }
    if (!importId) throw TakeoverErrors.CARD_IMPORT_EMPTY('the file has the header but no card line');
    const id = importId;
    const view = await this.tx.run(async (em) => {
      await this.repo.finish(em, id, lastLine);
      const row = (await this.repo.find(em, id))!;
      await this.audit.record(em, actor, {
        action: 'card-base-import.finished',
        entityType: IMPORT_ENTITY,
        entityId: id,
        details: { lastLine, chunksCommitted: committed, chunksSkipped: skipped, ...counts(row) },
      });
      return toView(row);
    });
    this.logger.log({ msg: 'card-base import sent', importId: id, committed, skipped, ms: Date.now() - started });
    return { ...view, chunksSkipped: skipped, chunksCommitted: committed };
  }

  /** The import this sending continues (same first chunk, same chunk size) or a new one; audited. */
  private begin(actor: Actor, first: ParsedChunk, chunkRows: number): Promise<string> {
    return this.tx.run(async (em) => {
      const { id, found } = await this.repo.findOrCreate(em, actor.partnerId, first.chainHash, chunkRows);
      await this.repo.startSending(em, id);
      await this.audit.record(em, actor, {
        action: 'card-base-import.received',
        entityType: IMPORT_ENTITY,
        entityId: id,
        details: { format: CARD_BASE_FORMAT, resumed: found, chunkRows },
      });
      return id;
    });
  }

  /**
   * One chunk, all or nothing, in its own transaction: `staged` once its lines are in the staging table, `done` with
   * false when an earlier sending already committed these very lines. The chunk's cards are written at once; the
   * chunk records itself, moves the allocator and the import's cursor only after `before` (the previous chunk) has
   * committed, and rolls back if that one failed.
   */
  private applyChunk(importId: string, chunk: ParsedChunk, before: Promise<boolean> | null): InFlight {
    let markStaged!: () => void;
    const staged = new Promise<void>((resolve) => (markStaged = resolve));
    const done = this.tx.run(async (em) => {
      await this.repo.lockChunk(em, importId, chunk.chunkNo);
      const old = await this.repo.chunk(em, importId, chunk.chunkNo);
      if (old?.chainHash === chunk.chainHash) return false;
      await this.repo.stage(em, chunk.copyText);
      markStaged();
      const rejects: CardBaseReject[] = [...chunk.rejects, ...(await this.repo.dropUnknownOrganismes(em))];
      const stagedRows = chunk.rows - (rejects.length - chunk.rejects.length);
      let imported = 0;
      let unchanged = 0;
      if (stagedRows > 0) {
        imported = await this.cards.importStagedIn(em, CARD_IMPORT_STAGE, importId);
        if (imported < stagedRows) {
          const decided = await this.repo.notInserted(em, importId);
          unchanged = decided.unchanged;
          rejects.push(...decided.rejects);
        }
      }
      if (before) await before;
      if (old) await this.repo.forgetChunk(em, importId, chunk.chunkNo, old);
      await this.cards.reserveImportedSerials(em, chunk.maxSerial);
      await this.repo.recordChunk(
        em,
        importId,
        {
          chunkNo: chunk.chunkNo,
          chainHash: chunk.chainHash,
          firstLine: chunk.firstLine,
          lastLine: chunk.lastLine,
          importedRows: imported,
          unchangedRows: unchanged,
          rejectedRows: rejects.length,
        },
        rejects,
      );
      return true;
    });
    // Settled either way: a chunk that failed (or was skipped) before staging has nothing more to read.
    done.then(markStaged, markStaged);
    return { staged, done, lastLine: chunk.lastLine, minSerial: chunk.minSerial, maxSerial: chunk.maxSerial };
  }

  /** A sending stopped before the end: recorded and audited; what was committed stays. */
  private async stop(actor: Actor, importId: string, code: string): Promise<void> {
    try {
      await this.tx.run(async (em) => {
        await this.repo.interrupt(em, importId, code);
        await this.audit.record(em, actor, {
          action: 'card-base-import.interrupted',
          entityType: IMPORT_ENTITY,
          entityId: importId,
          details: { interruption: code },
        });
      });
    } catch (e) {
      // The database may be what failed: the import stays resumable anyway.
      this.logger.warn({ msg: 'card-base import interruption not recorded', importId, err: (e as Error).message });
    }
  }

  async get(actor: Actor, id: string): Promise<CardImportView> {
    if (!isUuid(id)) throw TakeoverErrors.CARD_IMPORT_NOT_FOUND();
    return this.tx.run(async (em) => {
      const row = await this.repo.find(em, id);
      if (!row) throw TakeoverErrors.CARD_IMPORT_NOT_FOUND();
      await this.audit.record(em, actor, { action: 'card-base-import.read', entityType: IMPORT_ENTITY, entityId: id });
      return toView(row);
    });
  }

  async rejects(
    actor: Actor,
    id: string,
    after = 0,
    limit = 500,
  ): Promise<{ items: CardBaseReject[]; next: number | null }> {
    if (!isUuid(id)) throw TakeoverErrors.CARD_IMPORT_NOT_FOUND();
    return this.tx.run(async (em) => {
      if (!(await this.repo.find(em, id))) throw TakeoverErrors.CARD_IMPORT_NOT_FOUND();
      const items = await this.repo.rejects(em, id, after, limit);
      await this.audit.record(em, actor, {
        action: 'card-base-import.rejects-read',
        entityType: IMPORT_ENTITY,
        entityId: id,
        details: { after, returned: items.length },
      });
      return { items, next: items.length === limit ? items[items.length - 1].line : null };
    });
  }
}

const counts = (r: ImportRow) => ({
  importedRows: r.importedRows,
  unchangedRows: r.unchangedRows,
  rejectedRows: r.rejectedRows,
});

function toView(r: ImportRow): CardImportView {
  return {
    id: r.id,
    format: CARD_BASE_FORMAT,
    status: r.status,
    lastLine: r.lastLine,
    ...counts(r),
    sendings: r.sendings,
    interruption: r.interruption,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    finishedAt: r.finishedAt ? r.finishedAt.toISOString() : null,
    rejects: `/v1/card-base/imports/${r.id}/rejects`,
  };
}
