import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PlatformErrors } from '../../platform/errors/platform.errors.js';
import { textFault, textFaultMessage } from '../../platform/validation/text.js';

/**
 * The bodies of kiosk/2 fetch and confirm (docs/formats/kiosk-protocol-2.md). The classes are the documented
 * schemas; the bodies are read by hand (`parseKioskFetch`, `parseKiosk2Confirm`) with the rules and the
 * VALIDATION_FAILED problem the global ValidationPipe would give, as kiosk/1's check is: these are the kiosk fleet's
 * paths, where class-transformer and class-validator cost more than the rest of the request.
 */

const SERIAL_MAX = 12;
/** A challenge is 75 characters of base64url; a signature 88 of base64. Room to spare, no more. */
const TOKEN_MAX = 128;
const RECORD_REF = /^[a-z_]{1,32}@\d{1,10}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

export class KioskFetchDto {
  @ApiProperty({ example: '100000000042', maxLength: SERIAL_MAX, description: 'The card serial, as in the check' })
  serial: string;

  @ApiProperty({ maxLength: TOKEN_MAX, description: 'The challenge the check answered (base64url), unchanged' })
  challenge: string;

  @ApiProperty({
    example: 3,
    minimum: 0,
    maximum: 2_000_000_000,
    description: 'The data version read from the chip (as the card signed it)',
  })
  readVersion: number;

  @ApiProperty({ description: "The chip's interrupted-write flag (as the card signed it)" })
  writeInProgress: boolean;

  @ApiProperty({
    maxLength: TOKEN_MAX,
    description: "The card's ECDSA P-256 signature (P1363, 64 bytes, base64) of the proof message",
  })
  proof: string;
}

export class Kiosk2ConfirmDto {
  @ApiProperty({ format: 'uuid' }) exchangeId: string;

  @ApiProperty({ example: '100000000042', maxLength: SERIAL_MAX }) serial: string;

  @ApiPropertyOptional({
    example: ['coverage@4', 'ald_periods@5'],
    description: 'The records the card wrote, recordType@version (with cardAck)',
  })
  writtenRecords?: string[];

  @ApiPropertyOptional({
    maxLength: TOKEN_MAX,
    description: "The card's signature (base64) of the acknowledgement message over writtenRecords",
  })
  cardAck?: string;

  @ApiPropertyOptional({ description: 'The write was given up (card pulled, chip error); no cardAck' })
  aborted?: boolean;

  @ApiPropertyOptional({ description: 'On an abort: a write command may have reached the chip' })
  commandMayHaveReachedCard?: boolean;
}

export interface KioskFetch {
  serial: string;
  challenge: string;
  readVersion: number;
  writeInProgress: boolean;
  proof: string;
}
export interface Kiosk2Confirm {
  exchangeId: string;
  serial: string;
  writtenRecords?: string[];
  cardAck?: string;
  aborted?: boolean;
  commandMayHaveReachedCard?: boolean;
}

type Errors = { field: string; messages: string[] }[];

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw PlatformErrors.VALIDATION_FAILED([{ field: '', messages: ['the body must be a JSON object'] }]);
  }
  return body as Record<string, unknown>;
}

/** Unknown properties are counted, never named: their names are the caller's input. */
function unknownFields(b: Record<string, unknown>, fields: string[], errors: Errors): void {
  const n = Object.keys(b).filter((k) => !fields.includes(k)).length;
  if (n > 0)
    errors.push({
      field: '',
      messages: [`${n} unknown propert${n === 1 ? 'y' : 'ies'}: the body takes only ${fields.join(', ')}`],
    });
}

function text(
  b: Record<string, unknown>,
  field: string,
  max: number,
  errors: Errors,
  required = true,
  shape?: RegExp,
  shapeMessage?: string,
): void {
  const v = b[field];
  if (v == null) {
    if (required) errors.push({ field, messages: [`${field} is required`] });
    return;
  }
  const fault = textFault(v, max);
  if (fault) errors.push({ field, messages: [textFaultMessage(field, fault, max)] });
  else if (shape && !shape.test(v as string))
    errors.push({ field, messages: [shapeMessage ?? `${field} is malformed`] });
}

