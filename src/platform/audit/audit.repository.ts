import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEntry } from './audit-entry.entity.js';

export interface AuditQuery {
  entityType?: string;
  entityId?: string;
  action?: string;
  actorPartnerId?: string;
  /** The console agent who acted. */
  actorAgentId?: string;
  /** Entries at or after this instant. */
  from?: Date;
  /** Entries before this instant. */
  to?: Date;
  afterId?: string;
  /** Newest first, resuming before this id (the console's search); else oldest first after `afterId`. */
  newestFirst?: boolean;
  beforeId?: string;
  limit: number;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One set-based statement whatever the count (bulk imports write 100,000 entries in one go). */
  async insert(em: EntityManager, rows: Omit<AuditEntry, 'id' | 'at'>[]): Promise<void> {
    if (rows.length === 0) return;
    await em.query(
      `INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details, actor_agent_id)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[], $7::char(9)[], $8::jsonb[], $9::uuid[])`,
      [
        rows.map((r) => r.actorPartnerId),
        rows.map((r) => r.actorKind),
        rows.map((r) => r.requestId),
        rows.map((r) => r.action),
        rows.map((r) => r.entityType),
        rows.map((r) => r.entityId),
        rows.map((r) => r.organismeCode),
        rows.map((r) => JSON.stringify(r.details ?? {})),
        rows.map((r) => r.actorAgentId ?? null),
      ],
    );
  }

  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const qb = this.dataSource
      .getRepository(AuditEntry)
      .createQueryBuilder('a')
      .orderBy('a.id', q.newestFirst ? 'DESC' : 'ASC')
      .limit(q.limit);
    if (q.entityType) qb.andWhere('a.entityType = :entityType', { entityType: q.entityType });
    if (q.entityId) qb.andWhere('a.entityId = :entityId', { entityId: q.entityId });
    if (q.action) qb.andWhere('a.action = :action', { action: q.action });
    if (q.actorPartnerId) qb.andWhere('a.actorPartnerId = :p', { p: q.actorPartnerId });
    if (q.actorAgentId) qb.andWhere('a.actorAgentId = :agent', { agent: q.actorAgentId });
    if (q.from) qb.andWhere('a.at >= :from', { from: q.from });
    if (q.to) qb.andWhere('a.at < :to', { to: q.to });
    if (q.afterId) qb.andWhere('a.id > :afterId', { afterId: q.afterId });
    if (q.beforeId) qb.andWhere('a.id < :beforeId', { beforeId: q.beforeId });
    return qb.getMany();
  }
}
