import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import {
  CardHistoryQueryDto,
  CardHistoryView,
  CardPageView,
  CardTransitionDto,
  CardView,
  CountKeylessCardsQueryDto,
  KeylessCardCountView,
  KeylessCardPageView,
  ListCardsQueryDto,
  ListKeylessCardsQueryDto,
} from './dto/card.dto.js';
import { CardsService } from './cards.service.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { CardsErrors } from './cards.errors.js';

const SERIAL_PARAM = { name: 'serial', description: '12-digit card serial', example: '100000000042' };

@ApiTags('cards')
@Controller('v1/cards')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class CardsController {
  constructor(private readonly cards: CardsService) {}

  @Get()
  @ApiOperation({
    summary: 'List cards by serial (a fund sees only the cards its organisme manages); resume after a cursor',
  })
  @ApiOkResponse({ type: CardPageView })
  list(@CurrentActor() actor: Actor, @Query() q: ListCardsQueryDto): Promise<CardPageView> {
    return this.cards.list(actor, q);
  }

  @Get('without-key')
  @ApiOperation({
    summary:
      'Usable cards whose chip has no key (made before kiosk protocol 2, or imported), by serial: they use kiosk/1 until its cut-off date and are to be replaced. A fund sees only its own',
  })
  @ApiOkResponse({ type: KeylessCardPageView })
  keyless(@CurrentActor() actor: Actor, @Query() q: ListKeylessCardsQueryDto): Promise<KeylessCardPageView> {
    return this.cards.keyless(actor, q);
  }

  @Get('without-key/count')
  @ApiOperation({ summary: 'How many usable cards have no chip key (a fund: its own)' })
  @ApiOkResponse({ type: KeylessCardCountView })
  keylessCount(@CurrentActor() actor: Actor, @Query() q: CountKeylessCardsQueryDto): Promise<KeylessCardCountView> {
    return this.cards.keylessCount(actor, q);
  }

  @Get(':serial')
  @ApiOperation({ summary: 'One card (CARD_NOT_FOUND also when it belongs to another organisme)' })
  @ApiParam(SERIAL_PARAM)
  @ApiOkResponse({ type: CardView })
  @Answers(CardsErrors.CARD_NOT_FOUND)
  get(@CurrentActor() actor: Actor, @Param('serial') serial: string): Promise<CardView> {
    return this.cards.get(actor, serial);
  }

  @Get(':serial/history')
  @ApiOperation({ summary: 'The state changes of a card, oldest first, from the audit trail' })
  @ApiParam(SERIAL_PARAM)
  @ApiOkResponse({ type: CardHistoryView })
  @Answers(CardsErrors.CARD_NOT_FOUND)
  history(
    @CurrentActor() actor: Actor,
    @Param('serial') serial: string,
    @Query() q: CardHistoryQueryDto,
  ): Promise<CardHistoryView> {
    return this.cards.history(actor, serial, q);
  }

  @Post(':serial/transitions')
  @HttpCode(200)
  @Allow(PartnerKind.Operator)
  @ApiOperation({ summary: 'Manual intervention: apply a named action of the card life cycle (docs/card-states.md)' })
  @ApiParam(SERIAL_PARAM)
  @ApiOkResponse({ type: CardView })
  @Answers(
    CardsErrors.CARD_NOT_FOUND,
    CardsErrors.CARD_TRANSITION_NOT_ALLOWED,
    CardsErrors.CARD_HOLDER_HAS_USABLE_CARD,
    CardsErrors.OPPOSITION_REASON_REQUIRED,
    CardsErrors.OPPOSITION_REASON_NOT_APPLICABLE,
  )
  transition(
    @CurrentActor() actor: Actor,
    @Param('serial') serial: string,
    @Body() dto: CardTransitionDto,
  ): Promise<CardView> {
    return this.cards.transition(actor, serial, dto.action, { reason: dto.reason });
  }
}
