import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';

export class KioskCheckDto {
  @ApiProperty({ example: '100000000042', description: '12-digit card serial read from the chip' })
  @IsString()
  serial: string;

  @ApiProperty({ example: 3, description: 'The data version read from the chip' })
  @IsInt() @Min(0) @Max(2_000_000_000)
  readVersion: number;

  @ApiProperty({ description: 'The chip reports an interrupted write (a previous update was cut off)' })
  @IsBoolean()
  writeInProgress: boolean;
}

export class KioskConfirmDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  exchangeId: string;

  @ApiProperty({ example: '100000000042' })
  @IsString()
  serial: string;

  @ApiPropertyOptional({ example: ['coverage@4', 'ald_periods@5'], description: 'The records written, recordType@version' })
  @IsOptional() @IsArray() @ArrayMaxSize(32) @Matches(/^[a-z_]{1,32}@\d{1,10}$/, { each: true })
  writtenRecords?: string[];

  @ApiPropertyOptional({ description: 'The write was given up (card pulled, chip error)' })
  @IsOptional() @IsBoolean()
  aborted?: boolean;

  @ApiPropertyOptional({ description: 'On an abort: a write command may have reached the chip' })
  @IsOptional() @IsBoolean()
  commandMayHaveReachedCard?: boolean;
}

export class PutCardRecordDto {
  @ApiProperty({ description: 'The whole record (its shape depends on the record type: docs/formats/kiosk-protocol.md)', nullable: true })
  content: unknown;
}

export class StaleUpdatesQueryDto {
  @ApiPropertyOptional({ default: 12, minimum: 1, maximum: 240 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(240)
  months?: number;

  @ApiPropertyOptional({ description: 'Resume after this serial (the previous page\'s `next`)' })
  @IsOptional() @IsString()
  after?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit?: number;
}
