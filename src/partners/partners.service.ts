import { Injectable } from '@nestjs/common';
import { Transactions } from '../platform/database/transactions.js';
import type { Actor } from '../platform/auth/actor.js';
import { generateApiKey } from '../platform/auth/api-key.codec.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { RegimesErrors } from '../regimes/regimes.errors.js';
import { RegimesService } from '../regimes/regimes.service.js';
import { PartnersErrors } from './partners.errors.js';
import { CreatedApiKeyView } from './dto/partner.dto.js';
import { PartnerKind } from './partner-kind.enum.js';
import { ApiKey, Partner } from './partner.entity.js';
import { PartnerRepository } from './partner.repository.js';
import { KeySuspensionRepository } from './key-suspension.repository.js';

@Injectable()
export class PartnersService {
  constructor(
    private readonly tx: Transactions,
    private readonly partners: PartnerRepository,
    private readonly regimes: RegimesService,
    private readonly audit: AuditService,
    private readonly suspensions: KeySuspensionRepository,
  ) {}

  async createPartner(
    actor: Actor,
    input: { kind: PartnerKind; name: string; organismeCode?: string },
  ): Promise<Partner> {
    if (input.kind === PartnerKind.Fund) {
      if (!input.organismeCode) throw PartnersErrors.ORGANISME_REQUIRED();
      if (!(await this.regimes.organismeExists(input.organismeCode))) {
        throw RegimesErrors.ORGANISME_UNKNOWN({ field: 'organismeCode' });
      }
    } else if (input.organismeCode) {
      throw PartnersErrors.ORGANISME_NOT_ALLOWED();
    }
    return this.tx.run(async (em) => {
      const p = await this.partners.insertPartner(em, {
        kind: input.kind,
        name: input.name,
        organismeCode: input.organismeCode ?? null,
      });
      await this.audit.record(em, actor, {
        action: 'partner.created',
        entityType: 'partner',
        entityId: p.id,
        organismeCode: p.organismeCode,
        details: { kind: p.kind },
      });
      return p;
    });
  }

  async createApiKey(actor: Actor, partnerId: string, label?: string): Promise<CreatedApiKeyView> {
    return this.tx.run(async (em) => {
      const partner = await this.partners.findPartner(partnerId, em);
      if (!partner) throw PartnersErrors.PARTNER_NOT_FOUND();
      if (!partner.active) throw PartnersErrors.PARTNER_INACTIVE();
      const { key, prefix, secretHash } = generateApiKey();
      const row = await this.partners.insertApiKey(em, { partnerId, prefix, secretHash, label: label ?? null });
      await this.audit.record(em, actor, {
        action: 'api-key.created',
        entityType: 'api_key',
        entityId: row.id,
        details: { partnerId, prefix },
      });
      return { ...keyView(row), key };
    });
  }

  async revokeApiKey(actor: Actor, partnerId: string, keyId: string) {
    return this.tx.run(async (em) => {
      const row = await this.partners.revokeKey(em, partnerId, keyId);
      if (!row) throw PartnersErrors.API_KEY_NOT_FOUND();
      await this.audit.record(em, actor, {
        action: 'api-key.revoked',
        entityType: 'api_key',
        entityId: keyId,
        details: { partnerId },
      });
      return keyView(row);
    });
  }

  async deactivatePartner(actor: Actor, partnerId: string): Promise<Partner> {
    return this.tx.run(async (em) => {
      const p = await this.partners.findPartner(partnerId, em);
      if (!p) throw PartnersErrors.PARTNER_NOT_FOUND();
      await this.partners.deactivatePartner(em, partnerId);
      await this.audit.record(em, actor, { action: 'partner.deactivated', entityType: 'partner', entityId: partnerId });
      return { ...p, active: false };
    });
  }

  list(kind?: PartnerKind) {
    return this.partners.listPartners(kind);
  }

  async get(id: string) {
    const p = await this.partners.findPartner(id);
    if (!p) throw PartnersErrors.PARTNER_NOT_FOUND();
    const [keys, suspended] = await Promise.all([this.partners.listKeys(id), this.suspensions.openForPartner(id)]);
    return { ...p, apiKeys: keys.map((k) => keyView(k, suspended.get(k.id) ?? null)) };
  }
}

export function keyView(k: ApiKey, suspendedAt: Date | null = null) {
  return {
    id: k.id,
    prefix: k.prefix,
    label: k.label,
    createdAt: k.createdAt,
    revokedAt: k.revokedAt,
    lastUsedAt: k.lastUsedAt,
    suspendedAt,
  };
}
