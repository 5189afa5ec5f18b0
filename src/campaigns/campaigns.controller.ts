import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { CampaignsErrors } from './campaigns.errors.js';
import { CampaignsService } from './campaigns.service.js';
import {
  CampaignListQuery,
  CampaignListView,
  CampaignView,
  CreateCampaignDto,
  DryRunDto,
  DryRunView,
  FunnelView,
  WaveListView,
  WaveRunView,
} from './dto/campaign.dto.js';

const COHORT_CHECKS = [
  CampaignsErrors.CAMPAIGN_COHORT_UNBOUNDED,
  CampaignsErrors.CAMPAIGN_REGIME_UNKNOWN,
  CampaignsErrors.CAMPAIGN_SCOPE_OUTSIDE_REGIMES,
];

/** Renewal campaigns (docs/campaigns.md): operators define and run them; funds read their own insured's funnel. */
@ApiTags('campaigns')
@Controller('v1/campaigns')
@Allow(PartnerKind.Operator)
export class CampaignsController {
  constructor(private readonly campaigns: CampaignsService) {}

  @Post('dry-run')
  @HttpCode(200)
  @ApiOperation({ summary: "A cohort's size today, per regime; changes nothing" })
  @ApiOkResponse({ type: DryRunView })
  @Answers(...COHORT_CHECKS)
  dryRun(@Body() dto: DryRunDto): Promise<DryRunView> {
    return this.campaigns.dryRun(dto.cohort);
  }

  @Post('run-waves')
  @HttpCode(200)
  @ApiOperation({
    summary: "Run now the hourly job that sends today's waves (once per campaign and day, whatever the runs)",
  })
  @ApiOkResponse({ type: WaveRunView })
  runWaves(): Promise<WaveRunView> {
    return this.campaigns.runWaves();
  }

  @Post()
  @ApiOperation({
    summary: 'Define a campaign (status ready): its cohort is checked and sized; start it to send waves',
  })
  @ApiCreatedResponse({ type: CampaignView })
  @Answers(...COHORT_CHECKS)
  create(@CurrentActor() actor: Actor, @Body() dto: CreateCampaignDto): Promise<CampaignView> {
    return this.campaigns.create(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: 'Campaigns, newest first' })
  @ApiOkResponse({ type: CampaignListView })
  list(@Query() q: CampaignListQuery): Promise<CampaignListView> {
    return this.campaigns.list(q.limit ?? 50, q.after ?? null);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One campaign: cohort, status, forms sent and holders skipped so far' })
  @ApiOkResponse({ type: CampaignView })
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND)
  get(@Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.get(id);
  }

  @Get(':id/waves')
  @ApiOperation({ summary: "The campaign's waves, one per day: planned, sent, skipped" })
  @ApiOkResponse({ type: WaveListView })
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND)
  waves(@Param('id') id: string): Promise<WaveListView> {
    return this.campaigns.waves(id);
  }

  @Get(':id/funnel')
  @Allow(PartnerKind.Operator, PartnerKind.Fund)
  @ApiOperation({
    summary:
      "The campaign's funnel: forms sent, answered, photos refused, cards active, unanswered (a fund: its own insured only)",
  })
  @ApiOkResponse({ type: FunnelView })
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND)
  funnel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<FunnelView> {
    return this.campaigns.funnel(actor, id);
  }

  @Post(':id/start')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start sending waves (from ready); the first goes out at once' })
  @ApiOkResponse({ type: CampaignView })
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND, CampaignsErrors.CAMPAIGN_STATE_CONFLICT)
  start(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.move(actor, id, 'start');
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause (from running): a wave in progress stops after its current chunk' })
  @ApiOkResponse({ type: CampaignView })
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND, CampaignsErrors.CAMPAIGN_STATE_CONFLICT)
  pause(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.move(actor, id, 'pause');
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: "Resume (from paused): today's wave carries on from the next holder" })
  @ApiOkResponse({ type: CampaignView })
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND, CampaignsErrors.CAMPAIGN_STATE_CONFLICT)
  resume(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.move(actor, id, 'resume');
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel for good (from ready, running or paused); forms already sent follow their course' })
  @ApiOkResponse({ type: CampaignView })
  @Answers(CampaignsErrors.CAMPAIGN_NOT_FOUND, CampaignsErrors.CAMPAIGN_STATE_CONFLICT)
  cancel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CampaignView> {
    return this.campaigns.move(actor, id, 'cancel');
  }
}
