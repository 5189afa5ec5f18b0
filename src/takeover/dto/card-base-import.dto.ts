import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CardBaseImportStatus } from '../card-base-import.entity.js';

export class CardImportView {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'card-base/1', description: 'docs/formats/card-base-import.md' }) format: string;
  @ApiProperty({
    enum: CardBaseImportStatus,
    description:
      'receiving: lines still to come (or the last sending stopped); received: the whole file landed, being moved into the card base (job card-base.materialise); done: every line a card or a reject',
  })
  status: CardBaseImportStatus;
  @ApiProperty({ description: 'The resumable cursor: the last line committed (1, the header, before any)' })
  lastLine: number;
  @ApiProperty({
    description: 'Good lines landed by the sendings (each becomes a card, an unchanged line or a reject)',
  })
  landedRows: number;
  @ApiProperty({ description: 'Cards made from the landed lines so far' }) importedRows: number;
  @ApiProperty({ description: 'Lines whose card was already imported (the same file, or the same card)' })
  unchangedRows: number;
  @ApiProperty() rejectedRows: number;
  @ApiProperty({ description: 'How many times the file was sent' }) sendings: number;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Why the last sending stopped before the end (SENDING_CUT, CARD_IMPORT_TRUNCATED, SENDING_LOST, ...)',
  })
  interruption: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiPropertyOptional({ nullable: true, type: String }) finishedAt: string | null;
  @ApiProperty({ description: 'Where the rejected lines are listed' }) rejects: string;
}

export class CardImportSendingView extends CardImportView {
  @ApiProperty({ description: 'Chunks an earlier sending of the same file had committed: skipped' })
  chunksSkipped: number;
  @ApiProperty() chunksCommitted: number;
}

export class CardImportReject {
  @ApiProperty() line: number;
  @ApiProperty({ example: 'NIR_INVALID' }) code: string;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'holder_nir' }) field: string | null;
}

export class CardImportRejectPage {
  @ApiProperty({ type: [CardImportReject] }) items: CardImportReject[];
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'Cursor for the next page (after=)' })
  next: number | null;
}
