import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import { PartnersService } from '../../partners/partners.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor, FormFields } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { ConsoleErrors } from '../console.errors.js';
import { agentCreatedPage, agentsPage } from '../pages/agents.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { AgentsService } from './agents.service.js';

const field = (form: Record<string, string>, name: string): string =>
  typeof form[name] === 'string' ? form[name] : '';

/** Operators manage the console's agents. */
@ApiExcludeController()
@Controller('console/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly partners: PartnersService,
  ) {}

  @Get()
  @ConsolePage('operator')
  async list(@CurrentAgent() agent: ConsolePrincipal): Promise<SafeHtml> {
    const [agents, partners] = await Promise.all([this.agents.list(), this.partners.list()]);
    return agentsPage(agent, {
      agents,
      partners: partners.filter((p) => p.active && (p.kind === PartnerKind.Operator || p.kind === PartnerKind.Fund)),
    });
  }

  /** Answers the page with the one-time secrets (never a redirect: they are kept nowhere to be shown again). */
  @Post()
  @HttpCode(200)
  @ConsoleAction('operator')
  @FormFields('partnerId', 'login', 'displayName')
  @Answers(
    ConsoleErrors.AGENT_LOGIN_INVALID,
    ConsoleErrors.AGENT_NAME_INVALID,
    ConsoleErrors.AGENT_PARTNER_INVALID,
    ConsoleErrors.AGENT_LOGIN_TAKEN,
  )
  async create(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Body() form: Record<string, string>,
  ): Promise<SafeHtml> {
    const created = await this.agents.create(actor, {
      partnerId: field(form, 'partnerId'),
      login: field(form, 'login'),
      displayName: field(form, 'displayName'),
    });
    return agentCreatedPage(agent, created);
  }

  @Post(':id/desactivation')
  @ConsoleAction('operator')
  @Answers(ConsoleErrors.AGENT_NOT_FOUND)
  @Redirect('/console/agents', 303)
  async disable(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.agents.disable(actor, id);
  }
}
