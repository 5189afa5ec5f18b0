import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { BulkImportStatus } from '../bulk-import.entity.js';

export class ImportRejectsQuery {
  @ApiPropertyOptional({ description: 'Cursor: the last line number already read' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 5000, default: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit?: number;
}

export class ImportAcceptedView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: BulkImportStatus }) status: BulkImportStatus;
  @ApiProperty({ enum: ['csv', 'ndjson'] }) format: string;
  @ApiProperty({
    example: 'beneficiaries-import/1',
    description: 'The file format version (docs/formats/beneficiaries-import.md)',
  })
  version: string;
  @ApiProperty({ description: 'Data lines found in the file' }) totalRows: number;
  @ApiProperty({ example: '/v1/beneficiaries/imports/0f8fad5b-d9cb-469f-a165-70867728950e' }) location: string;
}

export class ImportView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: BulkImportStatus }) status: BulkImportStatus;
  @ApiProperty({ enum: ['csv', 'ndjson'] }) format: string;
  @ApiProperty() totalRows: number;
  @ApiProperty() createdRows: number;
  @ApiProperty() updatedRows: number;
  @ApiProperty({ description: 'Rows of NIRs already affiliated here whose data was already identical' })
  unchangedRows: number;
  @ApiProperty() rejectedRows: number;
  @ApiPropertyOptional({ nullable: true }) failure: string | null;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ nullable: true }) finishedAt: Date | null;
}

export class ImportRejectView {
  @ApiProperty({ description: 'Physical line in the file (CSV header = line 1)' }) line: number;
  @ApiProperty({ example: 'NIR_KEY_MISMATCH' }) code: string;
  @ApiPropertyOptional({ nullable: true, example: 'nir' }) field: string | null;
  @ApiProperty() message: string;
}

export class ImportRejectPage {
  @ApiProperty({ type: [ImportRejectView] }) items: ImportRejectView[];
  @ApiPropertyOptional({ nullable: true, description: 'The `after` for the next page; null on the last one' }) next:
    number | null;
}
