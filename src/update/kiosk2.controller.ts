import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor, RateLimited } from '../platform/auth/auth.decorators.js';
import { KioskCheckDto, parseKioskCheck } from './dto/kiosk.dto.js';
import { Kiosk2ConfirmDto, KioskFetchDto, parseKiosk2Confirm, parseKioskFetch } from './dto/kiosk2.dto.js';
import {
  CHECK2_ANSWER_MODELS,
  CHECK2_ANSWER_SCHEMA,
  Confirm2AnswerView,
  FETCH_ANSWER_MODELS,
  FETCH_ANSWER_SCHEMA,
} from './dto/kiosk2-views.dto.js';
import { Check2Answer, Confirm2Answer, FetchAnswer, Kiosk2Service } from './kiosk2.service.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { CardsErrors } from '../cards/cards.errors.js';
import { UpdateErrors } from './update.errors.js';

/**
 * Kiosk protocol kiosk/2 (docs/formats/kiosk-protocol-2.md): check, fetch with the card's proof, confirm with its
 * acknowledgement. The bodies are read by hand (`body: unknown` keeps the global ValidationPipe off the kiosk
 * paths); the DTO classes are the documented schemas.
 */
@ApiTags('kiosk')
@Controller('v2/kiosk')
@Allow(PartnerKind.Kiosk, PartnerKind.PharmacySoftware)
export class Kiosk2Controller {
  constructor(private readonly kiosk: Kiosk2Service) {}

  @Post('check')
  @HttpCode(200)
  @RateLimited()
  @ApiOperation({
    summary:
      'Does this chip need rewriting? nothing_to_do / blocked (signed receipts) / update_available (a challenge for the card, nothing else)',
  })
  @ApiBody({ type: KioskCheckDto })
  @ApiExtraModels(...CHECK2_ANSWER_MODELS)
  @ApiOkResponse({ description: 'Told apart by `action`', schema: CHECK2_ANSWER_SCHEMA })
  @Answers(
    CardsErrors.CARD_NOT_FOUND,
    UpdateErrors.KIOSK_PROTOCOL_1_REQUIRED,
    UpdateErrors.KIOSK_CARD_REPLACEMENT_REQUIRED,
    UpdateErrors.KIOSK_SLOWED_DOWN,
  )
  check(@CurrentActor() actor: Actor, @Body() body: unknown): Promise<Check2Answer> {
    return this.kiosk.check(actor, parseKioskCheck(body));
  }

  @Post('fetch')
  @HttpCode(200)
  @RateLimited()
  @ApiOperation({
    summary: "With the card's signed proof of presence: open the exchange; the records come sealed to the card",
  })
  @ApiBody({ type: KioskFetchDto })
  @ApiExtraModels(...FETCH_ANSWER_MODELS)
  @ApiOkResponse({
    description: 'update (sealed records), or nothing_to_do / blocked with a receipt; told apart by `action`',
    schema: FETCH_ANSWER_SCHEMA,
  })
  @Answers(
    CardsErrors.CARD_NOT_FOUND,
    UpdateErrors.KIOSK_CHALLENGE_INVALID,
    UpdateErrors.KIOSK_CHALLENGE_EXPIRED,
    UpdateErrors.KIOSK_CHALLENGE_USED,
    UpdateErrors.KIOSK_PROOF_INVALID,
    UpdateErrors.API_KEY_SUSPENDED,
    UpdateErrors.KIOSK_PROTOCOL_1_REQUIRED,
    UpdateErrors.KIOSK_CARD_REPLACEMENT_REQUIRED,
    UpdateErrors.KIOSK_SLOWED_DOWN,
  )
  fetch(@CurrentActor() actor: Actor, @Body() body: unknown): Promise<FetchAnswer> {
    return this.kiosk.fetch(actor, parseKioskFetch(body));
  }

  @Post('confirm')
  @HttpCode(200)
  @RateLimited()
  @ApiOperation({
    summary:
      "End an exchange: the card's acknowledgement of the records written, or an abort; answers a signed receipt",
  })
  @ApiBody({ type: Kiosk2ConfirmDto })
  @ApiOkResponse({
    type: Confirm2AnswerView,
    description: 'result updated or failed, the confirmed version and the signed receipt',
  })
  @Answers(
    UpdateErrors.KIOSK_EXCHANGE_NOT_FOUND,
    UpdateErrors.KIOSK_EXCHANGE_CARD_MISMATCH,
    UpdateErrors.KIOSK_EXCHANGE_ALREADY_CONFIRMED,
    UpdateErrors.KIOSK_EXCHANGE_SUPERSEDED,
    UpdateErrors.KIOSK_EXCHANGE_ALREADY_FINISHED,
    UpdateErrors.KIOSK_CONFIRM_INVALID,
    UpdateErrors.KIOSK_PROTOCOL_1_REQUIRED,
    UpdateErrors.KIOSK_ACK_INVALID,
  )
  confirm(@CurrentActor() actor: Actor, @Body() body: unknown): Promise<Confirm2Answer> {
    return this.kiosk.confirm(actor, parseKiosk2Confirm(body));
  }
}
