import { Controller, Get, Param, Post, Query, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { EmissionErrors } from '../../emission/emission.errors.js';
import { PipelineActionsService } from '../../emission/pipeline/pipeline-actions.service.js';
import { DashboardService } from '../../insight/dashboard.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { dashboardPage, reinjectConfirmPage } from '../pages/dashboard.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The console's home: the dashboard of the chain; operators re-inject a stuck request from it. */
@ApiExcludeController()
@Controller('console')
export class DashboardController {
  constructor(
    private readonly dashboard: DashboardService,
    private readonly actions: PipelineActionsService,
  ) {}

  @Get()
  @ConsolePage('operator', 'fund')
  async home(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Query('relance') done?: string,
  ): Promise<SafeHtml> {
    // The flash message is chosen by the redirect, never taken from the URL.
    return dashboardPage(
      agent,
      await this.dashboard.figuresFor(actor),
      done === 'ok' ? 'La demande a été relancée : sa tâche est de nouveau dans la file.' : undefined,
    );
  }

  /** What the re-injection does, to confirm (the dashboard's button leads here; the form posts the action). */
  @Get('demandes/:id/relance')
  @ConsolePage('operator')
  @Answers(EmissionErrors.PIPELINE_REQUEST_NOT_FOUND)
  confirmReinject(@CurrentAgent() agent: ConsolePrincipal, @Param('id') id: string): SafeHtml {
    if (!UUID.test(id)) throw EmissionErrors.PIPELINE_REQUEST_NOT_FOUND();
    return reinjectConfirmPage(agent, id.toLowerCase());
  }

  /** The emission pipeline's own retry (same checks, same audit entry, with the agent). */
  @Post('demandes/:id/relance')
  @ConsoleAction('operator')
  @Answers(EmissionErrors.PIPELINE_REQUEST_NOT_FOUND, EmissionErrors.PIPELINE_NOTHING_TO_RETRY)
  @Redirect('/console?relance=ok#bloquees', 303)
  async reinject(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.actions.retry(actor, id);
  }
}
