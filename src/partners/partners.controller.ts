import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { ApiListResponse, type ListPage, wholeList } from '../platform/openapi/list-page.js';
import { MeView, PartnerDetailView } from './dto/partner-views.dto.js';
import { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView, CreatePartnerDto, PartnerView } from './dto/partner.dto.js';
import { ALL_PARTNER_KINDS, PartnerKind } from './partner-kind.enum.js';
import { PartnersService } from './partners.service.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { IsEnum, IsOptional } from 'class-validator';
import { Answers } from '../platform/errors/answers.decorator.js';
import { PartnersErrors } from './partners.errors.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { RegimesErrors } from '../regimes/regimes.errors.js';

class ListPartnersQuery {
  @IsOptional()
  @IsEnum(PartnerKind)
  kind?: PartnerKind;
}

@ApiTags('partners')
@Controller('v1/partners')
@Allow(PartnerKind.Operator)
export class PartnersController {
  constructor(
    private readonly service: PartnersService,
    private readonly keys: ApiKeyVerifier,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Register a partner (fund, digitisation centre, vendor, kiosk, pharmacy software, operator); set-up of each: docs/partners.md',
  })
  @ApiCreatedResponse({ type: PartnerView })
  @Answers(PartnersErrors.ORGANISME_REQUIRED, RegimesErrors.ORGANISME_UNKNOWN, PartnersErrors.ORGANISME_NOT_ALLOWED)
  create(@CurrentActor() actor: Actor, @Body() dto: CreatePartnerDto) {
    return this.service.createPartner(actor, dto);
  }

  @Get()
  @ApiQuery({ name: 'kind', enum: PartnerKind, required: false })
  @ApiListResponse(PartnerView)
  async list(@Query() q: ListPartnersQuery): Promise<ListPage<PartnerView>> {
    return wholeList(await this.service.list(q.kind));
  }

  @Get(':id')
  @ApiOkResponse({ type: PartnerDetailView })
  @Answers(PartnersErrors.PARTNER_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<PartnerDetailView> {
    return this.service.get(id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Deactivate a partner and revoke all its keys' })
  @ApiOkResponse({ type: PartnerView })
  @Answers(PartnersErrors.PARTNER_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async deactivate(@CurrentActor() actor: Actor, @Param('id', new ParseUUIDPipe()) id: string) {
    const p = await this.service.deactivatePartner(actor, id);
    this.keys.invalidate();
    return p;
  }

  @Post(':id/api-keys')
  @ApiOperation({ summary: 'Create an API key; the key is in the answer and nowhere else' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  @Answers(PartnersErrors.PARTNER_NOT_FOUND, PartnersErrors.PARTNER_INACTIVE, PlatformErrors.BAD_REQUEST)
  createKey(@CurrentActor() actor: Actor, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: CreateApiKeyDto) {
    return this.service.createApiKey(actor, id, dto.label);
  }

  @Delete(':id/api-keys/:keyId')
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiOkResponse({ type: ApiKeyView })
  @Answers(PartnersErrors.API_KEY_NOT_FOUND, PlatformErrors.BAD_REQUEST)
  async revokeKey(
    @CurrentActor() actor: Actor,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Param('keyId', new ParseUUIDPipe()) keyId: string,
  ) {
    const k = await this.service.revokeApiKey(actor, id, keyId);
    this.keys.invalidate();
    return k;
  }
}

@ApiTags('partners')
@Controller('v1/me')
@Allow(...ALL_PARTNER_KINDS)
export class MeController {
  @Get()
  @ApiOperation({ summary: 'Who the presented credential belongs to' })
  @ApiOkResponse({ type: MeView })
  me(@CurrentActor() actor: Actor): MeView {
    return {
      partnerId: actor.partnerId,
      kind: actor.kind,
      organismeCode: actor.organismeCode,
      apiKeyId: actor.apiKeyId,
    };
  }
}
