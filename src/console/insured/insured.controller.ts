import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CardsErrors } from '../../cards/cards.errors.js';
import { CardRequestsService } from '../../emission/requests/card-requests.service.js';
import { OPEN_REQUEST_STATUSES } from '../../emission/requests/request-status.enum.js';
import { InsightErrors } from '../../insight/insight.errors.js';
import { InsuredFileService } from '../../insight/insured-file.service.js';
import { PhotoReviewService } from '../../insight/photo-review.service.js';
import { SearchService } from '../../insight/search.service.js';
import type { Actor } from '../../platform/auth/actor.js';
import { ConsoleAction, ConsolePage, CurrentActor, FormFields } from '../../platform/auth/auth.decorators.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { Answers } from '../../platform/errors/answers.decorator.js';
import { DomainError } from '../../platform/errors/domain-error.js';
import { PhotoErrors } from '../../photo/photo.errors.js';
import { RegisterErrors } from '../../register/register.errors.js';
import { insuredPage } from '../pages/insured.page.js';
import { photoPage } from '../pages/photo.page.js';
import { searchPage, type SearchOutcome, type SearchRefusal } from '../pages/search.page.js';
import { CurrentAgent } from '../ui/console-request.js';
import type { SafeHtml } from '../ui/html.js';
import { consoleMessage } from '../ui/messages.js';

const field = (form: Record<string, string>, name: string): string =>
  typeof form[name] === 'string' ? form[name] : '';

/** Agents type dates as they read them (JJ/MM/AAAA); the search takes YYYY-MM-DD (and checks the result). */
const isoDate = (s: string): string => {
  const m = /^\s*(\d{2})\/(\d{2})\/(\d{4})\s*$/.exec(s);
  return m ? `${m[3]}-${m[2]}-${m[1]}` : s.trim();
};

/** A domain not-found becomes the search page's own "not found" (the same whatever the reason: the tenant rule). */
const NOT_FOUND = new Set([CardsErrors.CARD_NOT_FOUND.code, RegisterErrors.BENEFICIARY_NOT_FOUND.code]);
async function notFoundAsOutcome<T>(
  reply: FastifyReply,
  search: () => Promise<T>,
): Promise<{ found: T } | { missing: true }> {
  try {
    return { found: await search() };
  } catch (e) {
    if (e instanceof DomainError && NOT_FOUND.has(e.code)) {
      void reply.status(404);
      return { missing: true };
    }
    throw e;
  }
}

/** The rules of a typed NIR, name or date: a value they refuse shows the search form again, not a dead end. */
const INPUT_RULES = new Set(
  [
    RegisterErrors.NIR_FORMAT,
    RegisterErrors.NIR_SEX_INVALID,
    RegisterErrors.NIR_MONTH_INVALID,
    RegisterErrors.NIR_KEY_MISMATCH,
    RegisterErrors.NAME_EMPTY,
    RegisterErrors.NAME_TOO_LONG,
    RegisterErrors.NAME_INVALID_CHARACTERS,
    RegisterErrors.DATE_INVALID,
  ].map((e) => e.code),
);
async function refusalAsForm<T>(
  reply: FastifyReply,
  search: () => Promise<T>,
  refusal: (e: DomainError, message: string) => SearchRefusal,
): Promise<{ done: T } | { refused: SearchRefusal }> {
  try {
    return { done: await search() };
  } catch (e) {
    if (e instanceof DomainError && INPUT_RULES.has(e.code)) {
      void reply.status(e.status);
      const message = consoleMessage({ ...e.details, status: e.status, code: e.code, detail: e.message });
      return { refused: refusal(e, message) };
    }
    throw e;
  }
}

/** Search (a card, an insured by NIR or by name and birth date), the insured's page, the photo page and its images. */
@ApiExcludeController()
@Controller('console')
export class InsuredController {
  constructor(
    private readonly search: SearchService,
    private readonly files: InsuredFileService,
    private readonly photos: PhotoReviewService,
    private readonly requests: CardRequestsService,
  ) {}

  @Get('recherche')
  @ConsolePage('operator', 'fund')
  searchForm(@CurrentAgent() agent: ConsolePrincipal): SafeHtml {
    return searchPage(agent, null);
  }

