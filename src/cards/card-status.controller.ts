import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import { Allow, RateLimited } from '../platform/auth/auth.decorators.js';
import { CardStatusView } from './dto/card.dto.js';
import { CardsService } from './cards.service.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { CardsErrors } from './cards.errors.js';

@ApiTags('cards')
@Controller('v1/card-status')
@Allow(PartnerKind.Kiosk, PartnerKind.PharmacySoftware, PartnerKind.Operator)
export class CardStatusController {
  constructor(private readonly cards: CardsService) {}

  @Get(':serial')
  @RateLimited()
  @ApiOperation({
    summary:
      'Should this card be accepted? State and blocked flag only, never holder data (rate-limited per credential)',
  })
  @ApiParam({ name: 'serial', description: '12-digit card serial', example: '100000000042' })
  @ApiOkResponse({ type: CardStatusView })
  @Answers(CardsErrors.CARD_NOT_FOUND)
  status(@Param('serial') serial: string): Promise<CardStatusView> {
    return this.cards.status(serial);
  }
}
