import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { Allow, CurrentActor } from '../../platform/auth/auth.decorators.js';
import { OrderView } from './dto/order.dto.js';
import { OrdersService } from './orders.service.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { CardsErrors } from '../../cards/cards.errors.js';
import { EmissionErrors } from '../emission.errors.js';
import { RegimesErrors } from '../../regimes/regimes.errors.js';
import { RegisterErrors } from '../../register/register.errors.js';

@ApiTags('emission')
@Controller('v1/card-requests')
@Allow(PartnerKind.Fund)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post(':id/order')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Step 4: order the card of a request whose photo is available. A lost or stolen replaced card is opposed now; ' +
      'any other replaced card stays valid until the new card is activated',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrderView })
  @Answers(
    EmissionErrors.REQUEST_NOT_FOUND,
    EmissionErrors.ORDER_REQUEST_NOT_READY,
    EmissionErrors.ORDER_NOT_AFFILIATED,
    EmissionErrors.ORDER_PHOTO_MISSING,
    EmissionErrors.ORDER_PHOTO_TOO_OLD,
    EmissionErrors.ORDER_ACTIVE_CARD_EXISTS,
    CardsErrors.CARD_HOLDER_HAS_USABLE_CARD,
    CardsErrors.CARD_TRANSITION_NOT_ALLOWED,
    RegisterErrors.BENEFICIARY_NOT_FOUND,
    RegimesErrors.ORGANISME_UNKNOWN,
  )
  order(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<OrderView> {
    return this.orders.order(actor, id);
  }
}