function bool(b: Record<string, unknown>, field: string, errors: Errors, required = true): void {
  const v = b[field];
  if (v == null) {
    if (required) errors.push({ field, messages: [`${field} is required`] });
    return;
  }
  if (typeof v !== 'boolean') errors.push({ field, messages: [`${field} must be a boolean value`] });
}

function version(b: Record<string, unknown>, field: string, errors: Errors): void {
  const v = b[field];
  if (v == null) errors.push({ field, messages: [`${field} is required`] });
  else if (typeof v !== 'number' || !Number.isInteger(v))
    errors.push({ field, messages: [`${field} must be an integer number`] });
  else if (v < 0) errors.push({ field, messages: [`${field} must not be less than 0`] });
  else if (v > 2_000_000_000) errors.push({ field, messages: [`${field} must not be greater than 2000000000`] });
}

const fail = (errors: Errors) => PlatformErrors.VALIDATION_FAILED(errors);

const FETCH_FIELDS = ['serial', 'challenge', 'readVersion', 'writeInProgress', 'proof'];

export function parseKioskFetch(body: unknown): KioskFetch {
  const b = objectBody(body);
  const errors: Errors = [];
  unknownFields(b, FETCH_FIELDS, errors);
  text(b, 'serial', SERIAL_MAX, errors);
  text(
    b,
    'challenge',
    TOKEN_MAX,
    errors,
    true,
    BASE64,
    'challenge must be the challenge the check answered, unchanged',
  );
  version(b, 'readVersion', errors);
  bool(b, 'writeInProgress', errors);
  text(b, 'proof', TOKEN_MAX, errors, true, BASE64, "proof must be base64 (the card's 64-byte signature)");
  if (errors.length > 0) throw fail(errors);
  return {
    serial: b.serial as string,
    challenge: b.challenge as string,
    readVersion: b.readVersion as number,
    writeInProgress: b.writeInProgress as boolean,
    proof: b.proof as string,
  };
}

const CONFIRM_FIELDS = ['exchangeId', 'serial', 'writtenRecords', 'cardAck', 'aborted', 'commandMayHaveReachedCard'];

export function parseKiosk2Confirm(body: unknown): Kiosk2Confirm {
  const b = objectBody(body);
  const errors: Errors = [];
  unknownFields(b, CONFIRM_FIELDS, errors);
  text(b, 'exchangeId', 36, errors, true, UUID, 'exchangeId must be a UUID');
  text(b, 'serial', SERIAL_MAX, errors);
  const w = b.writtenRecords;
  if (w != null) {
    if (!Array.isArray(w)) errors.push({ field: 'writtenRecords', messages: ['writtenRecords must be an array'] });
    else if (w.length > 32)
      errors.push({ field: 'writtenRecords', messages: ['writtenRecords must contain no more than 32 elements'] });
    else if (w.some((r) => typeof r !== 'string' || !RECORD_REF.test(r)))
      errors.push({ field: 'writtenRecords', messages: ['each value in writtenRecords must be recordType@version'] });
  }
  text(b, 'cardAck', TOKEN_MAX, errors, false, BASE64, "cardAck must be base64 (the card's 64-byte signature)");
  bool(b, 'aborted', errors, false);
  bool(b, 'commandMayHaveReachedCard', errors, false);
  if (errors.length > 0) throw fail(errors);
  return {
    exchangeId: (b.exchangeId as string).toLowerCase(),
    serial: b.serial as string,
    writtenRecords: w as string[] | undefined,
    cardAck: b.cardAck as string | undefined,
    aborted: b.aborted as boolean | undefined,
    commandMayHaveReachedCard: b.commandMayHaveReachedCard as boolean | undefined,
  };
}
