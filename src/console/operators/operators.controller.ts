import { Body, Controller, Get, HttpCode, Param, Post, Query, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { EmissionErrors } from '../../emission/emission.errors.js';
import { SSH_KEY_LINE_ERRORS, VendorsService } from '../../emission/vendors/vendors.service.js';
import { ApiKeyVerifier } from '../../partners/api-key-verifier.js';
import { PartnersErrors } from '../../partners/partners.errors.js';
import { PartnersService } from '../../partners/partners.service.js';
import { AuditService } from '../../platform/audit/audit.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor, FormFields } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { isPrintable } from '../../platform/validation/text.js';
import { isUuid } from '../../platform/validation/ids.js';
import { AgentsService } from '../agents/agents.service.js';
import { ConsoleFormErrors } from '../actions/actions.errors.js';
import { formField } from '../actions/actions.controller.js';
import {
  type AuditFilters,
  auditPage,
  keyCreatedPage,
  partnerPage,
  partnersPage,
  revokeKeyPage,
  vendorsPage,
} from '../pages/operators.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';

/** The audit search's criteria (its form's fields, in its query string) and its page cursor. */
const AUDIT_FILTERS = ['agent', 'partner', 'action', 'entityType', 'entityId', 'from', 'to', 'avant'];

/** Entries per page of the audit search. */
export const AUDIT_PAGE_SIZE = 50;

const text = (max: number, says: string) => ({
  test: (v: string) => v.length <= max && isPrintable(v),
  says,
});
const partnerNotFound = PartnersErrors.PARTNER_NOT_FOUND;

/** A Paris day (YYYY-MM-DD), `plusDays` later, as the instant it starts; null when it is no real date. */
export function parisDayStart(day: string, plusDays = 0): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const [y, m, d] = day.split('-').map(Number);
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) return null;
  const midnightUtc = Date.UTC(y, m - 1, d + plusDays);
  // Paris is UTC+1 in winter, UTC+2 in summer: the one whose instant reads midnight in Paris.
  for (const hours of [1, 2]) {
    const t = new Date(midnightUtc - hours * 3_600_000);
    if (t.toLocaleString('sv-SE', { timeZone: 'Europe/Paris' }).endsWith(' 00:00:00')) return t;
  }
  return new Date(midnightUtc - 3_600_000);
}

/**
 * The operators' pages: partners and their API keys, vendors with their SSH keys and age recipients, and the
 * audit search. Every change goes through the module's service with the agent's actor (the same audit as the API).
 */
@ApiExcludeController()
@Controller('console')
export class OperatorsController {
  constructor(
    private readonly partners: PartnersService,
    private readonly keys: ApiKeyVerifier,
    private readonly vendors: VendorsService,
    private readonly audit: AuditService,
    private readonly agents: AgentsService,
  ) {}

  @Get('partenaires')
  @ConsolePage('operator')
  async partnerList(@CurrentAgent() agent: ConsolePrincipal): Promise<SafeHtml> {
    return partnersPage(agent, await this.partners.list());
  }

  @Get('partenaires/:id')
  @ConsolePage('operator')
  @Answers(PartnersErrors.PARTNER_NOT_FOUND)
  async partner(@CurrentAgent() agent: ConsolePrincipal, @Param('id') id: string): Promise<SafeHtml> {
    if (!isUuid(id)) throw partnerNotFound();
    return partnerPage(agent, await this.partners.get(id));
  }

  /** Answers the page with the key (never a redirect: it is kept nowhere to be shown again). */
  @Post('partenaires/:id/cles')
  @HttpCode(200)
  @ConsoleAction('operator')
  @FormFields('label')
  @Answers(ConsoleFormErrors.CONSOLE_FIELD_INVALID, PartnersErrors.PARTNER_NOT_FOUND, PartnersErrors.PARTNER_INACTIVE)
  async createKey(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() form: Record<string, string>,
  ): Promise<SafeHtml> {
    const label = formField(form, 'label', 'Libellé', text(120, '120 caractères imprimables au plus'));
    if (!isUuid(id)) throw partnerNotFound();
    const created = await this.partners.createApiKey(actor, id, label || undefined);
    return keyCreatedPage(agent, await this.partners.get(id), created);
  }

  @Get('partenaires/:id/cles/:keyId/revocation')
  @ConsolePage('operator')
  @Answers(PartnersErrors.PARTNER_NOT_FOUND, PartnersErrors.API_KEY_NOT_FOUND)
  async revokeKeyForm(
    @CurrentAgent() agent: ConsolePrincipal,
    @Param('id') id: string,
    @Param('keyId') keyId: string,
  ): Promise<SafeHtml> {
    if (!isUuid(id)) throw partnerNotFound();
    const p = await this.partners.get(id);
    const key = p.apiKeys.find((k) => k.id === keyId);
    if (!key) throw PartnersErrors.API_KEY_NOT_FOUND();
    return revokeKeyPage(agent, p, key);
  }

  @Post('partenaires/:id/cles/:keyId/revocation')
  @ConsoleAction('operator')
  @Answers(PartnersErrors.API_KEY_NOT_FOUND)
  @Redirect('/console/partenaires', 303)
  async revokeKey(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Param('keyId') keyId: string,
  ): Promise<{ url: string }> {
    if (!isUuid(id) || !isUuid(keyId)) throw PartnersErrors.API_KEY_NOT_FOUND();
    await this.partners.revokeApiKey(actor, id, keyId);
    this.keys.invalidate();
    return { url: `/console/partenaires/${id}` };
  }

