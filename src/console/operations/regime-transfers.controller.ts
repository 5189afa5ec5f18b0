import { Controller, Get, Param, ParseUUIDPipe, Post, Res, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { RegimeTransferListQuery } from '../../update/dto/regime-transfer.dto.js';
import { RegimeTransfersService } from '../../update/regime-transfers.service.js';
import { UpdateErrors } from '../../update/update.errors.js';
import {
  regimeTransferPage,
  regimeTransferResumeConfirmPage,
  regimeTransfersPage,
} from '../pages/regime-transfers.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { validated } from './form-input.js';

/** Whole-regime transfers (operators), through RegimeTransfersService: list, one transfer's progress, resume a failed one. */
@ApiExcludeController()
@Controller('console/transferts')
export class ConsoleRegimeTransfersController {
  constructor(private readonly transfers: RegimeTransfersService) {}

  @Get()
  @ConsolePage('operator')
  @Answers(PlatformErrors.VALIDATION_FAILED)
  async list(@CurrentAgent() agent: ConsolePrincipal, @Query('apres') after?: string): Promise<SafeHtml> {
    const q = await validated(RegimeTransferListQuery, { after });
    return regimeTransfersPage(agent, await this.transfers.list(50, q.after ?? null));
  }

  @Get(':id')
  @ConsolePage('operator')
  @Answers(UpdateErrors.REGIME_TRANSFER_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async one(@CurrentAgent() agent: ConsolePrincipal, @Param('id', ParseUUIDPipe) id: string): Promise<SafeHtml> {
    return regimeTransferPage(agent, await this.transfers.get(id));
  }

  @Get(':id/reprise')
  @ConsolePage('operator')
  @Answers(UpdateErrors.REGIME_TRANSFER_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async resumeConfirm(
    @CurrentAgent() agent: ConsolePrincipal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<SafeHtml> {
    return regimeTransferResumeConfirmPage(agent, await this.transfers.get(id));
  }

  @Post(':id/reprise')
  @ConsoleAction('operator')
  @Answers(UpdateErrors.REGIME_TRANSFER_NOT_FOUND, UpdateErrors.REGIME_TRANSFER_NOT_FAILED, PlatformErrors.BAD_REQUEST)
  async resume(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.transfers.resume(actor, id);
    void reply.redirect(`/console/transferts/${id}`, 303);
  }
}
