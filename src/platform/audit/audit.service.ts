import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../auth/actor.js';
import { AuditQuery, AuditRepository } from './audit.repository.js';

export interface AuditRecord {
  action: string;
  entityType: string;
  entityId: string;
  organismeCode?: string | null;
  /** Never personal data: codes, ids, states, counts. */
  details?: Record<string, unknown>;
}

/** Writes the audit trail inside the caller's transaction, so an entry exists exactly when its change does. */
@Injectable()
export class AuditService {
  constructor(private readonly repo: AuditRepository) {}

  record(em: EntityManager, actor: Actor, ...records: AuditRecord[]): Promise<void> {
    return this.repo.insert(
      em,
      records.map((r) => ({
        actorPartnerId: actor.partnerId,
        actorKind: actor.kind,
        actorAgentId: actor.agentId ?? null,
        requestId: actor.requestId,
        action: r.action,
        entityType: r.entityType,
        entityId: r.entityId,
        organismeCode: r.organismeCode ?? null,
        details: r.details ?? {},
      })),
    );
  }

  list(q: AuditQuery) {
    return this.repo.list(q);
  }
}
