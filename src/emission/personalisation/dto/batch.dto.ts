import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { BatchStatus } from '../personalisation-batch.entity.js';

export class ListBatchesQuery {
  @ApiPropertyOptional({
    description: 'Cursor: batches with a smaller number than this (the `next` of the previous page)',
  })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'before must be a batch number' })
  before?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class BatchView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '42' }) batchNumber: string;
  @ApiProperty({ format: 'uuid' }) vendorPartnerId: string;
  @ApiProperty() vendorLogin: string;
  @ApiProperty({ enum: BatchStatus }) status: BatchStatus;
  @ApiProperty() cardCount: number;
  @ApiPropertyOptional({
    nullable: true,
    example: 'PERSO_00000042.txt.age',
    description: 'The published file (perso/2: encrypted to the vendor, `.age`)',
  })
  fileName: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'SHA-256 (hex) of the whole published file' }) sha256:
    string | null;
  @ApiPropertyOptional({
    nullable: true,
    enum: [1, 2],
    description: 'Format the file was written in: 2 (encrypted), 1 (clear, before perso/2); null until written',
  })
  persoVersion: number | null;
  @ApiPropertyOptional({ nullable: true, description: "The vendor's age recipient now; null: the file waits for one" })
  vendorAgeRecipient: string | null;
  @ApiProperty() createdAt: Date;
  @ApiPropertyOptional({ nullable: true }) writtenAt: Date | null;
}

export class BatchPageView {
  @ApiProperty({ type: [BatchView] }) items: BatchView[];
  @ApiPropertyOptional({ nullable: true }) next: string | null;
}

export class RunQueuedView {
  @ApiPropertyOptional({ nullable: true, description: 'The queued job' }) jobId: string | null;
}
