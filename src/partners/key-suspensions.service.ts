import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { Transactions } from '../platform/database/transactions.js';
import type { Actor } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { PartnersErrors } from './partners.errors.js';
import { MetricsService } from '../platform/metrics/metrics.service.js';
import type { ListPage } from '../platform/openapi/list-page.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import type { ApiKeySuspensionView } from './dto/key-suspension.dto.js';
import { KeySuspensionRepository, type SuspensionRow } from './key-suspension.repository.js';

export const UNPROVEN_CARDS_REASON = 'kiosk_unproven_cards';

/**
 * Suspends and lifts API keys (the kiosk enumeration guard suspends; operators lift). A suspended key
 * authenticates nowhere: at once on this instance (the verifier's cache is dropped), within API_KEY_CACHE_SECONDS
 * on the others. Both are audited; the suspensions are listed for operators (GET /v1/api-key-suspensions) and
 * counted in /metrics.
 */
@Injectable()
export class KeySuspensionsService implements OnModuleInit {
  private readonly logger = new Logger('partners');
  private readonly liftListeners: Array<(apiKeyId: string) => void> = [];
  private readonly suspended: Counter;
  private readonly open: Gauge;

  constructor(
    private readonly tx: Transactions,
    private readonly repo: KeySuspensionRepository,
    private readonly audit: AuditService,
    private readonly verifier: ApiKeyVerifier,
    private readonly metrics: MetricsService,
  ) {
    this.suspended = new Counter({
      name: 'api_key_suspensions_total',
      help: 'API keys suspended by the kiosk enumeration guard (this instance)',
      registers: [metrics.registry],
    });
    this.open = new Gauge({
      name: 'api_keys_suspended',
      help: 'API keys currently suspended (all instances)',
      registers: [metrics.registry],
    });
  }

  onModuleInit(): void {
    this.metrics.onScrape(async () => this.open.set(await this.repo.countOpen()));
  }

  /** Called on this instance when an operator lifts a key's suspension (the guard forgets what it counted). */
  onLift(listener: (apiKeyId: string) => void): void {
    this.liftListeners.push(listener);
  }

  /**
   * Suspends a key for asking about too many cards without their proof. True when this call suspended it, false
   * when it already was. The audit entry is the system's, under the request that crossed the threshold if any;
   * `alsoInTransaction` writes what goes with the suspension (the funds' events) in the same transaction.
   */
  async suspendForUnprovenCards(
    apiKeyId: string,
    partnerId: string,
    unprovenCards: number,
    threshold: number,
    requestId: string | null,
    alsoInTransaction?: (em: EntityManager, suspensionId: string) => Promise<void>,
  ): Promise<boolean> {
    const done = await this.tx.run(async (em) => {
      const row = await this.repo.suspend(em, apiKeyId, UNPROVEN_CARDS_REASON, unprovenCards, threshold);
      if (!row) return false;
      await alsoInTransaction?.(em, row.id);
      await this.audit.record(
        em,
        { kind: 'system', partnerId: null, organismeCode: null, apiKeyId: null, requestId },
        {
          action: 'api-key.suspended',
          entityType: 'api_key',
          entityId: apiKeyId,
          details: { partnerId, reason: UNPROVEN_CARDS_REASON, unprovenCards, threshold, suspensionId: row.id },
        },
      );
      return true;
    });
    this.verifier.invalidate();
    if (done) {
      this.suspended.inc();
      // Ids and counts only: never a card.
      this.logger.warn({
        msg: 'API key suspended: too many cards without their proof',
        apiKeyId,
        partnerId,
        unprovenCards,
        threshold,
      });
    }
    return done;
  }

  /** An operator lifts a key's suspension: the key authenticates again (audited). */
  async lift(actor: Actor, partnerId: string, apiKeyId: string): Promise<ApiKeySuspensionView> {
    const row = await this.tx.run(async (em) => {
      const lifted = await this.repo.lift(em, partnerId, apiKeyId, { partnerId: actor.partnerId, kind: actor.kind });
      if (!lifted) {
        if (!(await this.repo.keyBelongsTo(partnerId, apiKeyId))) throw PartnersErrors.API_KEY_NOT_FOUND();
        throw PartnersErrors.API_KEY_NOT_SUSPENDED();
      }
      await this.audit.record(em, actor, {
        action: 'api-key.suspension_lifted',
        entityType: 'api_key',
        entityId: apiKeyId,
        details: { partnerId, suspensionId: lifted.id, reason: lifted.reason },
      });
      return lifted;
    });
    this.verifier.invalidate();
    for (const l of this.liftListeners) l(apiKeyId);
    return view(row);
  }

  lastLifts(apiKeyIds: string[]): Promise<Map<string, number>> {
    return this.repo.lastLifts(apiKeyIds);
  }

  openForPartner(partnerId: string): Promise<Map<string, Date>> {
    return this.repo.openForPartner(partnerId);
  }

  async list(q: {
    open?: boolean;
    partnerId?: string;
    before?: string;
    limit?: number;
  }): Promise<ListPage<ApiKeySuspensionView>> {
    const limit = q.limit ?? 100;
    const rows = await this.repo.list({ ...q, limit });
    return { items: rows.map(view), next: rows.length === limit ? rows[rows.length - 1].id : null };
  }
}

function view(r: SuspensionRow): ApiKeySuspensionView {
  return {
    id: r.id,
    apiKeyId: r.apiKeyId,
    partnerId: r.partnerId,
    keyPrefix: r.keyPrefix,
    reason: r.reason,
    unprovenCards: r.unprovenCards,
    threshold: r.threshold,
    suspendedAt: r.suspendedAt,
    liftedAt: r.liftedAt,
    liftedByPartnerId: r.liftedByPartnerId,
  };
}
