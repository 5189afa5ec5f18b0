import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { CreateApiKeyDto, CreatePartnerDto } from './dto/partner.dto.js';
import { ALL_PARTNER_KINDS, PartnerKind } from './partner-kind.enum.js';
import { PartnersService } from './partners.service.js';
import { ApiKeyVerifier } from './api-key-verifier.js';
import { IsEnum, IsOptional } from 'class-validator';

class ListPartnersQuery {
  @IsOptional() @IsEnum(PartnerKind)
  kind?: PartnerKind;
}

@ApiTags('partners')
@Controller('v1/partners')
@Allow(PartnerKind.Operator)
export class PartnersController {
  constructor(private readonly service: PartnersService, private readonly keys: ApiKeyVerifier) {}

  @Post()
  @ApiOperation({ summary: 'Register a partner (fund, digitisation centre, vendor, kiosk, pharmacy software, operator)' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreatePartnerDto) {
    return this.service.createPartner(actor, dto);
  }

  @Get()
  @ApiQuery({ name: 'kind', enum: PartnerKind, required: false })
  list(@Query() q: ListPartnersQuery) {
    return this.service.list(q.kind);
  }

  @Get(':id')
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.service.get(id);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Deactivate a partner and revoke all its keys' })
  async deactivate(@CurrentActor() actor: Actor, @Param('id', new ParseUUIDPipe()) id: string) {
    const p = await this.service.deactivatePartner(actor, id);
    this.keys.invalidate();
    return p;
  }

  @Post(':id/api-keys')
  @ApiOperation({ summary: 'Create an API key; the key is in the answer and nowhere else' })
  createKey(@CurrentActor() actor: Actor, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: CreateApiKeyDto) {
    return this.service.createApiKey(actor, id, dto.label);
  }

  @Delete(':id/api-keys/:keyId')
  @ApiOperation({ summary: 'Revoke an API key' })
  async revokeKey(@CurrentActor() actor: Actor, @Param('id', new ParseUUIDPipe()) id: string, @Param('keyId', new ParseUUIDPipe()) keyId: string) {
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
  me(@CurrentActor() actor: Actor) {
    return { partnerId: actor.partnerId, kind: actor.kind, organismeCode: actor.organismeCode, apiKeyId: actor.apiKeyId };
  }
}
