import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { AuditEntry } from './audit-entry.entity.js';

export interface AuditQuery {
  entityType?: string;
  entityId?: string;
  action?: string;
  actorPartnerId?: string;
  afterId?: string;
  limit: number;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(em: EntityManager, rows: Omit<AuditEntry, 'id' | 'at'>[]): Promise<void> {
    if (rows.length === 0) return;
    await em.createQueryBuilder().insert().into(AuditEntry).values(rows as QueryDeepPartialEntity<AuditEntry>[]).execute();
  }

  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const qb = this.dataSource.getRepository(AuditEntry).createQueryBuilder('a').orderBy('a.id', 'ASC').limit(q.limit);
    if (q.entityType) qb.andWhere('a.entityType = :entityType', { entityType: q.entityType });
    if (q.entityId) qb.andWhere('a.entityId = :entityId', { entityId: q.entityId });
    if (q.action) qb.andWhere('a.action = :action', { action: q.action });
    if (q.actorPartnerId) qb.andWhere('a.actorPartnerId = :p', { p: q.actorPartnerId });
    if (q.afterId) qb.andWhere('a.id > :afterId', { afterId: q.afterId });
    return qb.getMany();
  }
}
