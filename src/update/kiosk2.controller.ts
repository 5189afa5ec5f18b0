import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiExtraModels, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor, RateLimited } from '../platform/auth/auth.decorators.js';
import { KioskCheckDto, parseKioskCheck } from './dto/kiosk.dto.js';
import { Kiosk2ConfirmDto, KioskFetchDto, parseKiosk2Confirm, parseKioskFetch } from './dto/kiosk2.dto.js';
import { CHECK2_ANSWER_MODELS, CHECK2_ANSWER_SCHEMA, Confirm2AnswerView, FETCH_ANSWER_MODELS, FETCH_ANSWER_SCHEMA } from './dto/kiosk2-views.dto.js';
import { Check2Answer, Confirm2Answer, FetchAnswer, Kiosk2Service } from './kiosk2.service.js';

const SLOWED = 'RATE_LIMITED, or KIOSK_SLOWED_DOWN (too many cards asked about without their proof), with a Retry-After header';
const KEYLESS = 'KIOSK_PROTOCOL_1_REQUIRED (a card without keys: kiosk/1 until KIOSK_V1_UNTIL), KIOSK_CARD_REPLACEMENT_REQUIRED (after it)';

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
  @ApiOperation({ summary: 'Does this chip need rewriting? nothing_to_do / blocked (signed receipts) / update_available (a challenge for the card, nothing else)' })
  @ApiBody({ type: KioskCheckDto })
  @ApiExtraModels(...CHECK2_ANSWER_MODELS)
  @ApiOkResponse({ description: 'Told apart by `action`', schema: CHECK2_ANSWER_SCHEMA })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  @ApiNotFoundResponse({ description: 'CARD_NOT_FOUND' })
  @ApiConflictResponse({ description: KEYLESS })
  @ApiTooManyRequestsResponse({ description: SLOWED })
  check(@CurrentActor() actor: Actor, @Body() body: unknown): Promise<Check2Answer> {
    return this.kiosk.check(actor, parseKioskCheck(body));
  }

  @Post('fetch')
  @HttpCode(200)
  @RateLimited()
  @ApiOperation({ summary: 'With the card\'s signed proof of presence: open the exchange; the records come sealed to the card' })
  @ApiBody({ type: KioskFetchDto })
  @ApiExtraModels(...FETCH_ANSWER_MODELS)
  @ApiOkResponse({ description: 'update (sealed records), or nothing_to_do / blocked with a receipt; told apart by `action`', schema: FETCH_ANSWER_SCHEMA })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  @ApiForbiddenResponse({ description: 'KIOSK_CHALLENGE_INVALID, KIOSK_CHALLENGE_EXPIRED, KIOSK_CHALLENGE_USED, KIOSK_PROOF_INVALID (nothing changed); API_KEY_SUSPENDED' })
  @ApiNotFoundResponse({ description: 'CARD_NOT_FOUND' })
  @ApiConflictResponse({ description: KEYLESS })
  @ApiTooManyRequestsResponse({ description: SLOWED })
  fetch(@CurrentActor() actor: Actor, @Body() body: unknown): Promise<FetchAnswer> {
    return this.kiosk.fetch(actor, parseKioskFetch(body));
  }

  @Post('confirm')
  @HttpCode(200)
  @RateLimited()
  @ApiOperation({ summary: 'End an exchange: the card\'s acknowledgement of the records written, or an abort; answers a signed receipt' })
  @ApiBody({ type: Kiosk2ConfirmDto })
  @ApiOkResponse({ type: Confirm2AnswerView, description: 'result updated or failed, the confirmed version and the signed receipt' })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED, KIOSK_CONFIRM_INVALID' })
  @ApiForbiddenResponse({ description: 'KIOSK_ACK_INVALID (nothing changed; the exchange stays open)' })
  @ApiNotFoundResponse({ description: 'KIOSK_EXCHANGE_NOT_FOUND (also an exchange of another kiosk)' })
  @ApiConflictResponse({ description: 'KIOSK_EXCHANGE_ALREADY_CONFIRMED, KIOSK_EXCHANGE_SUPERSEDED, KIOSK_EXCHANGE_CARD_MISMATCH, KIOSK_EXCHANGE_ALREADY_FINISHED, KIOSK_PROTOCOL_1_REQUIRED (a kiosk/1 exchange)' })
  @ApiTooManyRequestsResponse({ description: 'RATE_LIMITED, with a Retry-After header' })
  confirm(@CurrentActor() actor: Actor, @Body() body: unknown): Promise<Confirm2Answer> {
    return this.kiosk.confirm(actor, parseKiosk2Confirm(body));
  }
}
