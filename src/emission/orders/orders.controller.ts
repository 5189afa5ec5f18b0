import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { Allow, CurrentActor } from '../../platform/auth/auth.decorators.js';
import { OrderView } from './dto/order.dto.js';
import { OrdersService } from './orders.service.js';

@ApiTags('emission')
@Controller('v1/card-requests')
@Allow(PartnerKind.Fund)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post(':id/order')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Step 4: order the card of a request whose photo is available. A lost or stolen replaced card is opposed now; ' +
      'any other replaced card stays valid until the new card is activated',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrderView })
  @ApiNotFoundResponse({ description: 'REQUEST_NOT_FOUND (also for another organisme\'s request)' })
  @ApiConflictResponse({ description: 'ORDER_REQUEST_NOT_READY, ORDER_NOT_AFFILIATED, ORDER_PHOTO_MISSING, ORDER_PHOTO_TOO_OLD, ORDER_ACTIVE_CARD_EXISTS' })
  order(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<OrderView> {
    return this.orders.order(actor, id);
  }
}
