import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { Allow, CurrentActor } from '../../platform/auth/auth.decorators.js';
import { CardRequestsService } from './card-requests.service.js';
import {
  CardRequestPageView,
  CardRequestView,
  CreateCardRequestDto,
  CreatedCardRequestView,
  ListCardRequestsQueryDto,
  UploadLinkView,
} from './dto/card-request.dto.js';
import { RequestFormService } from './request-form.service.js';
import { OwnCardsService } from './own-cards.service.js';
import { OwnCardsRunView } from './dto/own-cards.dto.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { CardsErrors } from '../../cards/cards.errors.js';
import { EmissionErrors } from '../emission.errors.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { RegisterErrors } from '../../register/register.errors.js';

@ApiTags('card requests')
@Controller('v1/card-requests')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class CardRequestsController {
  constructor(
    private readonly requests: CardRequestsService,
    private readonly forms: RequestFormService,
    private readonly ownCards: OwnCardsService,
  ) {}

  @Post('own-cards/run')
  @HttpCode(200)
  @Allow(PartnerKind.Operator)
  @ApiOperation({
    summary:
      "Run now the daily job that opens the own card's request of dependants reaching 16 (docs/family-cards.md); once per young person whatever the runs",
  })
  @ApiOkResponse({ type: OwnCardsRunView })
  runOwnCards(): Promise<OwnCardsRunView> {
    return this.ownCards.run();
  }

  @Post()
  @Allow(PartnerKind.Fund)
  @ApiOperation({
    summary:
      'Step 1: open a card request and send the pre-filled form; the answer holds the one-time online upload link',
  })
  @ApiCreatedResponse({ type: CreatedCardRequestView })
  @Answers(
    PlatformErrors.FUND_ONLY,
    RegisterErrors.BENEFICIARY_NOT_FOUND,
    EmissionErrors.REQUEST_TOO_YOUNG,
    EmissionErrors.REQUEST_ALREADY_OPEN,
    EmissionErrors.REQUEST_ACTIVE_CARD_EXISTS,
    EmissionErrors.FORM_NUMBERS_EXHAUSTED,
  )
  async create(
    @CurrentActor() actor: Actor,
    @Body() dto: CreateCardRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreatedCardRequestView> {
    const created = await this.requests.create(actor, dto);
    reply.header('Location', `/v1/card-requests/${created.id}`);
    return created;
  }

  @Get()
  @ApiOperation({ summary: "The caller's card requests (operators: all), by keyset pages" })
  @ApiOkResponse({ type: CardRequestPageView })
  list(@CurrentActor() actor: Actor, @Query() q: ListCardRequestsQueryDto): Promise<CardRequestPageView> {
    return this.requests.list(actor, q);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One request: status, form number, photo and refusal reasons, card, deadlines, step history',
  })
  @ApiOkResponse({ type: CardRequestView })
  @Answers(EmissionErrors.REQUEST_NOT_FOUND)
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CardRequestView> {
    return this.requests.get(actor, id);
  }

  @Get(':id/form.pdf')
  @ApiOperation({ summary: 'The pre-filled form as a PDF (docs/formats/card-request-form.md); leaves an access trail' })
  @ApiProduces('application/pdf')
  @ApiOkResponse({ description: 'application/pdf', schema: { type: 'string', format: 'binary' } })
  @Answers(EmissionErrors.REQUEST_NOT_FOUND)
  async form(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const form = await this.forms.render(actor, id);
    reply
      .header('Content-Type', 'application/pdf')
      .header('Content-Disposition', `inline; filename="${form.fileName}"`);
    return form.pdf;
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Allow(PartnerKind.Fund)
  @ApiOperation({ summary: 'Cancel an open request before its card is ordered; the upload link stops working' })
  @ApiOkResponse({ type: CardRequestView })
  @Answers(
    PlatformErrors.FUND_ONLY,
    EmissionErrors.REQUEST_NOT_FOUND,
    EmissionErrors.REQUEST_NOT_CANCELLABLE,
    CardsErrors.CARD_TRANSITION_NOT_ALLOWED,
  )
  cancel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<CardRequestView> {
    return this.requests.cancel(actor, id);
  }

  @Post(':id/upload-link')
  @Allow(PartnerKind.Fund)
  @ApiOperation({
    summary:
      'A new one-time online upload link (shown once; the previous one stops working) while the request waits for a photo',
  })
  @ApiCreatedResponse({ type: UploadLinkView })
  @Answers(PlatformErrors.FUND_ONLY, EmissionErrors.REQUEST_NOT_FOUND, EmissionErrors.REQUEST_NOT_AWAITING_PHOTO)
  renewUploadLink(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<UploadLinkView> {
    return this.requests.renewUploadLink(actor, id);
  }
}
