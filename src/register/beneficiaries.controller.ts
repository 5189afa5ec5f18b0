import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { ApiListResponse, type ListPage, wholeList } from '../platform/openapi/list-page.js';
import { BeneficiariesService } from './beneficiaries.service.js';
import {
  AffiliationView, BeneficiaryPage, BeneficiaryView, CreateBeneficiaryDto, ListBeneficiariesQuery, LookupBeneficiaryDto, UpdateBeneficiaryDto,
} from './dto/beneficiary.dto.js';

const NOT_FOUND = 'BENEFICIARY_NOT_FOUND: unknown, malformed or not currently affiliated to the caller\'s organisme (indistinguishable)';

@ApiTags('register')
@Controller('v1/beneficiaries')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class BeneficiariesController {
  constructor(private readonly service: BeneficiariesService) {}

  @Post()
  @Allow(PartnerKind.Fund)
  @ApiOperation({ summary: 'Register an insured person of the caller\'s organisme and open the affiliation' })
  @ApiCreatedResponse({ type: BeneficiaryView })
  @ApiUnprocessableEntityResponse({ description: 'NIR_FORMAT, NIR_KEY_MISMATCH, NIR_SEX_INVALID, NIR_MONTH_INVALID, NIR_BIRTH_DATE_MISMATCH, NAME_*, DATE_INVALID, BIRTH_RANK_INVALID, ADDRESS_INVALID' })
  @ApiConflictResponse({ description: 'BENEFICIARY_EXISTS, BENEFICIARY_AFFILIATED_ELSEWHERE, AFFILIATION_OVERLAP' })
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateBeneficiaryDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<BeneficiaryView> {
    const b = await this.service.create(actor, dto);
    reply.header('Location', `/v1/beneficiaries/${b.id}`);
    return b;
  }

  @Get()
  @ApiOperation({ summary: 'The caller\'s current insured (operators: everyone), by keyset pages' })
  @ApiOkResponse({ type: BeneficiaryPage })
  list(@CurrentActor() actor: Actor, @Query() q: ListBeneficiariesQuery): Promise<BeneficiaryPage> {
    return this.service.list(actor, q);
  }

  @Post('lookup')
  @HttpCode(200)
  @ApiOperation({ summary: 'Find a beneficiary by NIR (in the body, never in a URL); leaves an access trail' })
  @ApiOkResponse({ type: BeneficiaryView })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  lookup(@CurrentActor() actor: Actor, @Body() dto: LookupBeneficiaryDto): Promise<BeneficiaryView> {
    return this.service.lookup(actor, dto.nir);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read one beneficiary; leaves an access trail' })
  @ApiOkResponse({ type: BeneficiaryView })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<BeneficiaryView> {
    return this.service.get(actor, id);
  }

  @Patch(':id')
  @Allow(PartnerKind.Fund)
  @ApiOperation({ summary: 'Change identity traits and address (optimistic: send the version read)' })
  @ApiOkResponse({ type: BeneficiaryView })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: 'VERSION_CONFLICT' })
  update(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: UpdateBeneficiaryDto): Promise<BeneficiaryView> {
    return this.service.update(actor, id, dto);
  }

  @Get(':id/affiliations')
  @ApiOperation({ summary: 'The affiliation history of a beneficiary the caller reaches' })
  @ApiListResponse(AffiliationView)
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async affiliations(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<ListPage<AffiliationView>> {
    return wholeList(await this.service.affiliations(actor, id));
  }
}
