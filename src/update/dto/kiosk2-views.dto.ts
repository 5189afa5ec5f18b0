import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { CardState } from '../../cards/card-state.enum.js';
import { RECORD_TYPES } from '../card-records.js';
import { SignedReceiptView } from './update-views.dto.js';

/** OpenAPI shapes of the kiosk/2 answers (docs/formats/kiosk-protocol-2.md). */

export class Check2NothingToDoView {
  @ApiProperty({ enum: ['kiosk/2'] }) protocol: string;
  @ApiProperty({ enum: ['nothing_to_do'] }) action: 'nothing_to_do';
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({ description: "The card's confirmed data version" }) version: number;
  @ApiProperty({ type: SignedReceiptView, description: 'vitale-update-receipt/3' }) receipt: SignedReceiptView;
}

export class Check2BlockedView {
  @ApiProperty({ enum: ['kiosk/2'] }) protocol: string;
  @ApiProperty({ enum: ['blocked'] }) action: 'blocked';
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({ enum: CardState }) state: CardState;
  @ApiProperty({ type: SignedReceiptView, description: 'vitale-update-receipt/3' }) receipt: SignedReceiptView;
}

export class Check2UpdateAvailableView {
  @ApiProperty({ enum: ['kiosk/2'] }) protocol: string;
  @ApiProperty({ enum: ['update_available'] }) action: 'update_available';
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({
    description:
      'Single use, bound to this card and this kiosk: the card signs it (with the fields of the proof message) and the kiosk sends it back to fetch',
  })
  challenge: string;
  @ApiProperty({ description: 'When the challenge stops being accepted (KIOSK_CHALLENGE_SECONDS after the check)' })
  expiresAt: string;
  @ApiProperty({ format: 'uuid', description: 'The kiosk partner id, as the card signs it in the proof' })
  kioskId: string;
}

export class SealedRecordView {
  @ApiProperty({ enum: RECORD_TYPES }) recordType: string;
  @ApiProperty() version: number;
  @ApiProperty({ description: 'AES-256-GCM nonce, 12 bytes, base64' }) nonce: string;
  @ApiProperty({
    description: 'The record encrypted to the card, then its 16-byte tag, base64: only the card opens it',
  })
  ciphertext: string;
}

export class Fetch2UpdateView {
  @ApiProperty({ enum: ['kiosk/2'] }) protocol: string;
  @ApiProperty({ enum: ['update'] }) action: 'update';
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({ format: 'uuid', description: 'To confirm with (the card signs it in its acknowledgement)' })
  exchangeId: string;
  @ApiProperty() fromVersion: number;
  @ApiProperty() targetVersion: number;
  @ApiProperty({
    description:
      "The server's ephemeral P-256 public key for this exchange (65-byte point, base64), given to the card with each envelope",
  })
  ephemeralKey: string;
  @ApiProperty({ type: [SealedRecordView], description: 'One envelope per record, to relay to the card in this order' })
  records: SealedRecordView[];
}

export const CHECK2_ANSWER_MODELS = [Check2NothingToDoView, Check2BlockedView, Check2UpdateAvailableView];
export const CHECK2_ANSWER_SCHEMA = {
  oneOf: CHECK2_ANSWER_MODELS.map((m) => ({ $ref: getSchemaPath(m) })),
  discriminator: { propertyName: 'action' },
};

export const FETCH_ANSWER_MODELS = [Fetch2UpdateView, Check2NothingToDoView, Check2BlockedView];
export const FETCH_ANSWER_SCHEMA = {
  oneOf: FETCH_ANSWER_MODELS.map((m) => ({ $ref: getSchemaPath(m) })),
  discriminator: { propertyName: 'action' },
};

export class Confirm2AnswerView {
  @ApiProperty({ enum: ['kiosk/2'] }) protocol: string;
  @ApiProperty({ enum: ['updated', 'failed'] }) result: 'updated' | 'failed';
  @ApiProperty() serial: string;
  @ApiProperty({ description: "The card's confirmed data version" }) version: number;
  @ApiProperty({
    type: [String],
    description: 'On a partial confirm or an abort: the records of the exchange not acknowledged written',
  })
  missingRecords: string[];
  @ApiProperty({ type: SignedReceiptView, description: 'vitale-update-receipt/3, cardPresenceProven: true' })
  receipt: SignedReceiptView;
}
