import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import {
  CreatedWebhookView,
  CreateWebhookDto,
  ListDeliveriesQueryDto,
  ListWebhooksQueryDto,
  WebhookDeliveryPageView,
  WebhookView,
} from './dto/webhooks.dto.js';
import { WebhooksService } from './webhooks.service.js';
import { ApiListResponse, type ListPage, wholeList } from '../platform/openapi/list-page.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { EventsErrors } from './events.errors.js';

@ApiTags('webhooks')
@Controller('v1/webhooks')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Allow(PartnerKind.Fund)
  @ApiOperation({ summary: "Subscribe to the organisme's events; the signing secret is in this answer only" })
  @ApiCreatedResponse({ type: CreatedWebhookView })
  @Answers(
    EventsErrors.WEBHOOK_FUND_ONLY,
    EventsErrors.WEBHOOK_LIMIT_REACHED,
    EventsErrors.WEBHOOK_TARGET_PRIVATE,
    EventsErrors.WEBHOOK_TARGET_UNRESOLVED,
  )
  create(@CurrentActor() actor: Actor, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    return this.webhooks.create(actor, dto);
  }

  @Get()
  @ApiOperation({ summary: "Active subscriptions (a fund: its own; operators: all, or one organisme's)" })
  @ApiListResponse(WebhookView)
  async list(@CurrentActor() actor: Actor, @Query() q: ListWebhooksQueryDto): Promise<ListPage<WebhookView>> {
    return wholeList(await this.webhooks.list(actor, q.organismeCode));
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookView })
  @Answers(EventsErrors.WEBHOOK_NOT_FOUND)
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<WebhookView> {
    return this.webhooks.get(actor, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribe: no further call is made, pending deliveries are given up' })
  @ApiNoContentResponse()
  @Answers(EventsErrors.WEBHOOK_NOT_FOUND)
  remove(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    return this.webhooks.remove(actor, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Recent deliveries, newest first: status, attempts, last error' })
  @ApiOkResponse({ type: WebhookDeliveryPageView })
  @Answers(EventsErrors.WEBHOOK_NOT_FOUND)
  deliveries(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Query() q: ListDeliveriesQueryDto,
  ): Promise<WebhookDeliveryPageView> {
    return this.webhooks.deliveries(actor, id, q);
  }
}
