import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CardsErrors } from '../cards/cards.errors.js';
import { CardView } from '../cards/dto/card.dto.js';
import { PartnerKind } from '../partners/partner-kind.enum.js';
import type { Actor } from '../platform/auth/actor.js';
import { Allow, CurrentActor } from '../platform/auth/auth.decorators.js';
import { Answers } from '../platform/errors/answers.decorator.js';
import { PhotoErrors } from '../photo/photo.errors.js';
import { BeneficiaryView } from '../register/dto/beneficiary.dto.js';
import { RegisterErrors } from '../register/register.errors.js';
import {
  DashboardQueryDto,
  DashboardView,
  InsuredFileView,
  InsuredMatchesView,
  NameSearchDto,
  NirSearchDto,
  PhotoPageView,
  TimelinePageView,
  TimelineQueryDto,
} from './dto/insight.dto.js';
import { DashboardService } from './dashboard.service.js';
import { InsightErrors } from './insight.errors.js';
import { InsuredFileService } from './insured-file.service.js';
import { PhotoReviewService } from './photo-review.service.js';
import { SearchService } from './search.service.js';

/** The data behind the console's pages, as JSON: a fund sees its organisme only; personal data reads are audited. */
@ApiTags('console data')
@Controller('v1')
@Allow(PartnerKind.Fund, PartnerKind.Operator)
export class InsightController {
  constructor(
    private readonly dashboard: DashboardService,
    private readonly search: SearchService,
    private readonly files: InsuredFileService,
    private readonly photos: PhotoReviewService,
  ) {}

  @Get('dashboard')
  @ApiOperation({
    summary:
      'Cards by state, open and stuck requests, lead times per day beside the 2.4/3.5-day references, kiosk updates per hour, opposition lists, failing jobs',
  })
  @ApiOkResponse({ type: DashboardView })
  getDashboard(@CurrentActor() actor: Actor, @Query() q: DashboardQueryDto): Promise<DashboardView> {
    return this.dashboard.figuresFor(actor, q);
  }

  @Get('search/cards/:serial')
  @ApiOperation({ summary: 'A card by its serial (12 digits)' })
  @ApiOkResponse({ type: CardView })
  @Answers(CardsErrors.CARD_NOT_FOUND)
  cardBySerial(@CurrentActor() actor: Actor, @Param('serial') serial: string): Promise<CardView> {
    return this.search.cardBySerial(actor, serial);
  }

  @Post('search/insured/by-nir')
  @HttpCode(200)
  @ApiOperation({ summary: 'An insured by NIR (in the body, never in a URL); audited' })
  @ApiOkResponse({ type: BeneficiaryView })
  @Answers(
    RegisterErrors.NIR_FORMAT,
    RegisterErrors.NIR_SEX_INVALID,
    RegisterErrors.NIR_MONTH_INVALID,
    RegisterErrors.NIR_KEY_MISMATCH,
    RegisterErrors.BENEFICIARY_NOT_FOUND,
  )
  byNir(@CurrentActor() actor: Actor, @Body() dto: NirSearchDto): Promise<BeneficiaryView> {
    return this.search.insuredByNir(actor, dto.nir);
  }

  @Post('search/insured/by-name')
  @HttpCode(200)
  @ApiOperation({ summary: 'Insured by birth or usage name (or its beginning) and birth date, at most 50; audited' })
  @ApiOkResponse({ type: InsuredMatchesView })
  @Answers(
    RegisterErrors.NAME_EMPTY,
    RegisterErrors.NAME_TOO_LONG,
    RegisterErrors.NAME_INVALID_CHARACTERS,
    RegisterErrors.DATE_INVALID,
  )
  byName(@CurrentActor() actor: Actor, @Body() dto: NameSearchDto): Promise<InsuredMatchesView> {
    return this.search.insuredByName(actor, dto);
  }

  @Get('insured/:id/file')
  @ApiOperation({
    summary: "The insured's file: identity, affiliations, cards, dependants and the first timeline page; audited",
  })
  @ApiOkResponse({ type: InsuredFileView })
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND, InsightErrors.TIMELINE_CURSOR_INVALID)
  file(@CurrentActor() actor: Actor, @Param('id') id: string, @Query() q: TimelineQueryDto): Promise<InsuredFileView> {
    return this.files.file(actor, id, q);
  }

  @Get('insured/:id/timeline')
  @ApiOperation({ summary: "A page of the insured's timeline, newest first (pass the previous page's next as before)" })
  @ApiOkResponse({ type: TimelinePageView })
  @Answers(RegisterErrors.BENEFICIARY_NOT_FOUND, InsightErrors.TIMELINE_CURSOR_INVALID)
  timeline(
    @CurrentActor() actor: Actor,
    @Param('id') id: string,
    @Query() q: TimelineQueryDto,
  ): Promise<TimelinePageView> {
    return this.files.timeline(actor, id, q);
  }

  @Get('photos/:id/review')
  @ApiOperation({
    summary: 'A photo, refused ones too: every measure beside its threshold, which images are stored; audited',
  })
  @ApiOkResponse({ type: PhotoPageView })
  @Answers(PhotoErrors.PHOTO_NOT_FOUND)
  photo(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<PhotoPageView> {
    return this.photos.review(actor, id);
  }
}
