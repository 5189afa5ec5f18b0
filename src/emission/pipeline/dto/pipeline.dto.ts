import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { IsText } from '../../../platform/validation/text.decorators.js';
import { OPEN_REQUEST_STATUSES, RequestStatus } from '../../requests/request-status.enum.js';
import { WAITING_ON, type WaitingOn } from '../pipeline-rules.js';

const commaList = ({ value }: { value: unknown }) =>
  value === undefined
    ? undefined
    : ([] as unknown[])
        .concat(value)
        .flatMap((v) => String(v).split(','))
        .map((s) => s.trim())
        .filter(Boolean);
const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
const ORGANISME = /^\d{9}$/;

export class PipelineQueryDto {
  @ApiPropertyOptional({ enum: ['organisme'], description: 'Also break the counts down per organisme' })
  @IsOptional()
  @IsIn(['organisme'])
  by?: 'organisme';
}

export class StuckQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 8760,
    description: 'Idle longer than this at the current step; default STUCK_AFTER_HOURS',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(8760)
  olderThanHours?: number;

  @ApiPropertyOptional({ enum: OPEN_REQUEST_STATUSES, description: 'Only this status' })
  @IsOptional()
  @IsIn(OPEN_REQUEST_STATUSES)
  status?: RequestStatus;

  @ApiPropertyOptional({
    description: `Comma list among ${WAITING_ON.join(', ')}; default all. \`system\` = what the re-injector and retry act on`,
    example: 'system,vendor',
  })
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @ArrayMaxSize(4)
  @IsIn(WAITING_ON, { each: true })
  waitingOn?: WaitingOn[];

  @ApiPropertyOptional({ example: '017510001' })
  @IsOptional()
  @Matches(ORGANISME, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;

  @ApiPropertyOptional({ description: 'Only requests flagged (true) or not flagged (false) for review' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  needsReview?: boolean;

  @ApiPropertyOptional({ description: 'Cursor: the `next` of the previous page' })
  @IsOptional()
  @IsText(128)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class LeadTimesQueryDto {
  @ApiPropertyOptional({
    description: 'Segments that ended at or after this instant (ISO 8601 date or date-time); default 90 days ago',
    example: '2026-01-01',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date or date-time' })
  since?: string;

  @ApiPropertyOptional({ example: '017510001' })
  @IsOptional()
  @Matches(ORGANISME, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;
}

export class StatusCountView {
  @ApiProperty({ enum: RequestStatus }) status: string;
  @ApiProperty() count: number;
  @ApiProperty({ description: 'Of which idle longer than STUCK_AFTER_HOURS' }) stuck: number;
  @ApiProperty({ description: 'Of which flagged for review' }) needsReview: number;
}

export class StateCountView {
  @ApiProperty({ example: 'in_personalisation' }) state: string;
  @ApiProperty() count: number;
}

export class OrganismePipelineView {
  @ApiProperty({ example: '017510001' }) organismeCode: string;
  @ApiProperty({ type: [StatusCountView] }) requests: StatusCountView[];
  @ApiProperty({ type: [StateCountView] }) cards: StateCountView[];
}

export class PipelineView {
  @ApiProperty() stuckAfterHours: number;
  @ApiProperty({ description: 'Open requests' }) openRequests: number;
  @ApiProperty({ description: 'Open requests idle longer than stuckAfterHours (any waitingOn)' }) stuck: number;
  @ApiProperty() needsReview: number;
  @ApiProperty({ type: [StatusCountView], description: 'Every open status, zeros included, in chain order' })
  requests: StatusCountView[];
  @ApiProperty({
    type: [StateCountView],
    description: "Cards in the chain's states: ordered, in_personalisation, shipped, returned_undeliverable",
  })
  cards: StateCountView[];
  @ApiPropertyOptional({
    type: [OrganismePipelineView],
    description: 'With by=organisme: organismes that have something in the chain',
  })
  organismes?: OrganismePipelineView[];
}

export class StuckRequestView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '10000014' }) formNumber: string;
  @ApiProperty({ example: '017510001' }) organismeCode: string;
  @ApiProperty({ enum: RequestStatus }) status: string;
  @ApiProperty({ description: 'When it entered its status' }) since: Date;
  @ApiProperty() idleHours: number;
  @ApiProperty({ enum: WAITING_ON }) waitingOn: string;
  @ApiProperty() autoOrder: boolean;
  @ApiProperty({ description: 'Times the re-injector retried it at this step' }) reinjections: number;
  @ApiProperty() needsReview: boolean;
  @ApiProperty({ description: 'Whether POST .../retry has a job to re-enqueue' }) retryable: boolean;
}

export class StuckPageView {
  @ApiProperty() olderThanHours: number;
  @ApiProperty({ type: [StuckRequestView] }) items: StuckRequestView[];
  @ApiPropertyOptional({ nullable: true, description: 'Pass as `after` for the next page; null on the last page' })
  next: string | null;
}

export class LeadTimeSegmentView {
  @ApiProperty({ example: 'in_personalisation→completed' }) segment: string;
  @ApiProperty({ enum: RequestStatus }) from: string;
  @ApiProperty({ enum: RequestStatus }) to: string;
  @ApiProperty({ description: 'Requests measured' }) count: number;
  @ApiPropertyOptional({ nullable: true, description: 'Days, 2 decimals' }) medianDays: number | null;
  @ApiPropertyOptional({ nullable: true, description: 'Days, 2 decimals' }) p90Days: number | null;
  @ApiPropertyOptional({
    nullable: true,
    description: "The 2014 diagram's figure this segment is compared with (docs/domain.md)",
  })
  referenceDays: number | null;
  @ApiPropertyOptional({ nullable: true }) referenceNote: string | null;
}

export class LeadTimesView {
  @ApiProperty() since: Date;
  @ApiPropertyOptional({ nullable: true }) organismeCode: string | null;
  @ApiProperty({ type: [LeadTimeSegmentView] }) segments: LeadTimeSegmentView[];
}

export class RetryView {
  @ApiProperty({ format: 'uuid' }) requestId: string;
  @ApiProperty({ enum: RequestStatus }) status: string;
  @ApiProperty({ example: 'photo.check', description: 'The job re-enqueued' }) job: string;
}

export class CancelView {
  @ApiProperty({ format: 'uuid' }) requestId: string;
  @ApiProperty({ enum: [RequestStatus.Cancelled] }) status: string;
  @ApiProperty({ enum: RequestStatus }) previousStatus: string;
  @ApiPropertyOptional({
    nullable: true,
    format: 'uuid',
    description: 'The ordered card, now cancelled, if there was one',
  })
  cancelledCardId: string | null;
}
