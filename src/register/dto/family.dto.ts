import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsInt, IsObject, IsOptional, IsUUID, ValidateNested } from 'class-validator';
import { IsAddressLines, IsCivilName, IsText } from '../../platform/validation/text.decorators.js';
import { ADDRESS_LINE_MAX, ADDRESS_MAX_LINES, NAME_LIMITS } from '../identity.js';

/*
 * Families: dependants attached to insured parents. As for beneficiaries, the DTOs check shapes; the civil-status
 * rules are beneficiary-input.ts's and the rights are the `coverage` / `ald_periods` chip records' (card-records.ts),
 * applied by FamiliesService with their stable codes.
 */

const NIR_MAX = 32;
const DATE_MAX = 10;
/** Longest lists the chip records accept are checked by their validators; this bounds what is parsed at all. */
const RIGHTS_MAX = 100;

/** The identity of a dependant new to the register (a newborn: the NIR may not be known yet). */
export class NewDependantDto {
  @ApiPropertyOptional({
    description:
      'NIR if known (a temporary 7/8 number is accepted); absent or null for a newborn whose NIR is not known yet, set later with PUT /v1/dependants/{id}/nir',
    maxLength: NIR_MAX,
    nullable: true,
  })
  @IsOptional()
  @IsText(NIR_MAX)
  nir?: string | null;

  @ApiProperty({ maxLength: NAME_LIMITS.firstName, example: 'Léa' })
  @IsCivilName()
  firstName: string;

  @ApiProperty({ maxLength: NAME_LIMITS.birthName, example: 'Durand' })
  @IsCivilName()
  birthName: string;

  @ApiPropertyOptional({ maxLength: NAME_LIMITS.usageName, nullable: true })
  @IsOptional()
  @IsCivilName()
  usageName?: string | null;

  @ApiProperty({ format: 'date', example: '2026-11-30' })
  @IsText(DATE_MAX)
  birthDate: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 9, default: 1, description: 'Rank among same-day births (twins: 1, 2)' })
  @IsOptional()
  @IsInt()
  birthRank?: number;

  @ApiPropertyOptional({
    type: [String],
    maxItems: ADDRESS_MAX_LINES,
    description: `1 to ${ADDRESS_MAX_LINES} lines of at most ${ADDRESS_LINE_MAX} characters; the parent's address when absent`,
  })
  @IsOptional()
  @IsAddressLines()
  addressLines?: string[];
}

export class AttachDependantDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'A dependant the caller already sees (attached to another of its insured); or send `dependant`',
  })
  @IsOptional()
  @IsUUID()
  dependantId?: string;

  @ApiPropertyOptional({
    type: NewDependantDto,
    description:
      'The identity of the dependant. A NIR already in the register attaches that person (same birth date; not an insured in their own right)',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => NewDependantDto)
  dependant?: NewDependantDto;

  @ApiPropertyOptional({
    format: 'date',
    description: 'Start of the attachment; today (or the birth date if later) when absent',
  })
  @IsOptional()
  @IsText(DATE_MAX)
  validFrom?: string;

  @ApiPropertyOptional({ format: 'date', nullable: true, description: 'Exclusive end; open when absent' })
  @IsOptional()
  @IsText(DATE_MAX)
  validTo?: string | null;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'The `coverage` record content' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(RIGHTS_MAX)
  coverage?: unknown[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'The `ald_periods` record content' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(RIGHTS_MAX)
  aldPeriods?: unknown[];
}

export class BirthParentDto {
  @ApiProperty({ description: "The parent's NIR (in the body, never in a URL)", maxLength: NIR_MAX })
  @IsText(NIR_MAX)
  nir: string;
}

export class DeclareBirthDto {
  @ApiProperty({ type: NewDependantDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => NewDependantDto)
  child: NewDependantDto;

  @ApiProperty({
    type: [BirthParentDto],
    minItems: 1,
    maxItems: 2,
    description: "One or two parents, insured today; at least one of the caller's organisme",
  })
  @IsArray()
  @ArrayMaxSize(2)
  @ValidateNested({ each: true })
  @Type(() => BirthParentDto)
  parents: BirthParentDto[];

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object' },
    description: "The child's `coverage` on the caller's insured parents' attachments (the other fund sets its own)",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(RIGHTS_MAX)
  coverage?: unknown[];

  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'As `coverage`, the `ald_periods`' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(RIGHTS_MAX)
  aldPeriods?: unknown[];
}

export class AttachmentRightsDto {
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'The `coverage` record content' })
  @IsArray()
  @ArrayMaxSize(RIGHTS_MAX)
  coverage: unknown[];

  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'The `ald_periods` record content' })
  @IsArray()
  @ArrayMaxSize(RIGHTS_MAX)
  aldPeriods: unknown[];
}

export class EndAttachmentDto {
  @ApiProperty({ format: 'date', description: 'Exclusive end of the attachment: after its start, not in the past' })
  @IsText(DATE_MAX)
  validTo: string;
}

export class DependantNirDto {
  @ApiProperty({ description: "The dependant's NIR, now known (definitive, or temporary 7/8)", maxLength: NIR_MAX })
  @IsText(NIR_MAX)
  nir: string;
}

export class AttachmentView {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'uuid' }) dependantId: string;
  @ApiProperty({ format: 'uuid' }) parentId: string;
  @ApiProperty({ format: 'date' }) validFrom: string;
  @ApiPropertyOptional({ format: 'date', nullable: true, description: 'Exclusive end; null while open' })
  validTo: string | null;
  @ApiProperty({ description: 'valid_from <= today < valid_to' }) current: boolean;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) coverage: unknown[];
  @ApiProperty({ type: 'array', items: { type: 'object' } }) aldPeriods: unknown[];
}

export class DependantIdentityView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiPropertyOptional({ nullable: true, description: 'null while the NIR is not known (a newborn)' })
  nir: string | null;
  @ApiProperty() nirTemporary: boolean;
  @ApiProperty() firstName: string;
  @ApiProperty() birthName: string;
  @ApiPropertyOptional({ nullable: true }) usageName: string | null;
  @ApiProperty({ format: 'date' }) birthDate: string;
  @ApiProperty() birthRank: number;
}

/** One dependant of a parent, with that attachment. */
export class ParentDependantView {
  @ApiProperty({ type: DependantIdentityView }) dependant: DependantIdentityView;
  @ApiProperty({ type: AttachmentView }) attachment: AttachmentView;
}

export class DependantView extends DependantIdentityView {
  @ApiProperty({ type: [String] }) addressLines: string[];
  @ApiProperty() version: number;
  @ApiProperty({
    type: [AttachmentView],
    description: 'Its attachments to the insured the caller manages (operators: all), oldest first',
  })
  attachments: AttachmentView[];
  @ApiProperty({ description: "Current attachments to parents the caller does not manage (another fund's insured)" })
  otherParents: number;
}

export class BirthView {
  @ApiProperty({ type: DependantView }) dependant: DependantView;
}
