import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor, RateLimited } from '../platform/auth/auth.decorators.js';
import { KioskCheckDto, KioskConfirmDto, parseKioskCheck } from './dto/kiosk.dto.js';
import { CheckAnswer, ConfirmAnswer, KioskService } from './kiosk.service.js';
import { CHECK_ANSWER_MODELS, CHECK_ANSWER_SCHEMA, ConfirmAnswerView } from './dto/update-views.dto.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { CardsErrors } from '../cards/cards.errors.js';
import { UpdateErrors } from './update.errors.js';

/** Kiosk protocol kiosk/1 (docs/formats/kiosk-protocol.md): check, write the records, confirm. */
@ApiTags('kiosk')
@Controller('v1/kiosk')
@Allow(PartnerKind.Kiosk, PartnerKind.PharmacySoftware)
export class KioskController {
  constructor(private readonly kiosk: KioskService) {}

  @Post('check')
  @HttpCode(200)
  @RateLimited()
  @ApiOperation({
    summary: 'Does this chip need rewriting? nothing_to_do / update (exchange id, ordered whole records) / blocked',
  })
  @ApiBody({ type: KioskCheckDto })
  @ApiExtraModels(...CHECK_ANSWER_MODELS)
  @ApiOkResponse({
    description: 'nothing_to_do, blocked or update, told apart by `action` (docs/formats/kiosk-protocol.md)',
    schema: CHECK_ANSWER_SCHEMA,
  })
  // `body: unknown` keeps the global ValidationPipe out of the hot path; parseKioskCheck applies KioskCheckDto's rules.
  @Answers(
    CardsErrors.CARD_NOT_FOUND,
    UpdateErrors.KIOSK_PROTOCOL_2_REQUIRED,
    UpdateErrors.KIOSK_CARD_REPLACEMENT_REQUIRED,
  )
  check(@CurrentActor() actor: Actor, @Body() body: unknown): Promise<CheckAnswer> {
    return this.kiosk.check(actor, parseKioskCheck(body));
  }

  @Post('confirm')
  @HttpCode(200)
  @RateLimited()
  @ApiOperation({ summary: 'End an exchange: the records written, or an abort; answers a signed receipt' })
  @ApiOkResponse({
    type: ConfirmAnswerView,
    description: 'result updated or failed, the confirmed version and the signed receipt',
  })
  @Answers(
    UpdateErrors.KIOSK_EXCHANGE_NOT_FOUND,
    UpdateErrors.KIOSK_EXCHANGE_CARD_MISMATCH,
    UpdateErrors.KIOSK_EXCHANGE_ALREADY_CONFIRMED,
    UpdateErrors.KIOSK_EXCHANGE_SUPERSEDED,
    UpdateErrors.KIOSK_EXCHANGE_ALREADY_FINISHED,
    UpdateErrors.KIOSK_CONFIRM_INVALID,
    UpdateErrors.KIOSK_PROTOCOL_2_REQUIRED,
  )
  confirm(@CurrentActor() actor: Actor, @Body() dto: KioskConfirmDto): Promise<ConfirmAnswer> {
    return this.kiosk.confirm(actor, dto);
  }
}
