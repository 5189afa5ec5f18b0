import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Min } from 'class-validator';
import { IsText } from '../../platform/validation/text.decorators.js';
import { CardState, OppositionReason } from '../../cards/card-state.enum.js';

/** The reasons a fund (or an operator) declares; replaced, destroyed and undeliverable are the system's own. */
export const DECLARABLE_REASONS = [
  OppositionReason.Lost,
  OppositionReason.Stolen,
  OppositionReason.Fraud,
  OppositionReason.InvalidatedByRegime,
  OppositionReason.HolderDeceased,
] as const;

export class DeclareOppositionDto {
  @ApiProperty({ enum: DECLARABLE_REASONS })
  @IsIn(DECLARABLE_REASONS as readonly string[])
  reason: OppositionReason;
}

export class OppositionView {
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({ format: 'uuid' }) cardId: string;
  @ApiProperty({ enum: CardState }) state: CardState;
  @ApiProperty({ enum: OppositionReason }) reason: OppositionReason;
  @ApiProperty() opposedAt: Date;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Until when a declaration made in error may be withdrawn (null: it cannot be)',
  })
  withdrawableUntil: Date | null;
}

export const LIST_KINDS = ['full', 'incremental'] as const;
export const LIST_FORMATS = ['text', 'compact'] as const;

export class ProduceListDto {
  @ApiProperty({ enum: LIST_KINDS })
  @IsIn(LIST_KINDS as readonly string[])
  kind: 'full' | 'incremental';
}

export class ListFileQueryDto {
  @ApiPropertyOptional({ enum: LIST_FORMATS, default: 'text' })
  @IsOptional()
  @IsIn(LIST_FORMATS as readonly string[])
  format?: 'text' | 'compact';
}

export class LatestListQueryDto extends ListFileQueryDto {
  @ApiPropertyOptional({ enum: LIST_KINDS, default: 'full' })
  @IsOptional()
  @IsIn(LIST_KINDS as readonly string[])
  kind?: 'full' | 'incremental';
}

export class ListsSinceQueryDto {
  @ApiPropertyOptional({ description: 'Only the lists numbered after this one', default: 0, minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  since?: number;
}

export class ListFileView {
  @ApiProperty() file: string;
  @ApiProperty() bytes: number;
  @ApiProperty({ description: 'SHA-256 of the file (hex); also its ETag' }) sha256: string;
  @ApiProperty({ description: 'base64 Ed25519 signature of the signed statement (docs/formats/opposition-list.md)' })
  signature: string;
}

export class OppositionListView {
  @ApiProperty() number: number;
  @ApiProperty({ enum: LIST_KINDS }) kind: 'full' | 'incremental';
  @ApiProperty() period: string;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Incremental: the full list it applies to (null: the empty list)',
  })
  baseNumber: number | null;
  @ApiProperty() producedAt: Date;
  @ApiProperty() entryCount: number;
  @ApiProperty() additions: number;
  @ApiProperty() removals: number;
  @ApiProperty() keyId: string;
  @ApiProperty({ type: ListFileView }) text: ListFileView;
  @ApiProperty({ type: ListFileView }) compact: ListFileView;
}

export class AddConcentratorKeyDto {
  @ApiProperty({
    example: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... concentrator@host',
    description: 'One OpenSSH public key line',
  })
  // The key parser is this field's rule (one line, the trailing line break of a .pub file trimmed).
  @IsText(16_384, { allowLineBreaks: true })
  publicKey: string;
}
