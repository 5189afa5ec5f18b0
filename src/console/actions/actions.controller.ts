import { Body, Controller, Get, HttpCode, Param, Post, Redirect } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { CardsErrors } from '../../cards/cards.errors.js';
import { CardsService } from '../../cards/cards.service.js';
import { CardState, OppositionReason } from '../../cards/card-state.enum.js';
import { EmissionErrors } from '../../emission/emission.errors.js';
import { PipelineActionsService } from '../../emission/pipeline/pipeline-actions.service.js';
import { CardRequestsService } from '../../emission/requests/card-requests.service.js';
import { RequestReason } from '../../emission/requests/request-status.enum.js';
import { OppositionErrors } from '../../opposition/opposition.errors.js';
import { OppositionService } from '../../opposition/opposition.service.js';
import { PartnerKind } from '../../partners/partner-kind.enum.js';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor, FormFields } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { RegimesErrors } from '../../regimes/regimes.errors.js';
import { parisToday } from '../../register/beneficiary-input.js';
import { BeneficiariesService } from '../../register/beneficiaries.service.js';
import { RegisterErrors } from '../../register/register.errors.js';
import { UpdateErrors } from '../../update/update.errors.js';
import { MutationsService } from '../../update/mutations.service.js';
import {
  cancelRequestPage,
  mutationPage,
  mutationRecordedPage,
  OPPOSITION_REASONS,
  oppositionPage,
  REPLACEMENT_REASONS,
  replacementOrderedPage,
  replacementPage,
} from '../pages/actions.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { ACTION_ROLES, cancellableStatuses } from './action-rules.js';
import { ConsoleFormErrors } from './actions.errors.js';

/** A form field, checked against its rule; a missing or bad one is refused (its value never repeated). */
export function formField(
  form: Record<string, string>,
  name: string,
  label: string,
  rule: { test: (v: string) => boolean; says: string },
): string {
  const v = typeof form[name] === 'string' ? form[name].trim() : '';
  if (!rule.test(v)) throw ConsoleFormErrors.CONSOLE_FIELD_INVALID(label, rule.says);
  return v;
}

const oneOf = (values: Record<string, string>, says: string) => ({
  test: (v: string) => Object.hasOwn(values, v),
  says,
});
const displayName = (b: { firstName: string; birthName: string; usageName: string | null }) =>
  `${b.firstName} ${b.usageName ?? b.birthName}`;

/**
 * The console's actions with confirmation: each GET page says what will happen and holds the form; the form posts
 * to the same module service the API calls, with the agent's actor (same tenant rule: another fund's card, request
 * or insured is "not found"; same audit, with the agent), and answers 303 back to a page showing the result.
 */
@ApiExcludeController()
@Controller('console')
export class ActionsController {
  constructor(
    private readonly cards: CardsService,
    private readonly opposition: OppositionService,
    private readonly requests: CardRequestsService,
    private readonly pipeline: PipelineActionsService,
    private readonly beneficiaries: BeneficiariesService,
    private readonly mutations: MutationsService,
  ) {}

  @Get('cartes/:serial/opposition')
  @ConsolePage(...ACTION_ROLES.opposition)
  @Answers(CardsErrors.CARD_NOT_FOUND, OppositionErrors.OPPOSITION_NOT_FOUND)
  async oppositionForm(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('serial') serial: string,
  ): Promise<SafeHtml> {
    const card = await this.cards.get(actor, serial);
    const opposition = card.state === CardState.Opposed ? await this.opposition.get(actor, serial) : null;
    return oppositionPage(agent, { card, opposition });
  }

  @Post('cartes/:serial/opposition')
  @ConsoleAction(...ACTION_ROLES.opposition)
  @FormFields('reason')
  @Answers(ConsoleFormErrors.CONSOLE_FIELD_INVALID, CardsErrors.CARD_NOT_FOUND, CardsErrors.CARD_TRANSITION_NOT_ALLOWED)
  @Redirect('/console', 303)
  async declare(
    @CurrentActor() actor: Actor,
    @Param('serial') serial: string,
    @Body() form: Record<string, string>,
  ): Promise<{ url: string }> {
    const reason = formField(
      form,
      'reason',
      "Motif de l'opposition",
      oneOf(OPPOSITION_REASONS, 'choisissez un motif de la liste'),
    );
    const { opposition } = await this.opposition.declare(actor, serial, reason as OppositionReason);
    return { url: `/console/cartes/${opposition.serial}/opposition` };
  }

  @Post('cartes/:serial/opposition/retrait')
  @ConsoleAction(...ACTION_ROLES.opposition)
  @Answers(
    CardsErrors.CARD_NOT_FOUND,
    OppositionErrors.CARD_NOT_OPPOSED,
    OppositionErrors.OPPOSITION_NOT_WITHDRAWABLE,
    OppositionErrors.OPPOSITION_WITHDRAWAL_TOO_LATE,
    OppositionErrors.OPPOSITION_CARD_REPLACED,
    CardsErrors.CARD_HOLDER_HAS_USABLE_CARD,
    CardsErrors.CARD_TRANSITION_NOT_ALLOWED,
  )
  @Redirect('/console', 303)
  async withdraw(@CurrentActor() actor: Actor, @Param('serial') serial: string): Promise<{ url: string }> {
    const card = await this.opposition.withdraw(actor, serial);
    return { url: `/console/cartes/${card.serial}/opposition` };
  }

