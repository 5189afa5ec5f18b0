import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { CampaignAction } from '../../campaigns/campaign-status.enum.js';
import { CampaignsErrors } from '../../campaigns/campaigns.errors.js';
import { CampaignsService } from '../../campaigns/campaigns.service.js';
import { CreateCampaignDto, DryRunDto } from '../../campaigns/dto/campaign.dto.js';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor, FormFields } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import {
  CAMPAIGN_ACTIONS,
  campaignConfirmPage,
  campaignDryRunPage,
  campaignFormPage,
  campaignPage,
  campaignsPage,
  funnelPage,
} from '../pages/campaigns.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { formField, formInt, formList, validated } from './form-input.js';

/** The list's cursor (`apres`): the `next` of the previous page. */
class AfterQuery {
  @IsOptional()
  @IsUUID()
  after?: string;
}

const COHORT_CHECKS = [
  CampaignsErrors.CAMPAIGN_COHORT_UNBOUNDED,
  CampaignsErrors.CAMPAIGN_REGIME_UNKNOWN,
  CampaignsErrors.CAMPAIGN_SCOPE_OUTSIDE_REGIMES,
  PlatformErrors.VALIDATION_FAILED,
];

/** The cohort form's fields. */
const COHORT_FIELDS = [
  'regimeCodes',
  'fundCodes',
  'organismeCodes',
  'generation',
  'minAge',
  'notUpdatedForMonths',
  'origin',
] as const;

/** The cohort form's fields in the API's shape (checked by the API's DTO). */
const cohortOf = (form: Record<string, string>) => ({
  regimeCodes: formList(form, 'regimeCodes') ?? [],
  fundCodes: formList(form, 'fundCodes'),
  organismeCodes: formList(form, 'organismeCodes'),
  generation: formInt(form, 'generation'),
  minAge: formInt(form, 'minAge'),
  notUpdatedForMonths: formInt(form, 'notUpdatedForMonths'),
  origin: formField(form, 'origin') || undefined,
});

/** The action's slug in the URL -> the service's move. */
const ACTION_BY_SLUG = new Map(
  Object.entries(CAMPAIGN_ACTIONS).map(([action, a]) => [a.slug, action as CampaignAction]),
);

function actionOf(slug: string): CampaignAction {
  const action = ACTION_BY_SLUG.get(slug);
  if (!action) throw PlatformErrors.NOT_FOUND();
  return action;
}

/** Renewal campaigns (docs/campaigns.md) through CampaignsService with the agent's actor: operators run them; a fund reads its own funnel. */
@ApiExcludeController()
@Controller('console/campagnes')
export class ConsoleCampaignsController {
  constructor(private readonly campaigns: CampaignsService) {}

  @Get()
  @ConsolePage('operator')
  @Answers(PlatformErrors.VALIDATION_FAILED)
  async list(@CurrentAgent() agent: ConsolePrincipal, @Query('apres') after?: string): Promise<SafeHtml> {
    const after_ = after ? await validated(AfterQuery, { after }) : null;
    return campaignsPage(agent, await this.campaigns.list(50, after_?.after ?? null));
  }

  @Get('nouvelle')
  @ConsolePage('operator')
  create(@CurrentAgent() agent: ConsolePrincipal): SafeHtml {
    return campaignFormPage(agent);
  }

  /** The cohort's size today; changes nothing (a read answered as a page, not a redirect). */
  @Post('simulation')
  @HttpCode(200)
  @ConsoleAction('operator')
  @FormFields('name', 'dailyLimit', ...COHORT_FIELDS)
  @Answers(...COHORT_CHECKS)
  async dryRun(@CurrentAgent() agent: ConsolePrincipal, @Body() form: Record<string, string>): Promise<SafeHtml> {
    const dto = await validated(DryRunDto, { cohort: cohortOf(form) });
    return campaignDryRunPage(agent, await this.campaigns.dryRun(dto.cohort));
  }

  @Post()
  @ConsoleAction('operator')
  @FormFields('name', 'dailyLimit', ...COHORT_FIELDS)
  @Answers(...COHORT_CHECKS)
  async define(
    @CurrentActor() actor: Actor,
    @Body() form: Record<string, string>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const dto = await validated(CreateCampaignDto, {
      name: formField(form, 'name'),
      dailyLimit: formInt(form, 'dailyLimit'),
      cohort: cohortOf(form),
    });
    const campaign = await this.campaigns.create(actor, dto);
    void reply.redirect(`/console/campagnes/${campaign.id}`, 303);
  }

  @Get(':id')
  @ConsolePage('operator')
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async show(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<SafeHtml> {
    const [campaign, waves, funnel] = await Promise.all([
      this.campaigns.get(id),
      this.campaigns.waves(id),
      this.campaigns.funnel(actor, id),
    ]);
    return campaignPage(agent, campaign, waves.items, funnel);
  }

  /** A fund agent's view: the funnel of its own insured only (the service applies the tenant rule, as the API does). */
  @Get(':id/entonnoir')
  @ConsolePage('operator', 'fund')
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async funnel(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<SafeHtml> {
    return funnelPage(agent, await this.campaigns.funnel(actor, id));
  }

  /** What the move will do, with the form that makes it. */
  @Get(':id/:action')
  @ConsolePage('operator')
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND, PlatformErrors.NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async confirm(
    @CurrentAgent() agent: ConsolePrincipal,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('action') slug: string,
  ): Promise<SafeHtml> {
    const action = actionOf(slug);
    return campaignConfirmPage(agent, await this.campaigns.get(id), action);
  }

  @Post(':id/:action')
  @ConsoleAction('operator')
  @Answers(
    CampaignsErrors.CAMPAIGN_NOT_FOUND,
    CampaignsErrors.CAMPAIGN_STATE_CONFLICT,
    PlatformErrors.NOT_FOUND,
    PlatformErrors.BAD_REQUEST,
  )
  async move(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('action') slug: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.campaigns.move(actor, id, actionOf(slug));
    void reply.redirect(`/console/campagnes/${id}`, 303);
  }
}
