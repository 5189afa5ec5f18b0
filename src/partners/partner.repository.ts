import { Injectable } from '@nestjs/common';
import type { KeyPrincipal } from './key-principal.js';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { PartnerKind } from './partner-kind.enum.js';
import { ApiKey, Partner } from './partner.entity.js';

@Injectable()
export class PartnerRepository {
  constructor(private readonly dataSource: DataSource) {}

  insertPartner(em: EntityManager, p: Pick<Partner, 'kind' | 'name' | 'organismeCode'>): Promise<Partner> {
    return em.getRepository(Partner).save(em.getRepository(Partner).create(p));
  }

  insertApiKey(em: EntityManager, k: Pick<ApiKey, 'partnerId' | 'prefix' | 'secretHash' | 'label'>): Promise<ApiKey> {
    return em.getRepository(ApiKey).save(em.getRepository(ApiKey).create(k));
  }

  findPartner(id: string, em: EntityManager = this.dataSource.manager): Promise<Partner | null> {
    return em.getRepository(Partner).findOneBy({ id });
  }

  listPartners(kind?: PartnerKind): Promise<Partner[]> {
    return this.dataSource.getRepository(Partner).find({ where: kind ? { kind } : {}, order: { createdAt: 'ASC' } });
  }

  countOperators(): Promise<number> {
    return this.dataSource.getRepository(Partner).countBy({ kind: PartnerKind.Operator, active: true });
  }

  listKeys(partnerId: string): Promise<ApiKey[]> {
    return this.dataSource.getRepository(ApiKey).find({ where: { partnerId }, order: { createdAt: 'ASC' } });
  }

  async revokeKey(em: EntityManager, partnerId: string, keyId: string): Promise<ApiKey | null> {
    const repo = em.getRepository(ApiKey);
    const key = await repo.findOneBy({ id: keyId, partnerId });
    if (!key) return null;
    if (!key.revokedAt) {
      await repo.update({ id: keyId, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
      return repo.findOneBy({ id: keyId });
    }
    return key;
  }

  async deactivatePartner(em: EntityManager, id: string): Promise<void> {
    await em.getRepository(Partner).update({ id }, { active: false });
    await em.getRepository(ApiKey).update({ partnerId: id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
  }

  /**
   * The hot path of every request (cached by the caller): one indexed lookup by prefix. A key suspended by the kiosk
   * enumeration guard (an open api_key_suspension, found by its partial unique index) is as unknown.
   */
  async findActiveKeyByPrefix(prefix: string): Promise<KeyPrincipal | null> {
    const rows: Array<{
      api_key_id: string;
      secret_hash: Buffer;
      partner_id: string;
      kind: PartnerKind;
      organisme_code: string | null;
    }> = await this.dataSource.query(
      `SELECT k.id AS api_key_id, k.secret_hash, p.id AS partner_id, p.kind, p.organisme_code
           FROM api_key k JOIN partner p ON p.id = k.partner_id
          WHERE k.prefix = $1 AND k.revoked_at IS NULL AND p.active
            AND NOT EXISTS (SELECT 1 FROM api_key_suspension s WHERE s.api_key_id = k.id AND s.lifted_at IS NULL)`,
      [prefix],
    );
    const r = rows[0];
    return r
      ? {
          apiKeyId: r.api_key_id,
          secretHash: r.secret_hash,
          partnerId: r.partner_id,
          kind: r.kind,
          organismeCode: r.organisme_code,
        }
      : null;
  }

  async touchKey(apiKeyId: string): Promise<void> {
    await this.dataSource.query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [apiKeyId]);
  }
}