  @Get('demandes/:id/annulation')
  @ConsolePage(...ACTION_ROLES.cancellation)
  @Answers(EmissionErrors.REQUEST_NOT_FOUND)
  async cancelForm(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
  ): Promise<SafeHtml> {
    const r = await this.requests.get(actor, id);
    // A fund cancels until the card is ordered; an operator until the vendor has it (the API's two routes).
    const cancellable = cancellableStatuses(actor.kind).includes(r.status);
    return cancelRequestPage(agent, r, cancellable);
  }

  @Post('demandes/:id/annulation')
  @ConsoleAction(...ACTION_ROLES.cancellation)
  @Answers(
    EmissionErrors.REQUEST_NOT_FOUND,
    EmissionErrors.REQUEST_NOT_CANCELLABLE,
    EmissionErrors.PIPELINE_REQUEST_NOT_FOUND,
    EmissionErrors.PIPELINE_CANNOT_CANCEL,
    CardsErrors.CARD_TRANSITION_NOT_ALLOWED,
  )
  @Redirect('/console', 303)
  async cancel(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<{ url: string }> {
    if (actor.kind === PartnerKind.Operator) await this.pipeline.cancel(actor, id);
    else await this.requests.cancel(actor, id);
    return { url: `/console/demandes/${id}/annulation` };
  }

  @Get('assures/:id/remplacement')
  @ConsolePage(...ACTION_ROLES.replacement)
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND)
  async replacementForm(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
  ): Promise<SafeHtml> {
    const b = await this.beneficiaries.get(actor, id);
    return replacementPage(agent, { beneficiaryId: b.id, name: displayName(b) });
  }

  /** Answers the page with the one-time upload link (never a redirect: it is kept nowhere to be shown again). */
  @Post('assures/:id/remplacement')
  @HttpCode(200)
  @ConsoleAction(...ACTION_ROLES.replacement)
  @FormFields('reason', 'autoOrder')
  @Answers(
    ConsoleFormErrors.CONSOLE_FIELD_INVALID,
    PlatformErrors.FUND_ONLY,
    RegisterErrors.BENEFICIARY_NOT_FOUND,
    EmissionErrors.REQUEST_TOO_YOUNG,
    EmissionErrors.REQUEST_ALREADY_OPEN,
    EmissionErrors.REQUEST_ACTIVE_CARD_EXISTS,
    EmissionErrors.FORM_NUMBERS_EXHAUSTED,
  )
  async replace(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() form: Record<string, string>,
  ): Promise<SafeHtml> {
    const reason = formField(
      form,
      'reason',
      'Motif du remplacement',
      oneOf(REPLACEMENT_REASONS, 'choisissez un motif de la liste'),
    );
    const autoOrder = formField(form, 'autoOrder', 'Commander dès la photo acceptée', {
      test: (v) => v === '' || v === 'oui',
      says: 'cochez la case ou laissez-la vide',
    });
    const created = await this.requests.create(actor, {
      beneficiaryId: id,
      reason: reason as RequestReason,
      autoOrder: autoOrder === 'oui',
    });
    return replacementOrderedPage(agent, created);
  }

  @Get('assures/:id/mutation')
  @ConsolePage(...ACTION_ROLES.mutation)
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND)
  async mutationForm(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
  ): Promise<SafeHtml> {
    const b = await this.beneficiaries.get(actor, id);
    const affiliations = await this.beneficiaries.affiliations(actor, id);
    return mutationPage(agent, { beneficiaryId: b.id, name: displayName(b), affiliations, today: parisToday() });
  }

  @Post('assures/:id/mutation')
  @ConsoleAction(...ACTION_ROLES.mutation)
  @FormFields('toOrganismeCode', 'effectiveDate')
  @Answers(
    ConsoleFormErrors.CONSOLE_FIELD_INVALID,
    RegisterErrors.BENEFICIARY_NOT_FOUND,
    UpdateErrors.MUTATION_DATE_INVALID,
    RegimesErrors.ORGANISME_UNKNOWN,
    UpdateErrors.MUTATION_SAME_ORGANISME,
    UpdateErrors.MUTATION_PENDING,
    UpdateErrors.BENEFICIARY_NOT_AFFILIATED,
    RegisterErrors.AFFILIATION_OVERLAP,
  )
  @Redirect('/console/assures/mutation-enregistree', 303)
  async mutate(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Body() form: Record<string, string>,
  ): Promise<void> {
    const toOrganismeCode = formField(form, 'toOrganismeCode', 'Nouvel organisme', {
      test: (v) => /^\d{9}$/.test(v),
      says: 'saisissez le code à 9 chiffres de l’organisme',
    });
    const effectiveDate = formField(form, 'effectiveDate', "Date d'effet", {
      test: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v),
      says: 'saisissez une date (jour, mois, année)',
    });
    await this.mutations.create(actor, id, { toOrganismeCode, effectiveDate });
  }

  @Get('assures/mutation-enregistree')
  @ConsolePage('operator', 'fund')
  mutationRecorded(@CurrentAgent() agent: ConsolePrincipal): SafeHtml {
    return mutationRecordedPage(agent);
  }
}
