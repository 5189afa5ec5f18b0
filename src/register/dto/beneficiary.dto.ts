import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { IsAddressLines, IsCivilName, IsText } from '../../platform/validation/text.decorators.js';
import { ADDRESS_LINE_MAX, ADDRESS_MAX_LINES, NAME_LIMITS } from '../identity.js';

/*
 * The DTOs check shapes: which fields, of which type, the NIR and dates within their longest written form. The
 * civil-status rules (NIR key, name characters and lengths, dates, address) are src/register/identity.ts's and
 * beneficiary-input.ts's, applied by the service, which answers 422 with the same stable codes as the bulk import;
 * the limits documented here are theirs.
 */

/** The longest NIR as written (15 characters and the spaces between its groups). */
const NIR_MAX = 32;
/** YYYY-MM-DD. */
const DATE_MAX = 10;

export class CreateBeneficiaryDto {
  @ApiProperty({
    description:
      'NIR: 13 characters (2A/2B for Corsica) and the 2-digit key; spaces allowed. 7/8 first digit = temporary number',
    example: '1 85 05 75 123 456 xx',
    maxLength: NIR_MAX,
  })
  @IsText(NIR_MAX)
  nir: string;

  @ApiProperty({
    maxLength: NAME_LIMITS.firstName,
    description: 'Capitals (accented too), hyphens, apostrophes, spaces; normalised to capitals',
    example: 'Marie-Claire',
  })
  @IsCivilName()
  firstName: string;

  @ApiProperty({ maxLength: NAME_LIMITS.birthName, example: "D'Artagnan" })
  @IsCivilName()
  birthName: string;

  @ApiPropertyOptional({ maxLength: NAME_LIMITS.usageName, nullable: true, example: 'Durand' })
  @IsOptional()
  @IsCivilName()
  usageName?: string | null;

  @ApiProperty({ format: 'date', example: '1985-05-14' })
  @IsText(DATE_MAX)
  birthDate: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 9, default: 1, description: 'Rank among same-day births (twins)' })
  @IsOptional()
  @IsInt()
  birthRank?: number;

  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: ADDRESS_MAX_LINES,
    description: `AFNOR XP Z10-011 style: 1 to ${ADDRESS_MAX_LINES} lines of at most ${ADDRESS_LINE_MAX} characters`,
    example: ['MME MARIE-CLAIRE DURAND', '12 RUE DES LILAS', '75011 PARIS'],
  })
  @IsAddressLines()
  addressLines: string[];

  @ApiPropertyOptional({
    format: 'date',
    description: "Start of the affiliation to the caller's organisme; today when absent; never in the future",
  })
  @IsOptional()
  @IsText(DATE_MAX)
  affiliatedFrom?: string;
}

export class UpdateBeneficiaryDto {
  @ApiProperty({ description: 'The version read; a stale one is refused with 409 VERSION_CONFLICT', example: 1 })
  @IsInt()
  @Min(1)
  version: number;

  @ApiPropertyOptional({ maxLength: NAME_LIMITS.firstName })
  @IsOptional()
  @IsCivilName()
  firstName?: string;

  @ApiPropertyOptional({ maxLength: NAME_LIMITS.birthName })
  @IsOptional()
  @IsCivilName()
  birthName?: string;

  @ApiPropertyOptional({ maxLength: NAME_LIMITS.usageName, nullable: true, description: 'null removes the usage name' })
  @IsOptional()
  @IsCivilName()
  usageName?: string | null;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsText(DATE_MAX)
  birthDate?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 9 })
  @IsOptional()
  @IsInt()
  birthRank?: number;

  @ApiPropertyOptional({ type: [String], minItems: 1, maxItems: ADDRESS_MAX_LINES })
  @IsOptional()
  @IsAddressLines()
  addressLines?: string[];
}

export class LookupBeneficiaryDto {
  @ApiProperty({ description: 'The NIR to find (in the body: URLs end up in logs)', maxLength: NIR_MAX })
  @IsText(NIR_MAX)
  nir: string;
}

export class ListBeneficiariesQuery {
  @ApiPropertyOptional({ description: 'Cursor: the `next` of the previous page' })
  @IsOptional()
  @IsText(64)
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({
    description: 'Operators only: restrict to the insured currently affiliated to this organisme',
  })
  @IsOptional()
  @Matches(/^\d{9}$/, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;
}

export class AffiliationView {
  @ApiProperty() id: string;
  @ApiProperty() organismeCode: string;
  @ApiProperty({ format: 'date' }) validFrom: string;
  @ApiPropertyOptional({ format: 'date', nullable: true, description: 'Exclusive end; null while open' }) validTo:
    string | null;
  @ApiProperty({ description: 'valid_from <= today < valid_to' }) current: boolean;
}

export class BeneficiaryView {
  @ApiProperty() id: string;
  @ApiProperty({
    nullable: true,
    description: 'null only for a dependant whose NIR is not known yet (operators see them; docs/families.md)',
  })
  nir: string;
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
  @ApiPropertyOptional({ nullable: true, description: 'Cursor of the next page; null on the last one' }) next:
    string | null;
}

export class RecordDeathDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-11-30',
    description:
      'The date of death (YYYY-MM-DD, not in the future, not before birth); null takes back a date recorded in error',
  })
  // Checked by the register's date rule (DATE_INVALID), null included.
  @Allow()
  diedOn: string | null;
}

export class DeathView {
  @ApiProperty({ format: 'uuid' }) beneficiaryId: string;
  @ApiProperty({ type: String, nullable: true, example: '2026-11-30' }) diedOn: string | null;
  @ApiProperty({ description: 'false when the date was already so (nothing written)' }) changed: boolean;
}