  @Get('fabricants')
  @ConsolePage('operator')
  async vendorList(@CurrentAgent() agent: ConsolePrincipal): Promise<SafeHtml> {
    return vendorsPage(agent, await this.vendors.list());
  }

  @Post('fabricants/:partnerId/cles-ssh')
  @ConsoleAction('operator')
  @FormFields('publicKey')
  @Answers(ConsoleFormErrors.CONSOLE_FIELD_INVALID, EmissionErrors.VENDOR_NOT_FOUND, ...SSH_KEY_LINE_ERRORS)
  @Redirect('/console/fabricants', 303)
  async addSshKey(
    @CurrentActor() actor: Actor,
    @Param('partnerId') partnerId: string,
    @Body() form: Record<string, string>,
  ): Promise<void> {
    const line = formField(form, 'publicKey', 'Clé SSH publique', {
      test: (v) => v.length > 0 && v.length <= 16_384,
      says: 'collez une ligne de clé publique OpenSSH',
    });
    await this.vendors.addKey(actor, partnerId, line);
  }

  @Post('fabricants/:partnerId/cles-ssh/:keyId/revocation')
  @ConsoleAction('operator')
  @Answers(EmissionErrors.SSH_KEY_NOT_FOUND)
  @Redirect('/console/fabricants', 303)
  async revokeSshKey(
    @CurrentActor() actor: Actor,
    @Param('partnerId') partnerId: string,
    @Param('keyId') keyId: string,
  ): Promise<void> {
    await this.vendors.revokeKey(actor, partnerId, keyId);
  }

  @Post('fabricants/:partnerId/destinataire-age')
  @ConsoleAction('operator')
  @FormFields('recipient')
  @Answers(
    ConsoleFormErrors.CONSOLE_FIELD_INVALID,
    EmissionErrors.VENDOR_NOT_FOUND,
    EmissionErrors.AGE_RECIPIENT_INVALID,
    EmissionErrors.AGE_RECIPIENT_TAKEN,
  )
  @Redirect('/console/fabricants', 303)
  async setAgeRecipient(
    @CurrentActor() actor: Actor,
    @Param('partnerId') partnerId: string,
    @Body() form: Record<string, string>,
  ): Promise<void> {
    const recipient = formField(form, 'recipient', 'Destinataire age', {
      test: (v) => v.length > 0 && v.length <= 100 && isPrintable(v),
      says: 'collez la clé publique « age1… »',
    });
    await this.vendors.setAgeRecipient(actor, partnerId, recipient);
  }

  @Get('journal')
  @ConsolePage('operator')
  @FormFields(...AUDIT_FILTERS)
  @Answers(ConsoleFormErrors.CONSOLE_FIELD_INVALID)
  async auditSearch(
    @CurrentAgent() agent: ConsolePrincipal,
    @Query() query: Record<string, unknown>,
  ): Promise<SafeHtml> {
    const q: Record<string, string> = {};
    for (const [k, v] of Object.entries(query)) {
      if (typeof v !== 'string') throw ConsoleFormErrors.CONSOLE_FIELD_INVALID(k, 'donnez ce critère une seule fois');
      q[k] = v;
    }
    const optionalUuid = { test: (v: string) => v === '' || isUuid(v), says: 'choisissez dans la liste' };
    const optionalDay = { test: (v: string) => v === '' || parisDayStart(v) !== null, says: 'saisissez une date' };
    const filters: AuditFilters = {
      agent: formField(q, 'agent', 'Agent', optionalUuid),
      partner: formField(q, 'partner', 'Partenaire', optionalUuid),
      action: formField(q, 'action', 'Action', text(64, '64 caractères au plus')),
      entityType: formField(q, 'entityType', 'Type de cible', text(32, '32 caractères au plus')),
      entityId: formField(q, 'entityId', 'Cible', text(64, '64 caractères au plus')),
      from: formField(q, 'from', 'Du', optionalDay),
      to: formField(q, 'to', 'Au', optionalDay),
    };
    const before = formField(q, 'avant', 'Page', {
      test: (v) => v === '' || /^\d{1,18}$/.test(v),
      says: 'suivez le lien « Entrées plus anciennes »',
    });
    const known = new Set([...Object.keys(filters), 'avant']);
    const unknown = Object.keys(q).find((k) => !known.has(k));
    if (unknown)
      throw ConsoleFormErrors.CONSOLE_FIELD_INVALID('?', 'la recherche ne prend que les critères du formulaire');
    const [entries, agents, partners] = await Promise.all([
      this.audit.list({
        actorAgentId: filters.agent || undefined,
        actorPartnerId: filters.partner || undefined,
        action: filters.action || undefined,
        entityType: filters.entityType || undefined,
        entityId: filters.entityId || undefined,
        from: filters.from ? parisDayStart(filters.from)! : undefined,
        to: filters.to ? parisDayStart(filters.to, 1)! : undefined,
        newestFirst: true,
        beforeId: before || undefined,
        limit: AUDIT_PAGE_SIZE,
      }),
      this.agents.list(),
      this.partners.list(),
    ]);
    const next = entries.length === AUDIT_PAGE_SIZE ? entries[entries.length - 1].id : null;
    return auditPage(agent, { filters, agents, partners, entries, next });
  }
}
