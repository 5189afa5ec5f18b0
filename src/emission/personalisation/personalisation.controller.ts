import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { Allow, CurrentActor } from '../../platform/auth/auth.decorators.js';
import { BatchBuilderService } from './batch-builder.service.js';
import { BatchRepository } from './batch.repository.js';
import { BatchPageView, ListBatchesQuery, RunQueuedView } from './dto/batch.dto.js';

@ApiTags('emission')
@Controller('v1/personalisation/batches')
@Allow(PartnerKind.Operator)
export class PersonalisationController {
  constructor(
    private readonly builder: BatchBuilderService,
    private readonly batches: BatchRepository,
  ) {}

  @Post('run')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Build personalisation batches now (the job the cron enqueues); files follow in their own jobs',
  })
  @ApiAcceptedResponse({ type: RunQueuedView })
  run(@CurrentActor() actor: Actor): Promise<RunQueuedView> {
    return this.builder.requestRun(actor);
  }

  @Get()
  @ApiOperation({ summary: 'Personalisation batches, newest first' })
  @ApiOkResponse({ type: BatchPageView })
  async list(@Query() q: ListBatchesQuery): Promise<BatchPageView> {
    const limit = q.limit ?? 50;
    const items = await this.batches.list(limit, q.before);
    return { items, next: items.length === limit ? items[items.length - 1].batchNumber : null };
  }
}
