import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { ApiListResponse, type ListPage, wholeList } from '../platform/openapi/list-page.js';
import {
  RequestRunDto,
  RunDetailView,
  RunView,
  SurplusCounterView,
  ReconciliationWaveView,
} from './dto/reconciliation.dto.js';
import { ReconciliationErrors } from './reconciliation.errors.js';
import { ReconciliationService } from './reconciliation.service.js';

const RUN_PARAM = { name: 'id', description: 'Run id', format: 'uuid' };

@ApiTags('reconciliation')
@Controller('v1/reconciliation')
@Allow(PartnerKind.Operator, PartnerKind.Fund)
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Post('runs')
  @HttpCode(202)
  @Allow(PartnerKind.Operator)
  @ApiOperation({
    summary:
      'Ask for a reconciliation run (docs/reconciliation.md): dry_run counts and reports, apply keeps one card per person and opposes the others in waves; one run at a time',
  })
  @ApiAcceptedResponse({ type: RunView })
  @Answers(ReconciliationErrors.RECONCILIATION_RUN_IN_PROGRESS)
  async request(
    @CurrentActor() actor: Actor,
    @Body() dto: RequestRunDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RunView> {
    const run = await this.reconciliation.request(actor, dto.mode);
    reply.header('Location', `/v1/reconciliation/runs/${run.id}`);
    return run;
  }

  @Get('runs')
  @ApiOperation({ summary: 'The latest 50 reconciliation runs, newest first' })
  @ApiListResponse(RunView)
  async list(): Promise<ListPage<RunView>> {
    return wholeList(await this.reconciliation.list());
  }

  @Get('runs/:id')
  @ApiOperation({
    summary: "A run and its counts per regime, fund, organisme and class (a fund: its own organisme's cards only)",
  })
  @ApiParam(RUN_PARAM)
  @ApiOkResponse({ type: RunDetailView })
  @Answers(ReconciliationErrors.RECONCILIATION_RUN_NOT_FOUND)
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<RunDetailView> {
    return this.reconciliation.get(actor, id);
  }

  @Get('runs/:id/report.csv')
  @ApiOperation({
    summary:
      "The run's findings as CSV (serial, class, kept serial, organisme, fund, regime, generation, origin; no NIR); a fund gets its own organisme's cards only",
  })
  @ApiParam(RUN_PARAM)
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'text/csv, `;`-separated, one card and class a line', schema: { type: 'string' } })
  @Answers(ReconciliationErrors.RECONCILIATION_RUN_NOT_FOUND, ReconciliationErrors.RECONCILIATION_RUN_NOT_DONE)
  async report(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readable> {
    const lines = await this.reconciliation.report(actor, id);
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', `attachment; filename="reconciliation-${id}.csv"`);
    return Readable.from(lines);
  }

  @Get('surplus')
  @ApiOperation({
    summary:
      'Surplus cards per regime: found by the latest finished run, invalidated by the waves (a fund: its own organisme)',
  })
  @ApiListResponse(SurplusCounterView)
  async surplus(@CurrentActor() actor: Actor): Promise<ListPage<SurplusCounterView>> {
    return wholeList(await this.reconciliation.surplusCounters(actor));
  }

  @Post('waves')
  @HttpCode(200)
  @Allow(PartnerKind.Operator)
  @ApiOperation({
    summary:
      'Run a wave now: oppose the next decided cards, within what RECONCILE_DAILY_LIMIT leaves for today (the hourly job does the same)',
  })
  @ApiOkResponse({ type: ReconciliationWaveView })
  wave(@CurrentActor() actor: Actor): Promise<ReconciliationWaveView> {
    return this.reconciliation.wave(actor);
  }
}
