import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { Allow, CurrentActor } from '../../platform/auth/auth.decorators.js';
import {
  CancelView, LeadTimesQueryDto, LeadTimesView, PipelineQueryDto, PipelineView, RetryView, StuckPageView, StuckQueryDto,
} from './dto/pipeline.dto.js';
import { PipelineActionsService } from './pipeline-actions.service.js';
import { PipelineService } from './pipeline.service.js';

@ApiTags('pipeline')
@Controller('v1/pipeline')
@Allow(PartnerKind.Operator)
export class PipelineController {
  constructor(private readonly pipeline: PipelineService, private readonly actions: PipelineActionsService) {}

  @Get()
  @ApiOperation({ summary: 'Open requests per status (and per organisme with by=organisme), cards per chain state' })
  @ApiOkResponse({ type: PipelineView })
  summary(@Query() q: PipelineQueryDto): Promise<PipelineView> {
    return this.pipeline.summary(q.by === 'organisme');
  }

  @Get('stuck')
  @ApiOperation({ summary: 'Open requests idle at their step longer than olderThanHours, oldest first (docs/emission.md)' })
  @ApiOkResponse({ type: StuckPageView })
  @ApiBadRequestResponse({ description: 'PIPELINE_CURSOR_INVALID, VALIDATION_FAILED' })
  stuck(@Query() q: StuckQueryDto): Promise<StuckPageView> {
    return this.pipeline.stuck(q);
  }

  @Get('lead-times')
  @ApiOperation({ summary: 'Median and 90th percentile in days per segment of the chain, beside the 2014 reference figures' })
  @ApiOkResponse({ type: LeadTimesView })
  leadTimes(@Query() q: LeadTimesQueryDto): Promise<LeadTimesView> {
    return this.pipeline.leadTimes(q);
  }

  @Post('requests/:id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-enqueue the job of the request\'s current step and clear its review flag' })
  @ApiOkResponse({ type: RetryView })
  @ApiNotFoundResponse({ description: 'PIPELINE_REQUEST_NOT_FOUND' })
  @ApiConflictResponse({ description: 'PIPELINE_NOTHING_TO_RETRY: waiting on the insured, the fund or the vendor, or closed' })
  retry(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<RetryView> {
    return this.actions.retry(actor, id);
  }

  @Post('requests/:id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel an open request before in_personalisation (its ordered card too); the fund gets request.cancelled' })
  @ApiOkResponse({ type: CancelView })
  @ApiNotFoundResponse({ description: 'PIPELINE_REQUEST_NOT_FOUND' })
  @ApiConflictResponse({ description: 'PIPELINE_CANNOT_CANCEL, CARD_TRANSITION_NOT_ALLOWED' })
  cancel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CancelView> {
    return this.actions.cancel(actor, id);
  }
}