  /** A serial is not personal data: it may be in the URL (a link to a card can be shared between agents). */
  @Get('recherche/carte')
  @ConsolePage('operator', 'fund')
  @Answers(CardsErrors.CARD_NOT_FOUND)
  async card(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Query('numero') serial: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SafeHtml> {
    const s = typeof serial === 'string' ? serial.replace(/\s/g, '') : '';
    if (!s) return searchPage(agent, null);
    const r = /^\d{1,20}$/.test(s)
      ? await notFoundAsOutcome(reply, () => this.search.cardBySerial(actor, s))
      : (void reply.status(404), { missing: true as const });
    const outcome: SearchOutcome = 'found' in r ? { kind: 'card', card: r.found } : { kind: 'missing', what: 'card' };
    return searchPage(agent, outcome);
  }

  /** The NIR comes in the form's body, never in a URL: found, the browser goes to the insured's page (by id). */
  @Post('recherche/nir')
  @HttpCode(200)
  @ConsoleAction('operator', 'fund')
  @FormFields('nir')
  @Answers(
    RegisterErrors.NIR_FORMAT,
    RegisterErrors.NIR_SEX_INVALID,
    RegisterErrors.NIR_MONTH_INVALID,
    RegisterErrors.NIR_KEY_MISMATCH,
    RegisterErrors.BENEFICIARY_NOT_FOUND,
  )
  async byNir(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Body() form: Record<string, string>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SafeHtml | undefined> {
    const typed = field(form, 'nir');
    const nir = typed.replace(/\s/g, '');
    const checked = await refusalAsForm(
      reply,
      () => notFoundAsOutcome(reply, () => this.search.insuredByNir(actor, nir)),
      (e, message) => ({ form: 'nir', field: 'nir', message, code: e.code, values: { nir: typed } }),
    );
    if ('refused' in checked) return searchPage(agent, null, checked.refused);
    const r = checked.done;
    if ('found' in r) {
      void reply.redirect(`/console/assures/${r.found.id}`, 303);
      return undefined;
    }
    return searchPage(agent, { kind: 'missing', what: 'nir' });
  }

  /** Name and birth date are personal data too: posted, and the matches answered on this response. */
  @Post('recherche/nom')
  @HttpCode(200)
  @ConsoleAction('operator', 'fund')
  @FormFields('name', 'birthDate')
  @Answers(
    RegisterErrors.NAME_EMPTY,
    RegisterErrors.NAME_TOO_LONG,
    RegisterErrors.NAME_INVALID_CHARACTERS,
    RegisterErrors.DATE_INVALID,
  )
  async byName(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Body() form: Record<string, string>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SafeHtml> {
    const values = { name: field(form, 'name'), birthDate: field(form, 'birthDate') };
    const checked = await refusalAsForm(
      reply,
      () => this.search.insuredByName(actor, { name: values.name, birthDate: isoDate(values.birthDate) }),
      (e, message) => ({
        form: 'nom',
        field: e.code === RegisterErrors.DATE_INVALID.code ? 'birthDate' : 'name',
        message,
        code: e.code,
        values,
      }),
    );
    if ('refused' in checked) return searchPage(agent, null, checked.refused);
    return searchPage(agent, { kind: 'matches', matches: checked.done });
  }

  @Get('assures/:id')
  @ConsolePage('operator', 'fund')
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND, InsightErrors.TIMELINE_CURSOR_INVALID)
  async insured(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Query('avant') before?: string,
  ): Promise<SafeHtml> {
    const cursor = typeof before === 'string' && before ? before : undefined;
    const file = await this.files.file(actor, id, { before: cursor, limit: 25 });
    // The open requests, each with its cancellation page when the agent may still cancel it.
    const requests = await this.requests.list(actor, { beneficiaryId: file.identity.id, limit: 50 });
    const open = requests.items.filter((r) => OPEN_REQUEST_STATUSES.includes(r.status));
    return insuredPage(agent, file, await this.photos.photosOf(actor, file.identity.id), !!cursor, open);
  }

  @Get('photos/:id')
  @ConsolePage('operator', 'fund')
  @Answers(PhotoErrors.PHOTO_NOT_FOUND)
  async photo(
    @CurrentAgent() agent: ConsolePrincipal,
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
  ): Promise<SafeHtml> {
    return photoPage(agent, await this.photos.review(actor, id));
  }

  /** The stored image itself (the page's <img>): same tenant rule, each read audited. */
  @Get('photos/:id/images/:kind')
  @ConsolePage('operator', 'fund')
  @Answers(PhotoErrors.PHOTO_NOT_FOUND)
  async image(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Param('kind') kind: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Buffer> {
    const bytes = await this.photos.image(actor, id, kind);
    void reply.type(bytes[0] === 0x89 ? 'image/png' : 'image/jpeg');
    return bytes;
  }
}
