import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsEnum,
  IsIn,
  IsInt,
  IsOptional,
  IsUUID,
  Matches,
  Max,
  Min,
  IsDefined,
  IsObject,
  ValidateNested,
} from 'class-validator';
import { CardOrigin } from '../../cards/card-state.enum.js';
import { IsText } from '../../platform/validation/text.decorators.js';
import { CampaignStatus, CampaignWaveStatus } from '../campaign-status.enum.js';

/** Which cards a campaign renews (docs/campaigns.md): every filter given must hold. */
export class CohortDto {
  @ApiProperty({
    type: [String],
    description: '1 to 50 regimes (2-digit codes): holders affiliated today to one of them',
    example: ['01'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(/^\d{2}$/, { each: true, message: 'each regime code must be 2 digits' })
  regimeCodes: string[];

  @ApiPropertyOptional({
    type: [String],
    description: 'Only these funds (5-digit codes) of those regimes',
    example: ['01751'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ArrayUnique()
  @Matches(/^\d{5}$/, { each: true, message: 'each fund code must be 5 digits' })
  fundCodes?: string[];

  @ApiPropertyOptional({
    type: [String],
    description: 'Only these organismes (9-digit codes) of those regimes',
    example: ['017510001'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2000)
  @ArrayUnique()
  @Matches(/^\d{9}$/, { each: true, message: 'each organisme code must be 9 digits' })
  organismeCodes?: string[];

  @ApiPropertyOptional({ enum: [1, 2], description: 'Card generation: 1 without photo, 2 with photo' })
  @IsOptional()
  @IsIn([1, 2], { message: 'generation must be 1 (without photo) or 2 (with photo)' })
  generation?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 120, description: 'Holders at least this old today', example: 16 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(120)
  minAge?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 600,
    description:
      "Cards not updated for this many months: the latest of the old base's update (or issue) date, the last kiosk write confirmed, the card's shipping",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(600)
  notUpdatedForMonths?: number;

  @ApiPropertyOptional({
    enum: CardOrigin,
    description: 'Only cards made by this system (`issued`) or taken over (`imported`)',
  })
  @IsOptional()
  @IsEnum(CardOrigin)
  origin?: CardOrigin;
}

export class DryRunDto {
  @ApiProperty({ type: CohortDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => CohortDto)
  cohort: CohortDto;
}

export class CreateCampaignDto extends DryRunDto {
  @ApiProperty({ maxLength: 120, example: 'Cartes sans photo, 16 ans et plus, régime général' })
  @IsText(120)
  name: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1_000_000,
    description: "Most forms this campaign sends a day (default: the day's whole capacity, CAMPAIGN_DAILY_CAPACITY)",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  dailyLimit?: number;
}

export class CampaignListQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, description: 'Most campaigns answered, newest first (default 50)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'The `next` of the previous page' })
  @IsOptional()
  @IsUUID()
  after?: string;
}

export class RegimeCountView {
  @ApiProperty({ example: '01' }) regimeCode: string;
  @ApiProperty({ description: 'Holders of the cohort in this regime' }) holders: number;
}

export class DryRunView {
  @ApiProperty({ description: 'Holders in the cohort today (one card each)' }) holders: number;
  @ApiProperty({ type: [RegimeCountView] }) perRegime: RegimeCountView[];
  @ApiProperty({ description: "Days of waves at the day's whole capacity (CAMPAIGN_DAILY_CAPACITY)" })
  daysAtCapacity: number;
}

export class CohortView {
  @ApiProperty({ type: [String] }) regimeCodes: string[];
  @ApiPropertyOptional({ type: [String] }) fundCodes?: string[];
  @ApiPropertyOptional({ type: [String] }) organismeCodes?: string[];
  @ApiPropertyOptional({ enum: [1, 2] }) generation?: number;
  @ApiPropertyOptional() minAge?: number;
  @ApiPropertyOptional() notUpdatedForMonths?: number;
  @ApiPropertyOptional({ enum: CardOrigin }) origin?: CardOrigin;
}

export class CampaignView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: CampaignStatus }) status: CampaignStatus;
  @ApiProperty({ type: CohortView }) cohort: CohortView;
  @ApiProperty({ type: Number, nullable: true, description: "null: the day's whole capacity" }) dailyLimit:
    number | null;
  @ApiProperty({ description: 'Holders in the cohort when the campaign was defined' }) cohortSize: number;
  @ApiProperty({ description: 'Forms sent (card requests opened) so far' }) sent: number;
  @ApiProperty({ description: 'Holders left alone because they already had an open request' }) skipped: number;
  @ApiProperty() createdAt: Date;
  @ApiProperty() statusChangedAt: Date;
}

export class CampaignListView {
  @ApiProperty({ type: [CampaignView] }) items: CampaignView[];
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) next: string | null;
}

export class CampaignWaveView {
  @ApiProperty({ format: 'date', description: 'The Paris day of the wave (one per campaign and day)' }) day: string;
  @ApiProperty({ description: "Forms the day's capacity granted it" }) planned: number;
  @ApiProperty() sent: number;
  @ApiProperty() skipped: number;
  @ApiProperty({ enum: CampaignWaveStatus }) status: CampaignWaveStatus;
  @ApiProperty({ type: Date, nullable: true }) finishedAt: Date | null;
}

export class WaveListView {
  @ApiProperty({ type: [CampaignWaveView] }) items: CampaignWaveView[];
  @ApiProperty({ type: String, nullable: true, description: 'Always null: the list comes whole' }) next: null;
}

export class FunnelView {
  @ApiProperty({ format: 'uuid' }) campaignId: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The fund's organisme the numbers are restricted to; null: all",
  })
  organismeCode: string | null;
  @ApiProperty({ description: 'Card requests opened (step 1, forms sent)' }) formsSent: number;
  @ApiProperty({ description: 'Of those, answered: a photo was received' }) answered: number;
  @ApiProperty({ description: 'Of those, with a photo refused at least once' }) photosRefused: number;
  @ApiProperty({ description: 'Of those, whose new card is active' }) cardsActive: number;
  @ApiProperty({ description: 'Of those, expired unanswered (FORM_EXPIRY_DAYS)' }) unanswered: number;
  @ApiProperty({ description: 'Holders left alone because they already had an open request' }) skipped: number;
}

export class WaveRunView {
  @ApiProperty({ description: 'Running campaigns looked at' }) campaigns: number;
  @ApiProperty({ description: 'Forms sent by this run' }) sent: number;
  @ApiProperty({ description: 'Holders skipped by this run (an open request already)' }) skipped: number;
}
