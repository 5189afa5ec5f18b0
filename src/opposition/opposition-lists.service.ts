import { OppositionRepository } from './opposition.repository.js';
import { Inject, Injectable } from '@nestjs/common';
import path from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { SigningService } from '../platform/crypto/signing.service.js';
import type { SigningKeyView } from '../platform/crypto/signing-key.dto.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import { DATABASE_URL } from '../platform/database/database.tokens.js';
import { OppositionErrors } from './opposition.errors.js';
import { DomainError } from '../platform/errors/domain-error.js';
import type { ListKind } from './list-codec.js';
import { produceOppositionList } from './list-producer.js';
import { nextListProduction } from './list-schedule.js';
import type { OppositionListView } from './dto/opposition.dto.js';
import type { ListPage } from '../platform/openapi/list-page.js';
import { LISTS_PAGE, type OppositionListRow } from './opposition.repository.js';
import { ownConnection } from '../platform/database/own-connection.js';

export const listNotFound = OppositionErrors.OPPOSITION_LIST_NOT_FOUND;

export function toListView(r: OppositionListRow): OppositionListView {
  return {
    number: r.number,
    kind: r.kind,
    period: r.period,
    baseNumber: r.baseNumber,
    producedAt: r.producedAt,
    entryCount: r.entryCount,
    additions: r.additions,
    removals: r.removals,
    keyId: r.keyId,
    text: { file: r.textFile, bytes: r.textBytes, sha256: r.textSha256, signature: r.textSignature },
    compact: { file: r.compactFile, bytes: r.compactBytes, sha256: r.compactSha256, signature: r.compactSignature },
  };
}

export interface ListFile {
  row: OppositionListRow;
  path: string;
  name: string;
  bytes: number;
  sha256: string;
  contentType: string;
}

/** The opposition lists: production (job, operators) and the stored files under DATA_DIR/opposition. */
@Injectable()
export class OppositionListsService {
  readonly dir: string;

  constructor(
    @Inject(DATABASE_URL) private readonly url: string,
    private readonly config: AppConfig,
    private readonly signing: SigningService,
    private readonly repo: OppositionRepository,
    private readonly audit: AuditService,
    private readonly tx: Transactions,
  ) {
    this.dir = path.resolve(config.dataDir, 'opposition');
  }

  /** Produces the list of (kind, period) unless it exists: safe to call from several instances at once. */
  async produce(kind: ListKind, period: string): Promise<{ list: OppositionListView; created: boolean }> {
    const client = await ownConnection(this.url, 'vitale-opposition-list');
    try {
      const sideConnection = () => ownConnection(this.url, 'vitale-opposition-count');
      const { list, created } = await produceOppositionList(client, {
        kind,
        period,
        dir: this.dir,
        signer: this.signing,
        sideConnection,
      });
      return { list: toListView(list), created };
    } finally {
      await client.end();
    }
  }

  /** The newest lists first, numbered below `before` (null: from the newest); `next` is the following page's `before`. */
  async recent(before: number | null, limit: number): Promise<ListPage<OppositionListView>> {
    const rows = await this.repo.listsBefore(before ?? 2 ** 31 - 1, limit);
    return {
      items: rows.map(toListView),
      next: rows.length === limit ? String(rows[rows.length - 1].number) : null,
    };
  }

  /** The published signing keys, the current one flagged. */
  signingKeys(): SigningKeyView[] {
    return this.signing.publicKeys();
  }

  /** Makes a new Ed25519 key the signing key (the old ones stay published to verify what they signed), audited. */
  async rotateSigningKey(actor: Actor): Promise<SigningKeyView> {
    const key = this.signing.rotate();
    await this.tx.run((em) =>
      this.audit.record(em, actor, {
        action: 'signing_key.rotated',
        entityType: 'signing_key',
        entityId: key.keyId,
        details: { keyId: key.keyId },
      }),
    );
    return key;
  }

  /** A page of lists after `after`; `next` is the `since` of the following page, null on the last. */
  async since(after: number): Promise<ListPage<OppositionListView>> {
    const rows = await this.repo.listsAfter(after);
    return {
      items: rows.map(toListView),
      next: rows.length === LISTS_PAGE ? String(rows[rows.length - 1].number) : null,
    };
  }

  async row(number: number): Promise<OppositionListRow> {
    if (!Number.isSafeInteger(number) || number < 1 || number > 2 ** 31 - 1) throw listNotFound();
    const row = await this.repo.list(number);
    if (!row) throw listNotFound();
    return row;
  }

  /** The newest list of a kind; before the first one, a 404 that says when it comes and how to make one now. */
  async latest(kind: ListKind): Promise<OppositionListRow> {
    const row = await this.repo.latest(kind);
    if (!row) throw this.noListYet(kind);
    return row;
  }

  private noListYet(kind: ListKind): DomainError {
    const next = nextListProduction(kind, this.config.oppositionListCron, this.config.oppositionFullListDay);
    const when =
      kind === 'full'
        ? `the full list is produced on day ${this.config.oppositionFullListDay} of each month (OPPOSITION_FULL_LIST_DAY)`
        : 'an incremental list is produced every day';
    return OppositionErrors.OPPOSITION_LIST_NOT_YET_PRODUCED(kind, when, next ?? null);
  }

  file(row: OppositionListRow, format: 'text' | 'compact'): ListFile {
    const name = format === 'text' ? row.textFile : row.compactFile;
    return {
      row,
      name,
      path: path.join(this.dir, name),
      bytes: format === 'text' ? row.textBytes : row.compactBytes,
      sha256: format === 'text' ? row.textSha256 : row.compactSha256,
      contentType: format === 'text' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
    };
  }
}
