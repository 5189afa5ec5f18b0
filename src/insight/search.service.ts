import { Injectable } from '@nestjs/common';
import { CardsService } from '../cards/cards.service.js';
import type { CardView } from '../cards/dto/card.dto.js';
import { type Actor, tenantScope } from '../platform/auth/actor.js';
import { AuditService } from '../platform/audit/audit.service.js';
import { Transactions } from '../platform/database/transactions.js';
import { BeneficiariesService } from '../register/beneficiaries.service.js';
import type { BeneficiaryView } from '../register/dto/beneficiary.dto.js';
import { checkName } from '../register/identity.js';
import { RegisterErrors } from '../register/register.errors.js';
import type { InsuredMatchesView } from './dto/insight.dto.js';
import { InsightRepository } from './insight.repository.js';

const DEFAULT_MATCHES = 20;

/**
 * The console's searches. A card by serial and an insured by NIR are the modules' own reads (same tenant rule, same
 * audit); the search by name and birth date is bounded (at most 50) and audits every insured it shows.
 */
@Injectable()
export class SearchService {
  constructor(
    private readonly cards: CardsService,
    private readonly beneficiaries: BeneficiariesService,
    private readonly repo: InsightRepository,
    private readonly audit: AuditService,
    private readonly tx: Transactions,
  ) {}

  cardBySerial(actor: Actor, serial: string): Promise<CardView> {
    return this.cards.get(actor, serial);
  }

  /** The NIR comes in a body, never a URL; the register checks it and audits the read. */
  insuredByNir(actor: Actor, nir: string): Promise<BeneficiaryView> {
    return this.beneficiaries.lookup(actor, nir);
  }

  async insuredByName(
    actor: Actor,
    q: { name: string; birthDate: string; limit?: number },
  ): Promise<InsuredMatchesView> {
    const name = checkName('birthName', q.name);
    if (!name.ok) throw RegisterErrors[name.code](name.message.replace('birthName', 'name'), 'name');
    if (!isCalendarDate(q.birthDate))
      throw RegisterErrors.DATE_INVALID('birthDate is not a calendar date YYYY-MM-DD', 'birthDate');
    const limit = q.limit ?? DEFAULT_MATCHES;
    const scope = tenantScope(actor);
    return this.tx.run(async (em) => {
      const rows = await this.repo.byNameAndBirthDate(scope, name.value, q.birthDate, limit + 1);
      const items = rows.slice(0, limit);
      if (items.length) {
        await this.audit.record(
          em,
          actor,
          ...items.map((r) => ({
            action: 'beneficiary.read',
            entityType: 'beneficiary',
            entityId: r.id,
            organismeCode: actor.organismeCode ?? r.organismeCode,
            details: { by: 'name' },
          })),
        );
      }
      return { items, next: null, truncated: rows.length > limit };
    });
  }
}

function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
