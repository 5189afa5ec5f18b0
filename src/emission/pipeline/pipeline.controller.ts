import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { Allow, CurrentActor } from '../../platform/auth/auth.decorators.js';
import {
  CancelView,
  LeadTimesQueryDto,
  LeadTimesView,
  PipelineQueryDto,
  PipelineView,
  RetryView,
  StuckPageView,
  StuckQueryDto,
} from './dto/pipeline.dto.js';
import { PipelineActionsService } from './pipeline-actions.service.js';
import { PipelineService } from './pipeline.service.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { CardsErrors } from '../../cards/cards.errors.js';
import { EmissionErrors } from '../emission.errors.js';

@ApiTags('pipeline')
@Controller('v1/pipeline')
@Allow(PartnerKind.Operator)
export class PipelineController {
  constructor(
    private readonly pipeline: PipelineService,
    private readonly actions: PipelineActionsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Open requests per status (and per organisme with by=organisme), cards per chain state' })
  @ApiOkResponse({ type: PipelineView })
  summary(@Query() q: PipelineQueryDto): Promise<PipelineView> {
    return this.pipeline.summary(q.by === 'organisme');
  }

  @Get('stuck')
  @ApiOperation({
    summary: 'Open requests idle at their step longer than olderThanHours, oldest first (docs/emission.md)',
  })
  @ApiOkResponse({ type: StuckPageView })
  @Answers(EmissionErrors.PIPELINE_CURSOR_INVALID)
  stuck(@Query() q: StuckQueryDto): Promise<StuckPageView> {
    return this.pipeline.stuck(q);
  }

  @Get('lead-times')
  @ApiOperation({
    summary: 'Median and 90th percentile in days per segment of the chain, beside the 2014 reference figures',
  })
  @ApiOkResponse({ type: LeadTimesView })
  @Answers(EmissionErrors.PIPELINE_SINCE_INVALID)
  leadTimes(@Query() q: LeadTimesQueryDto): Promise<LeadTimesView> {
    return this.pipeline.leadTimes(q);
  }

  @Post('requests/:id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: "Re-enqueue the job of the request's current step and clear its review flag" })
  @ApiOkResponse({ type: RetryView })
  @Answers(EmissionErrors.PIPELINE_REQUEST_NOT_FOUND, EmissionErrors.PIPELINE_NOTHING_TO_RETRY)
  retry(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<RetryView> {
    return this.actions.retry(actor, id);
  }

  @Post('requests/:id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel an open request before in_personalisation (its ordered card too); the fund gets request.cancelled',
  })
  @ApiOkResponse({ type: CancelView })
  @Answers(
    EmissionErrors.PIPELINE_REQUEST_NOT_FOUND,
    EmissionErrors.PIPELINE_CANNOT_CANCEL,
    CardsErrors.CARD_TRANSITION_NOT_ALLOWED,
  )
  cancel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CancelView> {
    return this.actions.cancel(actor, id);
  }
}
