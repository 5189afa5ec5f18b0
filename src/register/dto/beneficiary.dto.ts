import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/*
 * The DTOs check shapes and bound sizes only. The civil-status rules (NIR key, name characters and lengths,
 * dates, address) are applied by the service, which answers 422 with the same stable codes as the bulk import.
 */

export class CreateBeneficiaryDto {
  @ApiProperty({ description: 'NIR: 13 characters (2A/2B for Corsica) and the 2-digit key; spaces allowed. 7/8 first digit = temporary number', example: '1 85 05 75 123 456 xx' })
  @IsString() @MaxLength(32)
  nir: string;

  @ApiProperty({ maxLength: 45, description: 'Capitals (accented too), hyphens, apostrophes, spaces; normalised to capitals', example: 'Marie-Claire' })
  @IsString() @MaxLength(200)
  firstName: string;

  @ApiProperty({ maxLength: 63, example: "D'Artagnan" })
  @IsString() @MaxLength(200)
  birthName: string;

  @ApiPropertyOptional({ maxLength: 42, nullable: true, example: 'Durand' })
  @IsOptional() @IsString() @MaxLength(200)
  usageName?: string | null;

  @ApiProperty({ format: 'date', example: '1985-05-14' })
  @IsString() @MaxLength(10)
  birthDate: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 9, default: 1, description: 'Rank among same-day births (twins)' })
  @IsOptional() @IsInt()
  birthRank?: number;

  @ApiProperty({ type: [String], minItems: 1, maxItems: 6, description: 'AFNOR XP Z10-011 style: 1 to 6 lines of at most 38 characters', example: ['MME MARIE-CLAIRE DURAND', '12 RUE DES LILAS', '75011 PARIS'] })
  @IsArray() @ArrayMaxSize(12) @IsString({ each: true }) @MaxLength(200, { each: true })
  addressLines: string[];

  @ApiPropertyOptional({ format: 'date', description: 'Start of the affiliation to the caller\'s organisme; today when absent; never in the future' })
  @IsOptional() @IsString() @MaxLength(10)
  affiliatedFrom?: string;
}

export class UpdateBeneficiaryDto {
  @ApiProperty({ description: 'The version read; a stale one is refused with 409 VERSION_CONFLICT', example: 1 })
  @Type(() => Number) @IsInt() @Min(1)
  version: number;

  @ApiPropertyOptional({ maxLength: 45 })
  @IsOptional() @IsString() @MaxLength(200)
  firstName?: string;

  @ApiPropertyOptional({ maxLength: 63 })
  @IsOptional() @IsString() @MaxLength(200)
  birthName?: string;

  @ApiPropertyOptional({ maxLength: 42, nullable: true, description: 'null removes the usage name' })
  @IsOptional() @IsString() @MaxLength(200)
  usageName?: string | null;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional() @IsString() @MaxLength(10)
  birthDate?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 9 })
  @IsOptional() @IsInt()
  birthRank?: number;

  @ApiPropertyOptional({ type: [String], minItems: 1, maxItems: 6 })
  @IsOptional() @IsArray() @ArrayMaxSize(12) @IsString({ each: true }) @MaxLength(200, { each: true })
  addressLines?: string[];
}

export class LookupBeneficiaryDto {
  @ApiProperty({ description: 'The NIR to find (in the body: URLs end up in logs)' })
  @IsString() @MaxLength(32)
  nir: string;
}

export class ListBeneficiariesQuery {
  @ApiPropertyOptional({ description: 'Cursor: the `next` of the previous page' })
  @IsOptional() @IsString() @MaxLength(64)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'Operators only: restrict to the insured currently affiliated to this organisme' })
  @IsOptional() @Matches(/^\d{9}$/, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;
}

export class AffiliationView {
  @ApiProperty() id: string;
  @ApiProperty() organismeCode: string;
  @ApiProperty({ format: 'date' }) validFrom: string;
  @ApiPropertyOptional({ format: 'date', nullable: true, description: 'Exclusive end; null while open' }) validTo: string | null;
  @ApiProperty({ description: 'valid_from <= today < valid_to' }) current: boolean;
}

export class BeneficiaryView {
  @ApiProperty() id: string;
  @ApiProperty() nir: string;
  @ApiProperty() nirTemporary: boolean;
  @ApiProperty() firstName: string;
  @ApiProperty() birthName: string;
  @ApiPropertyOptional({ nullable: true }) usageName: string | null;
  @ApiProperty({ format: 'date' }) birthDate: string;
  @ApiProperty() birthRank: number;
  @ApiProperty({ type: [String] }) addressLines: string[];
  @ApiProperty() version: number;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
  @ApiPropertyOptional({ type: AffiliationView, nullable: true, description: 'The current affiliation, if any' })
  affiliation: AffiliationView | null;
}

export class BeneficiaryPage {
  @ApiProperty({ type: [BeneficiaryView] }) items: BeneficiaryView[];
  @ApiPropertyOptional({ nullable: true, description: 'Cursor of the next page; null on the last one' }) next: string | null;
}
