import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { run } from '../platform/database/sql.js';
import type { NewFundEvent } from './event-types.js';

export interface StoredFundEvent {
  id: string;
  txId: string;
  organismeCode: string;
  type: string;
  subjectType: string;
  subjectId: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

@Injectable()
export class FundEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends events in the caller's transaction, stamped with its transaction id (see FundEvent). */
  async append(em: EntityManager, events: NewFundEvent[]): Promise<StoredFundEvent[]> {
    if (events.length === 0) return [];
    const { rows } = await run<Record<string, unknown>>(
      em,
      `INSERT INTO fund_event (tx_id, organisme_code, type, subject_type, subject_id, data)
       SELECT pg_current_xact_id()::text::bigint, * FROM unnest($1::char(9)[], $2::varchar[], $3::varchar[], $4::varchar[], $5::jsonb[])
       RETURNING id::text, tx_id::text, organisme_code, type, subject_type, subject_id, data, created_at`,
      [
        events.map((e) => e.organismeCode), events.map((e) => e.type), events.map((e) => e.subjectType),
        events.map((e) => e.subjectId), events.map((e) => JSON.stringify(e.data)),
      ],
    );
    return rows.map(toStored);
  }

  /**
   * The events of one organisme after a cursor, oldest first, among those whose transaction is older than every
   * transaction still running: an event committed late can never appear behind a cursor already handed out.
   */
  async after(organismeCode: string, cursor: { txId: string; id: string } | null, limit: number): Promise<StoredFundEvent[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id::text, tx_id::text, organisme_code, type, subject_type, subject_id, data, created_at
         FROM fund_event
        WHERE organisme_code = $1
          AND (tx_id, id) > ($2::bigint, $3::bigint)
          AND tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
        ORDER BY tx_id, id
        LIMIT $4`,
      [organismeCode, cursor?.txId ?? '0', cursor?.id ?? '0', limit],
    );
    return rows.map(toStored);
  }
}

function toStored(r: Record<string, unknown>): StoredFundEvent {
  return {
    id: r.id as string, txId: r.tx_id as string, organismeCode: r.organisme_code as string, type: r.type as string,
    subjectType: r.subject_type as string, subjectId: r.subject_id as string, data: r.data as Record<string, unknown>,
    createdAt: r.created_at as Date,
  };
}
