import { Controller, Delete, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { ApiListResponse, type ListPage } from '../platform/openapi/list-page.js';
import { ApiKeySuspensionView, ListSuspensionsQuery } from './dto/key-suspension.dto.js';
import { KeySuspensionsService } from './key-suspensions.service.js';
import { PartnerKind } from './partner-kind.enum.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { PartnersErrors } from './partners.errors.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';

/** Operators lift a key the kiosk enumeration guard suspended (docs/formats/kiosk-protocol-2.md). */
@ApiTags('partners')
@Controller('v1/partners')
@Allow(PartnerKind.Operator)
export class KeySuspensionController {
  constructor(private readonly suspensions: KeySuspensionsService) {}

  @Delete(':id/api-keys/:keyId/suspension')
  @ApiOperation({ summary: 'Lift the suspension of an API key (audited); the key authenticates again' })
  @ApiOkResponse({ type: ApiKeySuspensionView, description: 'The suspension, now lifted' })
  @Answers(PartnersErrors.API_KEY_NOT_FOUND, PartnersErrors.API_KEY_NOT_SUSPENDED, PlatformErrors.BAD_REQUEST)
  lift(
    @CurrentActor() actor: Actor,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('keyId', new ParseUUIDPipe()) keyId: string,
  ): Promise<ApiKeySuspensionView> {
    return this.suspensions.lift(actor, id, keyId);
  }
}

/** The suspensions operators see: every key the guard suspended, newest first. */
@ApiTags('partners')
@Controller('v1/api-key-suspensions')
@Allow(PartnerKind.Operator)
export class KeySuspensionsListController {
  constructor(private readonly suspensions: KeySuspensionsService) {}

  @Get()
  @ApiOperation({
    summary: 'API keys suspended by the kiosk enumeration guard, newest first (`open=true`: those still suspended)',
  })
  @ApiListResponse(ApiKeySuspensionView, 'Pass it as `before` for older suspensions; null on the last page')
  list(@Query() q: ListSuspensionsQuery): Promise<ListPage<ApiKeySuspensionView>> {
    return this.suspensions.list(q);
  }
}
