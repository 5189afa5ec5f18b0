import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { CardView } from '../../cards/dto/card.dto.js';
import { IsText } from '../../platform/validation/text.decorators.js';
import { AffiliationView, BeneficiaryView } from '../../register/dto/beneficiary.dto.js';
import { ParentDependantView } from '../../register/dto/family.dto.js';
import { StuckRequestView } from '../../emission/pipeline/dto/pipeline.dto.js';

export const DASHBOARD_MAX_DAYS = 90;
export const TIMELINE_MAX = 200;
export const NAME_SEARCH_MAX = 50;

export class DashboardQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: DASHBOARD_MAX_DAYS, description: 'Days of lead times (default 30)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(DASHBOARD_MAX_DAYS)
  days?: number;
}

export class LabelCountView {
  @ApiProperty() label: string;
  @ApiProperty() count: number;
}

export class DashboardStepView {
  @ApiProperty() status: string;
  @ApiProperty() count: number;
  @ApiProperty({ description: 'Idle longer than stuckAfterHours' }) stuck: number;
}

export class LeadTimeDayView {
  @ApiProperty({ format: 'date' }) day: string;
  @ApiProperty() count: number;
  @ApiPropertyOptional({ nullable: true }) medianDays: number | null;
  @ApiPropertyOptional({ nullable: true }) p90Days: number | null;
}

export class LeadTimeSeriesView {
  @ApiProperty({ example: 'form_sent→photo_available' }) segment: string;
  @ApiPropertyOptional({ nullable: true, description: 'The reference figure (2.4 or 3.5 days), if any' })
  referenceDays: number | null;
  @ApiProperty({ type: [LeadTimeDayView], description: 'One entry per day with at least one request' })
  days: LeadTimeDayView[];
}

export class KioskHourView {
  @ApiProperty() hour: Date;
  @ApiProperty({ description: 'Finished exchanges by result (confirmed, failed, superseded)' })
  results: Record<string, number>;
}

export class OppositionListSummaryView {
  @ApiProperty() number: number;
  @ApiProperty({ enum: ['full', 'incremental'] }) kind: 'full' | 'incremental';
  @ApiProperty() period: string;
  @ApiProperty() producedAt: Date;
  @ApiProperty() entryCount: number;
  @ApiProperty() additions: number;
  @ApiProperty() removals: number;
}

export class FailingJobView {
  @ApiProperty() job: string;
  @ApiProperty({ description: 'Failed (retries used up) in the last 24 hours' }) count: number;
  @ApiProperty() lastAt: Date;
}

export class DashboardView {
  @ApiPropertyOptional({ nullable: true, description: 'The caller’s organisme (funds); null: every organisme' })
  organismeCode: string | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'When the counts (cards, requests) were taken by insight.refresh-figures; null: not yet',
  })
  figuresTakenAt: Date | null;
  @ApiProperty() stuckAfterHours: number;
  @ApiProperty({ type: [LabelCountView], description: 'Cards by state, every state' }) cards: LabelCountView[];
  @ApiProperty({ type: [DashboardStepView], description: 'Open requests by step, chain order' })
  requests: DashboardStepView[];
  @ApiProperty() stuckCount: number;
  @ApiProperty({ type: [StuckRequestView], description: 'The oldest stuck requests (at most 20), live' })
  stuck: StuckRequestView[];
  @ApiProperty() leadTimeDays: number;
  @ApiProperty({ type: [LeadTimeSeriesView] }) leadTimes: LeadTimeSeriesView[];
  @ApiProperty({ type: [KioskHourView], description: 'The last 24 hours, oldest first' }) kioskPerHour: KioskHourView[];
  @ApiProperty({ type: [OppositionListSummaryView], description: 'The last 10 lists produced' })
  oppositionLists: OppositionListSummaryView[];
  @ApiPropertyOptional({ type: [FailingJobView], nullable: true, description: 'Operators only (null for funds)' })
  failingJobs: FailingJobView[] | null;
}

export class NirSearchDto {
  @ApiProperty({ description: 'The NIR (in the body: URLs end up in logs)', maxLength: 40 })
  @IsText(40)
  nir: string;
}

export class NameSearchDto {
  @ApiProperty({ description: 'Birth or usage name, or its beginning', maxLength: 63 })
  @IsText(63)
  name: string;

