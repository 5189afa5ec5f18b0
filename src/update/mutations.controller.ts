import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import {
  ApplyDueView,
  CreateMutationDto,
  MutationStatsView,
  MutationView,
  NirChangeDto,
  NirChangeView,
} from './dto/mutation.dto.js';
import { JobName } from '../platform/jobs/job-catalogue.js';
import { JobsService } from '../platform/jobs/jobs.service.js';
import { MutationsService } from './mutations.service.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { RegimesErrors } from '../regimes/regimes.errors.js';
import { RegisterErrors } from '../register/register.errors.js';
import { UpdateErrors } from './update.errors.js';

/** Chunks (MutationsService.applyChunkSize mutations each) one operator call applies before handing over to the job. */
export const APPLY_DUE_CHUNKS_PER_CALL = 5;

/** Mutations that keep the card: a change of fund (or a return to the former one) moves the card, serial kept. */
@ApiTags('mutations')
@Controller('v1')
export class MutationsController {
  constructor(
    private readonly mutations: MutationsService,
    private readonly jobs: JobsService,
  ) {}

  @Post('beneficiaries/:id/mutations')
  @Allow(PartnerKind.Fund, PartnerKind.Operator)
  @ApiOperation({
    summary: "Change of fund by the outgoing fund (or an operator): the insured's cards keep their serial",
  })
  @ApiCreatedResponse({ type: MutationView })
  @Answers(
    RegisterErrors.BENEFICIARY_NOT_FOUND,
    UpdateErrors.MUTATION_DATE_INVALID,
    RegimesErrors.ORGANISME_UNKNOWN,
    UpdateErrors.MUTATION_SAME_ORGANISME,
    UpdateErrors.MUTATION_PENDING,
    UpdateErrors.BENEFICIARY_NOT_AFFILIATED,
    RegisterErrors.AFFILIATION_OVERLAP,
  )
  create(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: CreateMutationDto): Promise<MutationView> {
    return this.mutations.create(actor, id, dto);
  }

  @Post('beneficiaries/:id/nir-change')
  @Allow(PartnerKind.Fund, PartnerKind.Operator)
  @ApiOperation({
    summary:
      'Change the NIR (temporary to definitive, or a correction) keeping the card; its identity record is rewritten',
  })
  @ApiCreatedResponse({ type: NirChangeView })
  @Answers(
    RegisterErrors.BENEFICIARY_NOT_FOUND,
    RegisterErrors.NIR_FORMAT,
    RegisterErrors.NIR_SEX_INVALID,
    RegisterErrors.NIR_MONTH_INVALID,
    RegisterErrors.NIR_KEY_MISMATCH,
    RegisterErrors.NIR_BIRTH_DATE_MISMATCH,
    RegisterErrors.NIR_UNCHANGED,
    RegisterErrors.NIR_TAKEN,
    UpdateErrors.BENEFICIARY_NOT_AFFILIATED,
  )
  changeNir(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() dto: NirChangeDto): Promise<NirChangeView> {
    return this.mutations.changeNir(actor, id, dto);
  }

  @Post('mutations/apply-due')
  @HttpCode(200)
  @Allow(PartnerKind.Operator)
  @ApiOperation({
    summary:
      'Apply now the mutations whose effective date has come (the hourly job does it anyway); past a few chunks the job carries on',
  })
  @ApiOkResponse({ type: ApplyDueView })
  async applyDue(@CurrentActor() actor: Actor): Promise<ApplyDueView> {
    // An HTTP call stays short: a regime transfer may have a million mutations due on one day.
    const result = await this.mutations.applyDue(undefined, actor, APPLY_DUE_CHUNKS_PER_CALL);
    if (result.continuing) await this.jobs.sendSingleton(JobName.UpdateApplyDueMutations, {}, 60, 'operator');
    return result;
  }

  @Get('mutations/stats')
  @Allow(PartnerKind.Operator)
  @ApiOperation({ summary: 'How many applied mutations kept a card (each one once required a new card)' })
  @ApiOkResponse({ type: MutationStatsView })
  stats(): Promise<MutationStatsView> {
    return this.mutations.stats();
  }
}
