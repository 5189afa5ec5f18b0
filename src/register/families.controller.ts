import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';
import { ApiListResponse, type ListPage, wholeList } from '../platform/openapi/list-page.js';
import { UpdateErrors } from '../update/update.errors.js';
import { UpdateBeneficiaryDto } from './dto/beneficiary.dto.js';
import {
  AttachDependantDto,
  AttachmentRightsDto,
  AttachmentView,
  DeclareBirthDto,
  DependantNirDto,
  DependantView,
  EndAttachmentDto,
  ParentDependantView,
} from './dto/family.dto.js';
import { FamiliesService } from './families.service.js';
import { RegisterErrors } from './register.errors.js';

/** The rules on a dependant's identity (as on an insured's, the NIR optional). */
const IDENTITY_ERRORS = [
  RegisterErrors.NIR_FORMAT,
  RegisterErrors.NIR_SEX_INVALID,
  RegisterErrors.NIR_MONTH_INVALID,
  RegisterErrors.NIR_KEY_MISMATCH,
  RegisterErrors.NIR_BIRTH_DATE_MISMATCH,
  RegisterErrors.NAME_EMPTY,
  RegisterErrors.NAME_TOO_LONG,
  RegisterErrors.NAME_INVALID_CHARACTERS,
  RegisterErrors.ADDRESS_INVALID,
  RegisterErrors.DATE_INVALID,
  RegisterErrors.BIRTH_RANK_INVALID,
];

/** What the database's family rules and the per-card limit refuse when an attachment is written. */
const FAMILY_RULE_ERRORS = [
  RegisterErrors.ATTACHMENT_SELF,
  RegisterErrors.ATTACHMENT_EXISTS,
  RegisterErrors.ATTACHMENT_TWO_PARENTS,
  RegisterErrors.ATTACHMENT_PARENT_IS_DEPENDANT,
  RegisterErrors.ATTACHMENT_DEPENDANT_IS_PARENT,
  RegisterErrors.DEPENDANTS_LIMIT,
];

/** A new dependant named by identity whose NIR is already in the register. */
const KNOWN_NIR_ERRORS = [
  RegisterErrors.DEPENDANT_INSURED,
  RegisterErrors.DEPENDANT_IDENTITY_MISMATCH,
  RegisterErrors.BENEFICIARY_CONFLICT,
];

/**
 * Families: dependants (children without a card of their own) attached to insured parents, births, and the rights
 * each parent's regime gives the child. A fund reaches a dependant through its own insured parents only.
 */
