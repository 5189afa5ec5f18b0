import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { ALL_PARTNER_KINDS, PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, BulkUpload, CurrentActor } from '../platform/auth/auth.decorators.js';
import { RegimesErrors } from './regimes.errors.js';
import { ApiListResponse, type ListPage, wholeList } from '../platform/openapi/list-page.js';
import { FundView, OrganismeView, ReferenceLoadView, RegimeView } from './dto/regime-views.dto.js';
import { RegimesService } from './regimes.service.js';
import { Answers } from '../platform/errors/answers.decorator.js';

class OrganismeFilter {
  @IsOptional() @Matches(/^\d{2}$/, { message: 'regime must be 2 digits' }) regime?: string;
  @IsOptional() @Matches(/^\d{5}$/, { message: 'fund must be 5 digits (regime + caisse)' }) fund?: string;
}

@ApiTags('regimes')
@Controller('v1')
@Allow(...ALL_PARTNER_KINDS)
export class RegimesController {
  constructor(private readonly service: RegimesService) {}

  @Get('regimes')
  @ApiOperation({ summary: 'The mandatory health-insurance regimes' })
  @ApiListResponse(RegimeView)
  async regimes(): Promise<ListPage<RegimeView>> {
    return wholeList(await this.service.listRegimes());
  }

  @Get('funds')
  @ApiOperation({ summary: 'The funds (caisses), of one regime with `regime`' })
  @ApiListResponse(FundView)
  async funds(@Query() q: OrganismeFilter): Promise<ListPage<FundView>> {
    return wholeList(await this.service.listFunds(q.regime));
  }

  @Get('organismes')
  @ApiOperation({ summary: "Funds' centres, by 9-digit organisme code" })
  @ApiListResponse(OrganismeView)
  async organismes(@Query() q: OrganismeFilter): Promise<ListPage<OrganismeView>> {
    return wholeList(await this.service.listOrganismes({ regimeCode: q.regime, fundCode: q.fund }));
  }

  @Get('organismes/:code')
  @ApiOkResponse({ type: OrganismeView })
  @Answers(RegimesErrors.ORGANISME_CODE_INVALID, RegimesErrors.ORGANISME_NOT_FOUND)
  organisme(@Param('code') code: string): Promise<OrganismeView> {
    if (!/^\d{9}$/.test(code)) throw RegimesErrors.ORGANISME_CODE_INVALID();
    return this.service.getOrganisme(code);
  }

  @Post('reference/organismes')
  @Allow(PartnerKind.Operator)
  @BulkUpload('text/csv')
  @ApiBody({ description: 'organismes-csv/1 file (docs/formats/organismes-csv.md)', schema: { type: 'string' } })
  @ApiOperation({ summary: 'Load reference data from CSV (all or nothing); existing organismes are updated' })
  @ApiCreatedResponse({ type: ReferenceLoadView })
  @Answers(RegimesErrors.CONTENT_TYPE_CSV, RegimesErrors.REFERENCE_FILE_INVALID)
  load(@CurrentActor() actor: Actor, @Body() body: unknown) {
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) throw RegimesErrors.CONTENT_TYPE_CSV();
    return this.service.load(actor, body.toString());
  }
}
