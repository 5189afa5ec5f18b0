import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { RECORD_TYPES } from './card-records.js';
import {
  BeneficiaryUpdatesView,
  CardDataService,
  CardRecordView,
  CardUpdatesView,
  PutRecordResult,
  StalePageView,
} from './card-data.service.js';
import { PutCardRecordDto, StaleUpdatesQueryDto } from './dto/kiosk.dto.js';
import {
  BeneficiaryUpdatesView as BeneficiaryUpdatesSchema,
  CardRecordView as CardRecordSchema,
  CardUpdatesView as CardUpdatesSchema,
  PutRecordResultView,
  StalePageView as StalePageSchema,
} from './dto/update-views.dto.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { CardsErrors } from '../cards/cards.errors.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { RegisterErrors } from '../register/register.errors.js';
import { UpdateErrors } from './update.errors.js';

const SERIAL_PARAM = { name: 'serial', description: '12-digit card serial', example: '100000000042' };
const TYPE_PARAM = { name: 'recordType', enum: RECORD_TYPES };

/** The fund side of online updates: the current card data, what the chip still lacks, the cards not updated. */
@ApiTags('card updates')
@Controller('v1/cards')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class CardDataController {
  constructor(private readonly data: CardDataService) {}

  @Get('stale-updates')
  @ApiOperation({
    summary: 'Usable cards whose chip was not written for more than N months (a fund: its own), by serial',
  })
  @ApiOkResponse({ type: StalePageSchema })
  @Answers(PlatformErrors.CURSOR_INVALID)
  stale(@CurrentActor() actor: Actor, @Query() q: StaleUpdatesQueryDto): Promise<StalePageView> {
    return this.data.stale(actor, { months: q.months ?? 12, after: q.after, limit: q.limit });
  }

  @Put(':serial/data/:recordType')
  @ApiOperation({
    summary:
      'Set a whole chip record; raises the target version when the content changed. identity and organisme come from the register: change the beneficiary instead',
  })
  @ApiParam(SERIAL_PARAM)
  @ApiParam(TYPE_PARAM)
  @ApiBody({ type: PutCardRecordDto })
  @ApiOkResponse({ type: PutRecordResultView })
  @Answers(
    CardsErrors.CARD_NOT_FOUND,
    UpdateErrors.CARD_RECORD_FROM_REGISTER,
    UpdateErrors.CARD_NOT_UPDATABLE,
    UpdateErrors.CARD_RECORD_TYPE_UNKNOWN,
    UpdateErrors.CARD_DATA_INVALID,
  )
  put(
    @CurrentActor() actor: Actor,
    @Param('serial') serial: string,
    @Param('recordType') recordType: string,
    @Body() body: Record<string, unknown>,
  ): Promise<PutRecordResult> {
    return this.data.putRecord(actor, serial, recordType, body);
  }

  @Get(':serial/data/:recordType')
  @ApiOperation({ summary: 'The current content of one chip record' })
  @ApiParam(SERIAL_PARAM)
  @ApiParam(TYPE_PARAM)
  @ApiOkResponse({ type: CardRecordSchema })
  @Answers(CardsErrors.CARD_NOT_FOUND, UpdateErrors.CARD_RECORD_NOT_FOUND)
  getRecord(
    @CurrentActor() actor: Actor,
    @Param('serial') serial: string,
    @Param('recordType') recordType: string,
  ): Promise<CardRecordView> {
    return this.data.getRecord(actor, serial, recordType);
  }

  @Get(':serial/updates')
  @ApiOperation({ summary: 'Confirmed and target versions, pending records, when the chip was last written' })
  @ApiParam(SERIAL_PARAM)
  @ApiOkResponse({ type: CardUpdatesSchema })
  @Answers(CardsErrors.CARD_NOT_FOUND)
  updates(@CurrentActor() actor: Actor, @Param('serial') serial: string): Promise<CardUpdatesView> {
    return this.data.updates(actor, serial);
  }
}

/** Online updates per insured: what each card of the beneficiary still lacks (the fund knows the insured, not the serial). */
@ApiTags('card updates')
@Controller('v1/beneficiaries')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class BeneficiaryCardUpdatesController {
  constructor(private readonly data: CardDataService) {}

  @Get(':id/card-updates')
  @ApiOperation({
    summary:
      'For each card of the insured the caller manages (newest first): state, confirmed and target versions, pending records, last update',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: BeneficiaryUpdatesSchema })
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND)
  beneficiaryUpdates(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<BeneficiaryUpdatesView> {
    return this.data.beneficiaryUpdates(actor, id);
  }
}
