import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsEnum, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { IsText } from '../../platform/validation/text.decorators.js';
import { FundEventType } from '../event-types.js';

/** `types=a,b` or `types=a&types=b`: one list either way. */
export const commaList = ({ value }: { value: unknown }) =>
  value === undefined
    ? undefined
    : ([] as unknown[])
        .concat(value)
        .flatMap((v) => String(v).split(','))
        .map((s) => s.trim())
        .filter(Boolean);

export class EventsQueryDto {
  @ApiPropertyOptional({
    description: 'Opaque cursor: the `next` of the previous answer; absent = from the oldest event',
  })
  @IsOptional()
  @IsText(64)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({
    description:
      'Comma-separated event types to keep (others are skipped, the cursor still moves past what is returned)',
    example: 'card.shipped,request.photo_rejected',
  })
  @IsOptional()
  @Transform(commaList)
  @IsArray()
  @ArrayMaxSize(32)
  @IsEnum(FundEventType, { each: true, message: `types must be among: ${Object.values(FundEventType).join(', ')}` })
  types?: FundEventType[];

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 30,
    default: 0,
    description: 'Long poll: when nothing is available, wait up to this many seconds for an event',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(30)
  wait?: number;

  @ApiPropertyOptional({
    description: 'Operators: the organisme whose feed to read (required). Funds always read their own.',
    example: '017510001',
  })
  @IsOptional()
  @Matches(/^\d{9}$/, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;
}

export class FundEventView {
  @ApiProperty({
    description: 'Event id, unique; also sent as X-Vitale-Event-Id by webhooks (deduplicate on it)',
    example: '1042',
  })
  id: string;
  @ApiProperty({ enum: FundEventType }) type: string;
  @ApiProperty({ enum: ['card_request', 'card', 'beneficiary', 'api_key'] }) subjectType: string;
  @ApiProperty({ description: 'Id of the card request, card or beneficiary' }) subjectId: string;
  @ApiProperty({
    description: 'Ids, codes and states only: never a NIR, a name, an address or a photo',
    type: 'object',
    additionalProperties: true,
  })
  data: Record<string, unknown>;
  @ApiProperty() createdAt: Date;
}

export class FundEventPageView {
  @ApiProperty({ type: [FundEventView] }) items: FundEventView[];
  @ApiProperty({
    description: 'Cursor to resume from; always present (the same cursor back when nothing new is available)',
  })
  next: string;
}
