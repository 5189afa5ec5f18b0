import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import {
  CreateRegimeTransferDto,
  RegimeTransferListQuery,
  RegimeTransferListView,
  RegimeTransferView,
} from './dto/regime-transfer.dto.js';
import { RegimeTransfersService } from './regime-transfers.service.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { RegimesErrors } from '../regimes/regimes.errors.js';
import { UpdateErrors } from './update.errors.js';

/** Regime transfers: every insured of whole organismes changes fund on one date, keeping their card (operators). */
@ApiTags('mutations')
@Controller('v1/regime-transfers')
export class RegimeTransfersController {
  constructor(private readonly transfers: RegimeTransfersService) {}

  @Post()
  @HttpCode(202)
  @Allow(PartnerKind.Operator)
  @ApiOperation({
    summary: 'Transfer every insured of the source organismes to their target on one date; recorded by a job',
  })
  @ApiAcceptedResponse({ type: RegimeTransferView })
  @Answers(
    UpdateErrors.MUTATION_DATE_INVALID,
    UpdateErrors.MUTATION_SAME_ORGANISME,
    RegimesErrors.ORGANISME_UNKNOWN,
    UpdateErrors.REGIME_TRANSFER_SOURCE_DUPLICATE,
    UpdateErrors.REGIME_TRANSFER_CHAINED,
    UpdateErrors.REGIME_TRANSFER_SOURCE_BUSY,
  )
  create(@CurrentActor() actor: Actor, @Body() dto: CreateRegimeTransferDto): Promise<RegimeTransferView> {
    return this.transfers.create(actor, dto);
  }

  @Get()
  @Allow(PartnerKind.Operator)
  @ApiOperation({ summary: 'Regime transfers, newest first' })
  @ApiOkResponse({ type: RegimeTransferListView })
  list(@Query() q: RegimeTransferListQuery): Promise<RegimeTransferListView> {
    return this.transfers.list(q.limit ?? 50, q.after ?? null);
  }

  @Post(':id/resume')
  @HttpCode(202)
  @Allow(PartnerKind.Operator)
  @ApiOperation({ summary: 'Resume a failed transfer (its job gave up): recording carries on from where it stopped' })
  @ApiAcceptedResponse({ type: RegimeTransferView })
  @Answers(UpdateErrors.REGIME_TRANSFER_NOT_FOUND, UpdateErrors.REGIME_TRANSFER_NOT_FAILED)
  resume(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<RegimeTransferView> {
    return this.transfers.resume(actor, id);
  }

  @Get(':id')
  @Allow(PartnerKind.Operator)
  @ApiOperation({
    summary: 'One regime transfer: status, counts (insured, cards, skipped, mutations, applied), mappings',
  })
  @ApiOkResponse({ type: RegimeTransferView })
  @Answers(UpdateErrors.REGIME_TRANSFER_NOT_FOUND)
  get(@Param('id') id: string): Promise<RegimeTransferView> {
    return this.transfers.get(id);
  }
}