@ApiTags('families')
@Controller('v1')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class FamiliesController {
  constructor(private readonly service: FamiliesService) {}

  @Post('beneficiaries/:id/dependants')
  @Allow(PartnerKind.Fund)
  @ApiOperation({
    summary:
      "Attach a dependant to an insured of the caller (a dependant it already sees, or a new one by identity), with that parent's rights",
  })
  @ApiCreatedResponse({ type: ParentDependantView })
  @Answers(
    PlatformErrors.FUND_ONLY,
    RegisterErrors.BENEFICIARY_NOT_FOUND,
    RegisterErrors.DEPENDANT_NOT_FOUND,
    RegisterErrors.ATTACHMENT_DEPENDANT_REQUIRED,
    RegisterErrors.ATTACHMENT_DATES_INVALID,
    UpdateErrors.CARD_DATA_INVALID,
    ...IDENTITY_ERRORS,
    ...FAMILY_RULE_ERRORS,
    ...KNOWN_NIR_ERRORS,
  )
  async attach(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: AttachDependantDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ParentDependantView> {
    const view = await this.service.attach(actor, id, dto);
    reply.header('Location', `/v1/dependants/${view.dependant.id}`);
    return view;
  }

  @Get('beneficiaries/:id/dependants')
  @ApiOperation({ summary: "An insured's dependants, every attachment (past ones too); leaves an access trail" })
  @ApiListResponse(ParentDependantView)
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND)
  async dependants(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<ListPage<ParentDependantView>> {
    return wholeList(await this.service.dependantsOf(actor, id));
  }

  @Post('births')
  @Allow(PartnerKind.Fund)
  @ApiOperation({
    summary:
      'Declare a birth: the newborn (NIR optional) attached from its birth date to one or two insured parents named by NIR, one of the caller',
  })
  @ApiCreatedResponse({ type: DependantView })
  @Answers(
    PlatformErrors.FUND_ONLY,
    RegisterErrors.PARENTS_INVALID,
    RegisterErrors.PARENT_NIR_UNKNOWN,
    RegisterErrors.PARENT_NOT_MANAGED,
    UpdateErrors.CARD_DATA_INVALID,
    ...IDENTITY_ERRORS,
    ...FAMILY_RULE_ERRORS,
    ...KNOWN_NIR_ERRORS,
  )
  async birth(
    @CurrentActor() actor: Actor,
    @Body() dto: DeclareBirthDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DependantView> {
    const view = await this.service.declareBirth(actor, dto);
    reply.header('Location', `/v1/dependants/${view.id}`);
    return view;
  }

  @Get('dependants/:id')
  @ApiOperation({
    summary: 'Read a dependant and its attachments to the insured the caller manages; leaves an access trail',
  })
  @ApiOkResponse({ type: DependantView })
  @Answers(RegisterErrors.DEPENDANT_NOT_FOUND)
  dependant(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<DependantView> {
    return this.service.getDependant(actor, id);
  }

  @Patch('dependants/:id')
  @Allow(PartnerKind.Fund)
  @ApiOperation({
    summary:
      "Correct a dependant's identity traits or address (a parent's fund; optimistic: send the version read); the parents' cards follow",
  })
  @ApiOkResponse({ type: DependantView })
  @Answers(
    PlatformErrors.FUND_ONLY,
    RegisterErrors.DEPENDANT_NOT_FOUND,
    RegisterErrors.VERSION_CONFLICT,
    RegisterErrors.NAME_EMPTY,
    RegisterErrors.NAME_TOO_LONG,
    RegisterErrors.NAME_INVALID_CHARACTERS,
    RegisterErrors.ADDRESS_INVALID,
    RegisterErrors.DATE_INVALID,
    RegisterErrors.BIRTH_RANK_INVALID,
    RegisterErrors.NIR_BIRTH_DATE_MISMATCH,
  )
  updateDependant(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: UpdateBeneficiaryDto,
  ): Promise<DependantView> {
    return this.service.updateDependant(actor, id, dto);
  }

  @Put('dependants/:id/nir')
  @Allow(PartnerKind.Fund)
  @ApiOperation({
    summary: "Set a dependant's NIR once known (it had none or a temporary one): same person, no new card for anyone",
  })
  @ApiOkResponse({ type: DependantView })
  @Answers(
    PlatformErrors.FUND_ONLY,
    RegisterErrors.DEPENDANT_NOT_FOUND,
    RegisterErrors.NIR_FORMAT,
    RegisterErrors.NIR_SEX_INVALID,
    RegisterErrors.NIR_MONTH_INVALID,
    RegisterErrors.NIR_KEY_MISMATCH,
    RegisterErrors.NIR_BIRTH_DATE_MISMATCH,
    RegisterErrors.NIR_ALREADY_DEFINITIVE,
    RegisterErrors.NIR_UNCHANGED,
    RegisterErrors.NIR_TAKEN,
  )
  setNir(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: DependantNirDto): Promise<DependantView> {
    return this.service.setNir(actor, id, dto);
  }

  @Put('attachments/:id/rights')
  @Allow(PartnerKind.Fund)
  @ApiOperation({ summary: "Set the dependant's rights on an attachment the caller manages (coverage, ALD periods)" })
  @ApiOkResponse({ type: AttachmentView })
  @Answers(
    PlatformErrors.FUND_ONLY,
    RegisterErrors.ATTACHMENT_NOT_FOUND,
    RegisterErrors.ATTACHMENT_ENDED,
    UpdateErrors.CARD_DATA_INVALID,
  )
  setRights(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() dto: AttachmentRightsDto,
  ): Promise<AttachmentView> {
    return this.service.setRights(actor, id, dto);
  }

  @Post('attachments/:id/end')
  @HttpCode(200)
  @Allow(PartnerKind.Fund)
  @ApiOperation({ summary: "End an attachment the caller manages (detach): the child leaves that parent's cards" })
  @ApiOkResponse({ type: AttachmentView })
  @Answers(
    PlatformErrors.FUND_ONLY,
    RegisterErrors.ATTACHMENT_NOT_FOUND,
    RegisterErrors.ATTACHMENT_ENDED,
    RegisterErrors.ATTACHMENT_DATES_INVALID,
  )
  end(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: EndAttachmentDto): Promise<AttachmentView> {
    return this.service.end(actor, id, dto);
  }
}
