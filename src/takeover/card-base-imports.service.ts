import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { CardsService } from '../cards/cards.service.js';
import { systemActor, type Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { isUuid } from '../platform/validation/ids.js';
import { CardBaseImportStatus } from './card-base-import.entity.js';
import {
  CARD_IMPORT_STAGE,
  CardBaseImportRepository,
  type ChunkToMaterialise,
  type ImportRow,
} from './card-base-import.repository.js';
import {
  CARD_BASE_FORMAT,
  CardBaseFileError,
  type CardBaseReject,
  type ParsedChunk,
  readCardBase,
} from './card-base-parser.js';
import { TakeoverErrors } from './takeover.errors.js';

const IMPORT_ENTITY = 'card_base_import';

/** A chunk being landed (CardBaseImportsService.landChunk). */
interface Landing {
  staged: Promise<void>;
  done: Promise<boolean>;
  lastLine: number;
}

/** A chunk being moved into the card base (CardBaseImportsService.materialiseChunk). */
interface Moving {
  done: Promise<boolean>;
  minSerial: number;
  maxSerial: number;
}

export interface CardImportView {
  id: string;
  format: string;
  status: CardBaseImportStatus;
  /** The resumable cursor: the last line committed (1, the header, before any). */
  lastLine: number;
  /** Good lines landed; they become cards (imported or unchanged) or rejects as the import is materialised. */
  landedRows: number;
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
 * The card-base import, in two steps. A sending streams a card-base/1 file in chunks of CARD_IMPORT_CHUNK_ROWS lines:
 * each chunk's good lines are landed with COPY in card_base_line, in one transaction (all or nothing) with its
 * rejects and the import's cursor. A sending of the same file finds its import by the first chunk's hash and skips
 * every chunk already committed with the same chained hash, so an interrupted import resumes where it stopped and a
 * finished one changes nothing. Then the materialisation (the `card-base.materialise` job, enqueued with the
 * sending's end, or the CLI) moves each landed chunk, in file order, into the card base: holders looked up, serials
 * taken or repeated rejected, one transaction per chunk that re-checks the chunk is still to move.
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
    private readonly jobs: JobsService,
  ) {}

  async importFile(actor: Actor, source: AsyncIterable<Buffer>): Promise<CardImportSending> {
    const chunkRows = this.config.cardImportChunkRows;
    let importId: string | null = null;
    let lastLine = 1;
    let skipped = 0;
    let committed = 0;
    // The database writes one chunk while the next one is parsed (the reader fills its two buffers in turn); each
    // chunk commits after the one before it, so what is committed is always the file's first chunks.
    const inFlight: Landing[] = [];
    const counted = (c: Landing, wasLanded: boolean) => {
      if (wasLanded) committed++;
      else skipped++;
      lastLine = c.lastLine;
    };
    const started = Date.now();
    try {
      for await (const chunk of readCardBase(source, chunkRows)) {
        if (!importId) importId = await this.begin(actor, chunk, chunkRows);
        const previous = inFlight.at(-1);
        inFlight.push(this.landChunk(importId, chunk, previous?.done ?? null));
        // The next chunk is parsed into the previous one's buffer: that one must be sent first.
        if (previous) await previous.staged;
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
      const status = await this.repo.finishSending(em, id, lastLine);
      if (status === CardBaseImportStatus.Received)
        await this.jobs.send(em, JobName.CardBaseMaterialise, { importId: id });
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

  /**
   * Moves every landed chunk of the import into the card base, in file order (the job's work; the CLI's too): two
   * chunks side by side on two connections when their serials cannot meet, each committing after the one before it.
   * Chunks another materialiser moved meanwhile are skipped. Once none is left, a received import is done (audited).
   */
  async materialise(importId: string, actor: Actor = systemActor()): Promise<CardImportView> {
    if (!isUuid(importId)) throw TakeoverErrors.CARD_IMPORT_NOT_FOUND();
    const started = Date.now();
    let moved = 0;
    for (;;) {
      const chunks = await this.tx.run((em) => this.repo.chunksToMaterialise(em, importId));
      if (chunks.length === 0) break;
      const inFlight: Moving[] = [];
      try {
        for (const chunk of chunks) {
          const previous = inFlight.at(-1);
          // Two chunks whose serials may meet are never moved together (each would wait for the other's rows).
          if (previous && !(chunk.minSerial > previous.maxSerial || chunk.maxSerial < previous.minSerial))
            await previous.done;
          inFlight.push(this.materialiseChunk(importId, chunk, previous?.done ?? null));
          if (inFlight.length > 1 && (await inFlight.shift()!.done)) moved++;
        }
        for (const c of inFlight) if (await c.done) moved++;
      } finally {
        await Promise.allSettled(inFlight.map((c) => c.done));
      }
    }
    const view = await this.tx.run(async (em) => {
      const finished = await this.repo.finishMaterialising(em, importId);
      const row = await this.repo.find(em, importId);
      if (!row) throw TakeoverErrors.CARD_IMPORT_NOT_FOUND();
      if (finished)
        await this.audit.record(em, actor, {
          action: 'card-base-import.materialised',
          entityType: IMPORT_ENTITY,
          entityId: importId,
          details: counts(row),
        });
      return toView(row);
    });
    if (moved > 0)
      this.logger.log({ msg: 'card-base import materialised', importId, chunks: moved, ms: Date.now() - started });
    return view;
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
   * One chunk landed, all or nothing, in its own transaction: `staged` once its COPY text is sent (its buffer may be
   * reused), `done` with false when an earlier sending already committed these very lines. The chunk records itself,
   * moves the allocator past its serials and moves the import's cursor only after `before` (the previous chunk) has
   * committed, and rolls back if that one failed.
   */
  private landChunk(importId: string, chunk: ParsedChunk, before: Promise<boolean> | null): Landing {
    let markStaged!: () => void;
    const staged = new Promise<void>((resolve) => (markStaged = resolve));
    const done = this.tx.run(async (em) => {
      await this.repo.lockChunk(em, importId, chunk.chunkNo);
      const old = await this.repo.chunk(em, importId, chunk.chunkNo);
      if (old?.chainHash === chunk.chainHash) return false;
      await this.repo.land(em, importId, chunk.chunkNo, chunk.copyText);
      markStaged();
      if (before) await before;
      if (old) await this.repo.forgetChunk(em, importId, chunk.chunkNo, old);
      // Imported serials are never issued again, from the moment they are landed.
      await this.cards.reserveImportedSerials(em, chunk.maxSerial);
      await this.repo.recordLanded(
        em,
        importId,
        {
          chunkNo: chunk.chunkNo,
          chainHash: chunk.chainHash,
          firstLine: chunk.firstLine,
          lastLine: chunk.lastLine,
          landedRows: chunk.rows,
          minSerial: chunk.minSerial,
          maxSerial: chunk.maxSerial,
          rejectedRows: chunk.rejects.length,
        },
        chunk.rejects,
      );
      return true;
    });
    // Settled either way: a chunk that failed (or was skipped) before landing has nothing more to send.
    done.then(markStaged, markStaged);
    return { staged, done, lastLine: chunk.lastLine };
  }

  /**
   * One landed chunk moved into the card base, all or nothing, in its own transaction under the chunk's lock:
   * `done` with false when another materialiser moved it first. Its lines leave card_base_line; organismes the
   * reference data does not know, serials an earlier line repeated or another card holds are rejected with their
   * line. It records itself only after `before` (the previous chunk) has committed, and rolls back if that one failed.
   */
  private materialiseChunk(importId: string, chunk: ChunkToMaterialise, before: Promise<boolean> | null): Moving {
    const done = this.tx.run(async (em) => {
      await this.repo.lockChunk(em, importId, chunk.chunkNo);
      if (!(await this.repo.stillToMaterialise(em, importId, chunk.chunkNo))) return false;
      const staged = await this.repo.stageLanded(em, importId, chunk.chunkNo);
      const rejects: CardBaseReject[] = await this.repo.dropUnknownOrganismes(em);
      let imported = 0;
      let unchanged = 0;
      if (staged > rejects.length) {
        imported = await this.cards.importStagedIn(em, CARD_IMPORT_STAGE, importId);
        if (imported < staged - rejects.length) {
          const decided = await this.repo.notInserted(em, importId);
          unchanged = decided.unchanged;
          rejects.push(...decided.rejects);
        }
      }
      if (before) await before;
      await this.repo.recordMaterialised(em, importId, chunk.chunkNo, { imported, unchanged }, rejects);
      return true;
    });
    return { done, minSerial: chunk.minSerial, maxSerial: chunk.maxSerial };
  }

  /**
   * The hourly sweep: sendings silent for CARD_IMPORT_LOST_MINUTES that said nothing (a killed process) are recorded
   * as interrupted (SENDING_LOST, audited) and the chunks they landed become cards, as for a sending seen to stop.
   * Answers how many.
   */
  async findLostSendings(actor: Actor = systemActor()): Promise<number> {
    return this.tx.run(async (em) => {
      const ids = await this.repo.markLostSendings(em, this.config.cardImportLostMinutes);
      for (const importId of ids) {
        await this.jobs.send(em, JobName.CardBaseMaterialise, { importId });
        await this.audit.record(em, actor, {
          action: 'card-base-import.interrupted',
          entityType: IMPORT_ENTITY,
          entityId: importId,
          details: { interruption: 'SENDING_LOST' },
        });
      }
      if (ids.length > 0) this.logger.warn({ msg: 'card-base sendings found lost', imports: ids.length });
      return ids.length;
    });
  }

  /** A sending stopped before the end: recorded and audited; what was committed stays. */
  private async stop(actor: Actor, importId: string, code: string): Promise<void> {
    try {
      await this.tx.run(async (em) => {
        await this.repo.interrupt(em, importId, code);
        // The chunks landed before the interruption become cards meanwhile; the rest comes with the next sending.
        await this.jobs.send(em, JobName.CardBaseMaterialise, { importId });
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
  landedRows: r.landedRows,
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