  @ApiProperty({ format: 'date', example: '1980-05-17' })
  @IsText(10)
  birthDate: string;

  @ApiPropertyOptional({ minimum: 1, maximum: NAME_SEARCH_MAX, description: 'At most this many (default 20)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(NAME_SEARCH_MAX)
  limit?: number;
}

export class InsuredMatchView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() firstName: string;
  @ApiProperty() birthName: string;
  @ApiPropertyOptional({ nullable: true }) usageName: string | null;
  @ApiProperty({ format: 'date' }) birthDate: string;
  @ApiPropertyOptional({ nullable: true }) organismeCode: string | null;
}

export class InsuredMatchesView {
  @ApiProperty({ type: [InsuredMatchView] }) items: InsuredMatchView[];
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Always null: the search is bounded, not paged (`truncated` says when more matched)',
  })
  next: null;
  @ApiProperty({ description: 'More matched than returned: narrow the name' }) truncated: boolean;
}

export class TimelineQueryDto {
  @ApiPropertyOptional({ description: 'The `next` of the previous page' })
  @IsOptional()
  @IsText(200)
  before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: TIMELINE_MAX, description: 'Entries per page (default 50)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(TIMELINE_MAX)
  limit?: number;
}

export class TimelineEntryView {
  @ApiProperty() at: Date;
  @ApiProperty({ enum: ['card_state', 'kiosk_exchange', 'mutation', 'opposition', 'request'] })
  kind: 'card_state' | 'kiosk_exchange' | 'mutation' | 'opposition' | 'request';
  @ApiProperty() id: string;
  @ApiProperty({ description: 'What happened (serial, states, result, organismes…), by kind' })
  details: Record<string, unknown>;
}

export class TimelinePageView {
  @ApiProperty({ type: [TimelineEntryView], description: 'Newest first' }) items: TimelineEntryView[];
  @ApiPropertyOptional({ nullable: true, description: 'Pass as `before` for older entries; null on the last page' })
  next: string | null;
}

export class InsuredFileView {
  @ApiProperty({ type: BeneficiaryView }) identity: BeneficiaryView;
  @ApiProperty({ type: [AffiliationView] }) affiliations: AffiliationView[];
  @ApiProperty({ type: [CardView], description: 'Their cards (at most 50)' }) cards: CardView[];
  @ApiProperty({ type: [ParentDependantView] }) dependants: ParentDependantView[];
  @ApiProperty({ type: TimelinePageView }) timeline: TimelinePageView;
}

export class PhotoImageRefView {
  @ApiProperty({ enum: ['original', 'print', 'chip'] }) kind: 'original' | 'print' | 'chip';
  @ApiProperty({
    description:
      'Whether the image is stored (the original is purged after shipping; a refused photo has no print/chip)',
  })
  available: boolean;
}

export class PhotoMeasureView {
  @ApiProperty({ example: 'luminance' }) check: string;
  @ApiProperty({ description: 'The measures and the thresholds in force when checked (min/max…)' })
  measure: Record<string, unknown>;
}

export class PhotoPageView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) requestId: string;
  @ApiProperty({ format: 'uuid' }) beneficiaryId: string;
  @ApiProperty() organismeCode: string;
  @ApiProperty() source: string;
  @ApiProperty({ enum: ['pending', 'accepted', 'rejected'] }) status: string;
  @ApiProperty({ type: [String], description: 'Reason codes of a refusal (docs/photo.md)' }) reasons: string[];
  @ApiPropertyOptional({ nullable: true }) width: number | null;
  @ApiPropertyOptional({ nullable: true }) height: number | null;
  @ApiProperty() byteSize: number;
  @ApiProperty() receivedAt: Date;
  @ApiPropertyOptional({ nullable: true }) checkedAt: Date | null;
  @ApiProperty({ type: [PhotoMeasureView], description: 'Every check run, its measure beside its thresholds' })
  measures: PhotoMeasureView[];
  @ApiProperty({ description: 'Thresholds in force now (PHOTO_THRESHOLDS)' }) thresholdsNow: Record<string, number>;
  @ApiProperty({ type: [PhotoImageRefView] }) images: PhotoImageRefView[];
}

/** A photo received for one of an insured's requests (links from the insured's page to the photo page). */
export interface InsuredPhotoItem {
  id: string;
  requestId: string;
  formNumber: string;
  status: string;
  reasons: string[];
  receivedAt: Date;
}
