import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { EventsQueryDto, FundEventPageView } from './dto/events.dto.js';
import { FundEventsService } from './fund-events.service.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { EventsErrors } from './events.errors.js';

@ApiTags('events')
@Controller('v1/events')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class EventsController {
  constructor(private readonly events: FundEventsService) {}

  @Get()
  @ApiOperation({
    summary:
      "The organisme's events after a cursor, oldest first; resume with `next` (docs/formats/events-and-webhooks.md)",
    description:
      'A resumed cursor never skips an event committed late and never repeats one. `wait` long-polls up to 30 s.',
  })
  @ApiOkResponse({ type: FundEventPageView })
  @Answers(EventsErrors.EVENT_CURSOR_INVALID, EventsErrors.EVENT_ORGANISME_REQUIRED, EventsErrors.EVENTS_CURSOR_EXPIRED)
  feed(@CurrentActor() actor: Actor, @Query() q: EventsQueryDto): Promise<FundEventPageView> {
    return this.events.feed(actor, q);
  }
}
