import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor, FormFields } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { RequestRunDto } from '../../reconciliation/dto/reconciliation.dto.js';
import { ReconciliationErrors } from '../../reconciliation/reconciliation.errors.js';
import { ReconciliationService } from '../../reconciliation/reconciliation.service.js';
import {
  reconciliationConfirmPage,
  reconciliationRunPage,
  reconciliationRunsPage,
  reconciliationWaveConfirmPage,
  reconciliationWavePage,
} from '../pages/reconciliation.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { formField, validated } from './form-input.js';

/** The form's mode slug -> the API's mode (a slug anything else is refused by the API's DTO). */
const MODES: Record<string, string> = { simulation: 'dry_run', application: 'apply' };

/**
 * Reconciliation (docs/reconciliation.md) through ReconciliationService with the agent's actor: runs read as the
 * API reads them (a fund: its own organisme's counts and report), runs and waves started by operators only.
 */
@ApiExcludeController()
@Controller('console/rapprochement')
export class ConsoleReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Get()
  @ConsolePage('operator', 'fund')
  async list(@CurrentAgent() agent: ConsolePrincipal, @CurrentActor() actor: Actor): Promise<SafeHtml> {
    const [runs, surplus] = await Promise.all([this.reconciliation.list(), this.reconciliation.surplusCounters(actor)]);
    return reconciliationRunsPage(agent, runs, surplus);
  }

  /** What a run of this mode will do, with the form that asks for it. */
  @Get('nouvelle/:mode')
  @ConsolePage('operator')
  @Answers(PlatformErrors.NOT_FOUND)
  confirm(@CurrentAgent() agent: ConsolePrincipal, @Param('mode') mode: string): SafeHtml {
    if (!MODES[mode]) throw PlatformErrors.NOT_FOUND();
    return reconciliationConfirmPage(agent, mode as 'simulation' | 'application');
  }

  @Post('executions')
  @ConsoleAction('operator')
  @FormFields('mode')
  @Answers(ReconciliationErrors.RECONCILIATION_RUN_IN_PROGRESS, PlatformErrors.VALIDATION_FAILED)
  async request(
    @CurrentActor() actor: Actor,
    @Body() form: Record<string, string>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const mode = formField(form, 'mode');
    const dto = await validated(RequestRunDto, { mode: MODES[mode] ?? mode });
    const run = await this.reconciliation.request(actor, dto.mode);
    void reply.redirect(`/console/rapprochement/executions/${run.id}`, 303);
  }

  @Get('vague')
  @ConsolePage('operator')
  waveConfirm(@CurrentAgent() agent: ConsolePrincipal): SafeHtml {
    return reconciliationWaveConfirmPage(agent);
  }

  /** Runs a wave now and shows what it did (a page, not a redirect: the figures are the wave's own). */
  @Post('vague')
  @HttpCode(200)
  @ConsoleAction('operator')
  async wave(@CurrentAgent() agent: ConsolePrincipal, @CurrentActor() actor: Actor): Promise<SafeHtml> {
    return reconciliationWavePage(agent, await this.reconciliation.wave(actor));
  }

  @Get('executions/:id')
  @ConsolePage('operator', 'fund')
  @Answers(ReconciliationErrors.RECONCILIATION_RUN_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async run(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<SafeHtml> {
    return reconciliationRunPage(agent, await this.reconciliation.get(actor, id));
  }

  /** The run's CSV report, the API's (a fund: its own organisme's cards; the read is audited by the service). */
  @Get('executions/:id/rapport.csv')
  @ConsolePage('operator', 'fund')
  @Answers(
    ReconciliationErrors.RECONCILIATION_RUN_NOT_FOUND,
    ReconciliationErrors.RECONCILIATION_RUN_NOT_DONE,
    PlatformErrors.BAD_REQUEST,
  )
  async report(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Readable> {
    const lines = await this.reconciliation.report(actor, id);
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', `attachment; filename="rapprochement-${id}.csv"`);
    return Readable.from(lines);
  }
}
