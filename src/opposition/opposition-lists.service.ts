import { OppositionRepository } from './opposition.repository.js';
import { Inject, Injectable } from '@nestjs/common';
import path from 'node:path';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import { SigningService } from '../platform/crypto/signing.service.js';
import { DATABASE_URL } from '../platform/database/database.tokens.js';
import { DomainError } from '../platform/errors/domain-error.js';
import type { ListKind } from './list-codec.js';
import { type OppositionListRow, produceOppositionList } from './list-producer.js';
import type { OppositionListView } from './dto/opposition.dto.js';

export const listNotFound = () => new DomainError('OPPOSITION_LIST_NOT_FOUND', 404, 'No such opposition list');

export function toListView(r: OppositionListRow): OppositionListView {
  return {
    number: r.number,
    kind: r.kind,
    period: r.period,
    baseNumber: r.base_number,
    producedAt: r.produced_at,
    entryCount: r.entry_count,
    additions: r.additions,
    removals: r.removals,
    keyId: r.key_id,
    text: { file: r.text_file, bytes: Number(r.text_bytes), sha256: r.text_sha256, signature: r.text_signature },
    compact: { file: r.compact_file, bytes: Number(r.compact_bytes), sha256: r.compact_sha256, signature: r.compact_signature },
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

  constructor(@Inject(DATABASE_URL) private readonly url: string, config: AppConfig, private readonly signing: SigningService, private readonly repo: OppositionRepository) {
    this.dir = path.resolve(config.dataDir, 'opposition');
  }

  /** Produces the list of (kind, period) unless it exists: safe to call from several instances at once. */
  async produce(kind: ListKind, period: string): Promise<{ list: OppositionListView; created: boolean }> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'vitale-opposition-list' });
    await client.connect();
    try {
      const sideConnection = async () => {
        const side = new pg.Client({ connectionString: this.url, application_name: 'vitale-opposition-count' });
        await side.connect();
        return side;
      };
      const { list, created } = await produceOppositionList(client, { kind, period, dir: this.dir, signer: this.signing, sideConnection });
      return { list: toListView(list), created };
    } finally {
      await client.end();
    }
  }

  async since(after: number): Promise<OppositionListView[]> {
    const rows = await this.repo.listsAfter(after);
    return rows.map(toListView);
  }

  async row(number: number): Promise<OppositionListRow> {
    if (!Number.isSafeInteger(number) || number < 1 || number > 2 ** 31 - 1) throw listNotFound();
    const row = await this.repo.list(number);
    if (!row) throw listNotFound();
    return row;
  }

  async latest(kind: ListKind): Promise<OppositionListRow> {
    const row = await this.repo.latest(kind);
    if (!row) throw listNotFound();
    return row;
  }

  file(row: OppositionListRow, format: 'text' | 'compact'): ListFile {
    const name = format === 'text' ? row.text_file : row.compact_file;
    return {
      row,
      name,
      path: path.join(this.dir, name),
      bytes: Number(format === 'text' ? row.text_bytes : row.compact_bytes),
      sha256: format === 'text' ? row.text_sha256 : row.compact_sha256,
      contentType: format === 'text' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
    };
  }
}
