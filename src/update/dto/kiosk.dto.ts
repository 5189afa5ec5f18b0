import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';
import { IsText } from '../../platform/validation/text.decorators.js';
import { textFault, textFaultMessage } from '../../platform/validation/text.js';

/** A card serial is 12 digits. */
const SERIAL_MAX = 12;

export class KioskCheckDto {
  @ApiProperty({
    example: '100000000042',
    description: '12-digit card serial read from the chip',
    maxLength: SERIAL_MAX,
  })
  @IsText(SERIAL_MAX)
  serial: string;

  @ApiProperty({ example: 3, description: 'The data version read from the chip' })
  @IsInt()
  @Min(0)
  @Max(2_000_000_000)
  readVersion: number;

  @ApiProperty({ description: 'The chip reports an interrupted write (a previous update was cut off)' })
  @IsBoolean()
  writeInProgress: boolean;
}

/** A check as the service reads it (validated by `parseKioskCheck`). */
export interface KioskCheck {
  serial: string;
  readVersion: number;
  writeInProgress: boolean;
}

const CHECK_FIELDS = ['serial', 'readVersion', 'writeInProgress'];

/**
 * Validates a check body by hand, with the same rules, messages and VALIDATION_FAILED problem as the global
 * ValidationPipe applies to `KioskCheckDto` (which stays the documented schema). The check is the hot path of the
 * kiosk fleet: class-transformer and class-validator cost more than the rest of the request (`kiosk` benchmark).
 */
export function parseKioskCheck(body: unknown): KioskCheck {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw PlatformErrors.VALIDATION_FAILED([{ field: '', messages: ['the body must be a JSON object'] }]);
  }
  const b = body as Record<string, unknown>;
  const errors: { field: string; messages: string[] }[] = [];
  // Unknown properties are counted, never named: their names are the caller's input.
  const unknown = Object.keys(b).filter((k) => !CHECK_FIELDS.includes(k)).length;
  if (unknown > 0)
    errors.push({
      field: '',
      messages: [
        `${unknown} unknown propert${unknown === 1 ? 'y' : 'ies'}: the body takes only ${CHECK_FIELDS.join(', ')}`,
      ],
    });
  const required = (field: string) => errors.push({ field, messages: [`${field} is required`] });
  const serialFault = textFault(b.serial, SERIAL_MAX);
  if (b.serial == null) required('serial');
  else if (serialFault)
    errors.push({ field: 'serial', messages: [textFaultMessage('serial', serialFault, SERIAL_MAX)] });
  const v = b.readVersion;
  if (v == null) required('readVersion');
  else if (typeof v !== 'number' || !Number.isInteger(v))
    errors.push({ field: 'readVersion', messages: ['readVersion must be an integer number'] });
  else if (v < 0) errors.push({ field: 'readVersion', messages: ['readVersion must not be less than 0'] });
  else if (v > 2_000_000_000)
    errors.push({ field: 'readVersion', messages: ['readVersion must not be greater than 2000000000'] });
  if (b.writeInProgress == null) required('writeInProgress');
  else if (typeof b.writeInProgress !== 'boolean')
    errors.push({ field: 'writeInProgress', messages: ['writeInProgress must be a boolean value'] });
  if (errors.length > 0) throw PlatformErrors.VALIDATION_FAILED(errors);
  return { serial: b.serial as string, readVersion: v as number, writeInProgress: b.writeInProgress as boolean };
}

export class KioskConfirmDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  exchangeId: string;

  @ApiProperty({ example: '100000000042', maxLength: SERIAL_MAX })
  @IsText(SERIAL_MAX)
  serial: string;

  @ApiPropertyOptional({
    example: ['coverage@4', 'ald_periods@5'],
    description: 'The records written, recordType@version',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @Matches(/^[a-z_]{1,32}@\d{1,10}$/, { each: true })
  writtenRecords?: string[];

  @ApiPropertyOptional({ description: 'The write was given up (card pulled, chip error)' })
  @IsOptional()
  @IsBoolean()
  aborted?: boolean;

  @ApiPropertyOptional({ description: 'On an abort: a write command may have reached the chip' })
  @IsOptional()
  @IsBoolean()
  commandMayHaveReachedCard?: boolean;
}

export class PutCardRecordDto {
  @ApiProperty({
    description: 'The whole record (its shape depends on the record type: docs/formats/kiosk-protocol.md)',
    nullable: true,
  })
  content: unknown;
}

export class StaleUpdatesQueryDto {
  @ApiPropertyOptional({ default: 12, minimum: 1, maximum: 240 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(240)
  months?: number;

  @ApiPropertyOptional({ description: "Resume after this serial (the previous page's `next`)", maxLength: SERIAL_MAX })
  @IsOptional()
  @IsText(SERIAL_MAX)
  after?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
