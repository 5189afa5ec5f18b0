import { Controller, Get, Param, ParseIntPipe, Post, Query, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { OppositionErrors } from '../../opposition/opposition.errors.js';
import { OppositionListsService, toListView } from '../../opposition/opposition-lists.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import {
  oppositionListPage,
  oppositionListsPage,
  signingKeyRotateConfirmPage,
  signingKeysPage,
} from '../pages/opposition-lists.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { validated } from './form-input.js';

const PAGE = 50;

/** The list's cursor (`avant`): the `next` of the previous page. */
class BeforeQuery {
  @IsOptional()
  @Matches(/^\d{1,9}$/, { message: 'avant must be a list number' })
  before?: string;
}

/** Published opposition lists and the signing keys (operators), through OppositionListsService. */
@ApiExcludeController()
@Controller('console')
export class ConsoleOppositionListsController {
  constructor(private readonly lists: OppositionListsService) {}

  @Get('listes-opposition')
  @ConsolePage('operator')
  @Answers(PlatformErrors.VALIDATION_FAILED)
  async list(@CurrentAgent() agent: ConsolePrincipal, @Query('avant') before?: string): Promise<SafeHtml> {
    const q = await validated(BeforeQuery, { before });
    return oppositionListsPage(agent, await this.lists.recent(q.before ? Number(q.before) : null, PAGE));
  }

  @Get('listes-opposition/:number')
  @ConsolePage('operator')
  @Answers(OppositionErrors.OPPOSITION_LIST_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async one(@CurrentAgent() agent: ConsolePrincipal, @Param('number', ParseIntPipe) number: number): Promise<SafeHtml> {
    return oppositionListPage(agent, toListView(await this.lists.row(number)));
  }

  @Get('cles-de-signature')
  @ConsolePage('operator')
  keys(@CurrentAgent() agent: ConsolePrincipal): SafeHtml {
    return signingKeysPage(agent, this.lists.signingKeys());
  }

  @Get('cles-de-signature/rotation')
  @ConsolePage('operator')
  rotateConfirm(@CurrentAgent() agent: ConsolePrincipal): SafeHtml {
    return signingKeyRotateConfirmPage(agent, this.lists.signingKeys());
  }

  @Post('cles-de-signature/rotation')
  @ConsoleAction('operator')
  @Redirect('/console/cles-de-signature', 303)
  async rotate(@CurrentActor() actor: Actor): Promise<void> {
    await this.lists.rotateSigningKey(actor);
  }
}
