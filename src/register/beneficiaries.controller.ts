import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { ApiListResponse, type ListPage, wholeList } from '../platform/openapi/list-page.js';
import { BeneficiariesService } from './beneficiaries.service.js';
import {
  AffiliationView,
  BeneficiaryPage,
  BeneficiaryView,
  CreateBeneficiaryDto,
  DeathView,
  ListBeneficiariesQuery,
  LookupBeneficiaryDto,
  RecordDeathDto,
  UpdateBeneficiaryDto,
} from './dto/beneficiary.dto.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { RegisterErrors } from './register.errors.js';

@ApiTags('register')
@Controller('v1/beneficiaries')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class BeneficiariesController {
  constructor(private readonly service: BeneficiariesService) {}

  @Post()
  @Allow(PartnerKind.Fund)
  @ApiOperation({ summary: "Register an insured person of the caller's organisme and open the affiliation" })
  @ApiCreatedResponse({ type: BeneficiaryView })
  @Answers(
    RegisterErrors.NIR_FORMAT,
    RegisterErrors.NIR_SEX_INVALID,
    RegisterErrors.NIR_MONTH_INVALID,
    RegisterErrors.NIR_KEY_MISMATCH,
    RegisterErrors.NAME_EMPTY,
    RegisterErrors.NAME_TOO_LONG,
    RegisterErrors.NAME_INVALID_CHARACTERS,
    RegisterErrors.ADDRESS_INVALID,
    RegisterErrors.DATE_INVALID,
    RegisterErrors.BIRTH_RANK_INVALID,
    RegisterErrors.NIR_BIRTH_DATE_MISMATCH,
    RegisterErrors.BENEFICIARY_EXISTS,
    RegisterErrors.BENEFICIARY_CONFLICT,
    RegisterErrors.BENEFICIARY_AFFILIATED_ELSEWHERE,
    RegisterErrors.AFFILIATION_OVERLAP,
    PlatformErrors.FUND_ONLY,
  )
  async create(
    @CurrentActor() actor: Actor,
    @Body() dto: CreateBeneficiaryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BeneficiaryView> {
    const b = await this.service.create(actor, dto);
    reply.header('Location', `/v1/beneficiaries/${b.id}`);
    return b;
  }

  @Get()
  @ApiOperation({ summary: "The caller's current insured (operators: everyone), by keyset pages" })
  @ApiOkResponse({ type: BeneficiaryPage })
  @Answers(PlatformErrors.CURSOR_INVALID, RegisterErrors.ORGANISME_FILTER_NOT_ALLOWED)
  list(@CurrentActor() actor: Actor, @Query() q: ListBeneficiariesQuery): Promise<BeneficiaryPage> {
    return this.service.list(actor, q);
  }

  @Post('lookup')
  @HttpCode(200)
  @ApiOperation({ summary: 'Find a beneficiary by NIR (in the body, never in a URL); leaves an access trail' })
  @ApiOkResponse({ type: BeneficiaryView })
  @Answers(
    RegisterErrors.NIR_FORMAT,
    RegisterErrors.NIR_SEX_INVALID,
    RegisterErrors.NIR_MONTH_INVALID,
    RegisterErrors.NIR_KEY_MISMATCH,
    RegisterErrors.BENEFICIARY_NOT_FOUND,
  )
  lookup(@CurrentActor() actor: Actor, @Body() dto: LookupBeneficiaryDto): Promise<BeneficiaryView> {
    return this.service.lookup(actor, dto.nir);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read one beneficiary; leaves an access trail' })
  @ApiOkResponse({ type: BeneficiaryView })
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND)
  get(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<BeneficiaryView> {
    return this.service.get(actor, id);
  }

  @Patch(':id')
  @Allow(PartnerKind.Fund)
  @ApiOperation({ summary: 'Change identity traits and address (optimistic: send the version read)' })
  @ApiOkResponse({ type: BeneficiaryView })
  @Answers(
    RegisterErrors.BENEFICIARY_NOT_FOUND,
    RegisterErrors.VERSION_CONFLICT,
    PlatformErrors.FUND_ONLY,
    RegisterErrors.NAME_EMPTY,
    RegisterErrors.NAME_TOO_LONG,
    RegisterErrors.NAME_INVALID_CHARACTERS,
    RegisterErrors.ADDRESS_INVALID,
    RegisterErrors.DATE_INVALID,
    RegisterErrors.BIRTH_RANK_INVALID,
    RegisterErrors.NIR_BIRTH_DATE_MISMATCH,
  )
  update(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: UpdateBeneficiaryDto,
  ): Promise<BeneficiaryView> {
    return this.service.update(actor, id, dto);
  }

  @Put(':id/death')
  @Allow(PartnerKind.Fund)
  @ApiOperation({
    summary:
      'Record the date of death of one of your insured (null takes back a date recorded in error); audited, with the event beneficiary.death_recorded',
  })
  @ApiOkResponse({ type: DeathView })
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND, RegisterErrors.DATE_INVALID, PlatformErrors.FUND_ONLY)
  recordDeath(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: RecordDeathDto): Promise<DeathView> {
    return this.service.recordDeath(actor, id, dto.diedOn);
  }

  @Get(':id/affiliations')
  @ApiOperation({ summary: 'The affiliation history of a beneficiary the caller reaches' })
  @ApiListResponse(AffiliationView)
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND)
  async affiliations(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<ListPage<AffiliationView>> {
    return wholeList(await this.service.affiliations(actor, id));
  }
}
