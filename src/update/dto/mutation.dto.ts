import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { IsText } from '../../platform/validation/text.decorators.js';

export class CreateMutationDto {
  @ApiProperty({ description: 'The 9-digit code of the organisme the insured moves to', example: '016910001' })
  @Matches(/^\d{9}$/, { message: 'toOrganismeCode must be 9 digits' })
  toOrganismeCode: string;

  @ApiProperty({
    format: 'date',
    description: 'First day with the new organisme (Paris date): today or later',
    example: '2026-12-01',
  })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'effectiveDate must be a date YYYY-MM-DD' })
  effectiveDate: string;
}

export class MutationCardView {
  @ApiProperty({ format: 'uuid' }) cardId: string;
  @ApiProperty({ nullable: true, description: '12-digit serial, kept by the mutation' }) serial: string | null;
}

export class MutationView {
  @ApiProperty({ format: 'uuid' }) beneficiaryId: string;
  @ApiProperty() fromOrganisme: string;
  @ApiProperty() toOrganisme: string;
  @ApiProperty({ format: 'date' }) effectiveDate: string;
  @ApiProperty({ description: 'True when already in force (effective today or earlier): the cards were moved' })
  applied: boolean;
  @ApiProperty({
    type: [MutationCardView],
    description: 'The cards that keep their serial and move to the new organisme',
  })
  cards: MutationCardView[];
}

export class ApplyDueView {
  @ApiProperty({ description: 'Mutations applied by this call' }) applied: number;
  @ApiProperty({
    description:
      'More were due than one call applies: the rest is applied by the background job, enqueued by this call',
  })
  continuing: boolean;
}

export class MutationStatsView {
  @ApiProperty({ description: 'Applied mutations that kept a card (each one once required a new card)' })
  cardsKept: number;
  @ApiProperty({ description: 'Of which fund changes' }) fundChanges: number;
  @ApiProperty({ description: 'Of which NIR changes' }) nirChanges: number;
  @ApiProperty({ description: 'Of which regime transfers (a whole regime absorbed by another)' })
  regimeTransfers: number;
  @ApiProperty({ description: 'Mutations recorded, not yet in force' }) pending: number;
}

export class NirChangeDto {
  @ApiProperty({
    description: 'The new NIR (definitive number replacing a temporary one, or a correction); spaces allowed',
  })
  @IsText(32)
  newNir: string;
}

export class NirChangeView {
  @ApiProperty({ format: 'uuid' }) beneficiaryId: string;
  @ApiProperty() nirTemporary: boolean;
  @ApiProperty({
    type: [MutationCardView],
    description: 'The cards that keep their serial; their identity record is a pending online update',
  })
  cards: MutationCardView[];
}
