import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsUUID,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export class RegimeTransferMappingDto {
  @ApiProperty({ description: 'A 9-digit organisme whose insured all move', example: '037510001' })
  @Matches(/^\d{9}$/, { message: 'fromOrganismeCode must be 9 digits' })
  fromOrganismeCode: string;

  @ApiProperty({ description: 'The 9-digit organisme they move to', example: '017510001' })
  @Matches(/^\d{9}$/, { message: 'toOrganismeCode must be 9 digits' })
  toOrganismeCode: string;
}

export class CreateRegimeTransferDto {
  @ApiProperty({
    format: 'date',
    description: 'First day with the new organismes (Paris date): today or later',
    example: '2026-01-01',
  })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'effectiveDate must be a date YYYY-MM-DD' })
  effectiveDate: string;

  @ApiProperty({ type: [RegimeTransferMappingDto], description: '1 to 500 mappings, each source organisme once' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => RegimeTransferMappingDto)
  mappings: RegimeTransferMappingDto[];
}

export class RegimeTransferListQuery {
  @ApiProperty({
    required: false,
    description: 'Most transfers answered, newest first (default 50)',
    minimum: 1,
    maximum: 200,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiProperty({ required: false, format: 'uuid', description: 'The `next` of the previous page' })
  @IsOptional()
  @IsUUID()
  after?: string;
}

export class RegimeTransferCountsView {
  @ApiProperty({ description: 'Insured switched to their new organisme' }) insured: number;
  @ApiProperty({ description: 'Cards that follow their holder, serial kept' }) cards: number;
  @ApiProperty({
    description:
      'Insured of a source organisme left alone (a change already pending, or an affiliation that already ends or starts on the date)',
  })
  skipped: number;
  @ApiProperty({ description: 'Mutations recorded: one per card, or one for an insured without a card' })
  mutations: number;
  @ApiProperty({ description: 'Of those, applied (in force: cards moved, organisme records rewritten)' })
  applied: number;
}

export class RegimeTransferView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['pending', 'recording', 'recorded', 'applied', 'failed'] }) status: string;
  @ApiProperty({ format: 'date' }) effectiveDate: string;
  @ApiProperty({ type: [RegimeTransferMappingDto] }) mappings: RegimeTransferMappingDto[];
  @ApiProperty({ type: RegimeTransferCountsView }) counts: RegimeTransferCountsView;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why the recording job failed (it is retried; status goes back to recording)',
  })
  failure: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) recordedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) appliedAt: string | null;
}

export class RegimeTransferListView {
  @ApiProperty({ type: [RegimeTransferView] }) items: RegimeTransferView[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `after` for the following page; null on the last',
  })
  next: string | null;
}
