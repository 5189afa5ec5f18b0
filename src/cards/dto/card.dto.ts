import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { CardAction } from '../card-action.enum.js';
import { CardOrigin, CardState, OppositionReason } from '../card-state.enum.js';

export class ListCardsQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  beneficiaryId?: string;

  @ApiPropertyOptional({ enum: CardState })
  @IsOptional()
  @IsEnum(CardState)
  state?: CardState;

  @ApiPropertyOptional({
    description: 'Managing organisme (9 digits); a fund only ever sees its own',
    example: '017510001',
  })
  @IsOptional()
  @Matches(/^\d{9}$/, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;

  @ApiPropertyOptional({
    description: 'Cursor: the id of the last card already read (the `next` of the previous page)',
    format: 'uuid',
  })
  @IsOptional()
  @IsUUID()
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class CardHistoryQueryDto {
  @ApiPropertyOptional({ description: 'Cursor: the id of the last entry already read' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'after must be an entry id' })
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class CardTransitionDto {
  @ApiProperty({ enum: CardAction, description: 'A named action of the transition table (docs/card-states.md)' })
  @IsEnum(CardAction)
  action: CardAction;

  @ApiPropertyOptional({ enum: OppositionReason, description: 'Required for `oppose`, refused for any other action' })
  @IsOptional()
  @IsEnum(OppositionReason)
  reason?: OppositionReason;
}

export class CardView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiPropertyOptional({
    example: '100000000042',
    nullable: true,
    description: '12 digits, zero-padded; null until the card joins a personalisation batch',
  })
  serial: string | null;
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    description: 'The holder; null only for an imported card whose holder the register does not know',
  })
  beneficiaryId: string | null;
  @ApiProperty({ example: '017510001' }) organismeCode: string;
  @ApiProperty({ description: 'Version of the data written on the chip' }) dataVersion: number;
  @ApiProperty({ enum: CardOrigin, description: "This system's chain, or the card base taken over" })
  origin: CardOrigin;
  @ApiProperty({ enum: [1, 2], description: '1: without photo (first generation); 2: with photo' }) generation: number;
  @ApiProperty({ enum: CardState }) state: CardState;
  @ApiPropertyOptional({ enum: OppositionReason, nullable: true }) oppositionReason: OppositionReason | null;
  @ApiProperty() stateChangedAt: Date;
  @ApiProperty() createdAt: Date;
}

export class CardPageView {
  @ApiProperty({ type: [CardView] }) items: CardView[];
  @ApiPropertyOptional({ nullable: true, description: 'Pass as `after` for the next page; null on the last page' })
  next: string | null;
}

export class CardHistoryEntryView {
  @ApiProperty({ description: 'Audit entry id' }) id: string;
  @ApiProperty() at: Date;
  @ApiProperty({ example: 'card.activate' }) action: string;
  @ApiPropertyOptional({ enum: CardState, nullable: true }) from: CardState | null;
  @ApiProperty({ enum: CardState }) to: CardState;
  @ApiPropertyOptional({ enum: OppositionReason, nullable: true }) reason: OppositionReason | null;
  @ApiProperty({ description: 'Partner kind, `system` or `cli`' }) actorKind: string;
}

export class CardHistoryView {
  @ApiProperty() serial: string;
  @ApiProperty({ type: [CardHistoryEntryView] }) items: CardHistoryEntryView[];
  @ApiPropertyOptional({ nullable: true }) next: string | null;
}

export class CardStatusView {
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({ enum: CardState }) state: CardState;
  @ApiProperty({
    description: 'True when the card must be refused (opposed, destroyed, cancelled, returned, not yet shipped)',
  })
  blocked: boolean;
}

export class ListKeylessCardsQueryDto {
  @ApiPropertyOptional({
    description: 'Managing organisme (9 digits); a fund only ever sees its own',
    example: '017510001',
  })
  @IsOptional()
  @Matches(/^\d{9}$/, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;

  @ApiPropertyOptional({
    description: 'Cursor: the serial of the last card already read (the `next` of the previous page)',
    example: '100000000042',
  })
  @IsOptional()
  @Matches(/^\d{12}$/, { message: 'after must be a 12-digit serial' })
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class CountKeylessCardsQueryDto {
  @ApiPropertyOptional({
    description: 'Managing organisme (9 digits); a fund only ever counts its own',
    example: '017510001',
  })
  @IsOptional()
  @Matches(/^\d{9}$/, { message: 'organismeCode must be 9 digits' })
  organismeCode?: string;
}

export class KeylessCardView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({ format: 'uuid' }) beneficiaryId: string;
  @ApiProperty({ example: '017510001' }) organismeCode: string;
  @ApiProperty({ enum: [CardState.Shipped, CardState.Active] }) state: CardState;
  @ApiPropertyOptional({ nullable: true, description: 'When the vendor mailed it (null for imported cards)' })
  shippedAt: Date | null;
}

export class KeylessCardPageView {
  @ApiProperty({ type: [KeylessCardView] }) items: KeylessCardView[];
  @ApiPropertyOptional({ nullable: true, description: 'Pass as `after` for the next page; null on the last page' })
  next: string | null;
}

export class KeylessCardCountView {
  @ApiProperty({
    description:
      'Usable cards (shipped or active) of the scope whose chip has no key: they use kiosk protocol 1 until its cut-off date',
  })
  count: number;
  @ApiPropertyOptional({
    nullable: true,
    example: '017510001',
    description: 'The organisme counted (a fund: always its own); null = every organisme',
  })
  organismeCode: string | null;
}
