import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { CardState } from '../../cards/card-state.enum.js';
import { RECORD_TYPES } from '../card-records.js';

/** OpenAPI shapes of the online-update answers (the services return plain objects of these shapes). */

export class CardRecordView {
  @ApiProperty({ enum: RECORD_TYPES }) recordType: string;
  @ApiProperty({ description: 'The card data version that last changed this record' }) version: number;
  @ApiProperty() updatedAt: Date;
  @ApiProperty({
    description: 'The whole record, as written on the chip (fields per record type: docs/formats/kiosk-protocol.md)',
    type: 'object',
    additionalProperties: true,
  })
  content: unknown;
}

export class PutRecordResultView {
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({ enum: RECORD_TYPES }) recordType: string;
  @ApiProperty({ description: 'False when the content was the same (nothing to write on the chip)' }) changed: boolean;
  @ApiProperty({ description: "The record's version" }) version: number;
  @ApiProperty({ description: "The card's target version (what kiosks will bring the chip to)" }) targetVersion: number;
}

class RecordVersionView {
  @ApiProperty({ enum: RECORD_TYPES }) recordType: string;
  @ApiProperty() version: number;
  @ApiProperty() updatedAt: Date;
}

export class CardUpdatesView {
  @ApiProperty({
    nullable: true,
    type: String,
    example: '100000000042',
    description: 'Null for a card ordered and not yet personalised',
  })
  serial: string | null;
  @ApiProperty({ enum: CardState }) state: CardState;
  @ApiProperty({ description: 'The version the system knows is on the chip' }) confirmedVersion: number;
  @ApiProperty() targetVersion: number;
  @ApiProperty({ type: [String], description: 'Record types changed after the confirmed version, in write order' })
  pendingRecordTypes: string[];
  @ApiProperty({
    nullable: true,
    type: Date,
    description: 'When a kiosk last confirmed writing the chip (null: never)',
  })
  lastUpdatedAt: Date | null;
  @ApiProperty({ type: [RecordVersionView] }) records: RecordVersionView[];
}

export class BeneficiaryUpdatesView {
  @ApiProperty({ format: 'uuid' }) beneficiaryId: string;
  @ApiProperty({ type: [CardUpdatesView], description: 'Newest card first' }) cards: CardUpdatesView[];
}

export class StaleCardView {
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty() confirmedVersion: number;
  @ApiProperty() targetVersion: number;
  @ApiProperty({ nullable: true, type: Date }) lastUpdatedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) personalisedAt: Date | null;
}

export class StalePageView {
  @ApiProperty({ type: [StaleCardView] }) items: StaleCardView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `after` for the next page; null on the last' })
  next: string | null;
}

class ReceiptTreeView {
  @ApiProperty({ description: 'Receipts under the one signature' }) size: number;
  @ApiProperty({ description: "This receipt's leaf" }) index: number;
  @ApiProperty({ type: [String], description: 'Inclusion proof, base64 hashes from the leaf up' }) path: string[];
}

class ReceiptContentView {
  @ApiProperty({ enum: ['vitale-update-receipt/2', 'vitale-update-receipt/3'] }) format: string;
  @ApiProperty({ format: 'uuid' }) exchangeId: string;
  @ApiProperty({ example: '100000000042' }) serial: string;
  @ApiProperty({ enum: ['updated', 'nothing_to_do', 'blocked', 'failed'] }) result: string;
  @ApiProperty({ description: "The card's confirmed data version after the exchange" }) version: number;
  @ApiProperty({ format: 'uuid' }) kioskPartnerId: string;
  @ApiPropertyOptional({
    description:
      "vitale-update-receipt/3 (kiosk/2) only: the exchange was opened by the card's signed proof of presence (docs/formats/kiosk-protocol-2.md)",
  })
  cardPresenceProven?: boolean;
  @ApiProperty() issuedAt: string;
}

/** The pharmacy's proof of an exchange (verification: docs/formats/kiosk-protocol.md). */
export class SignedReceiptView {
  @ApiProperty({ type: ReceiptContentView, description: 'The receipt, decoded from `payload`' })
  content: ReceiptContentView;
  @ApiProperty({ description: 'base64 of the exact UTF-8 JSON bytes of the receipt' }) payload: string;
  @ApiProperty({ description: 'The signing key (GET /v1/signing-keys)' }) keyId: string;
  @ApiProperty({ enum: ['Ed25519'] }) algorithm: string;
  @ApiProperty({ description: 'base64 Ed25519 signature of the tree head' }) signature: string;
  @ApiProperty({ type: ReceiptTreeView }) tree: ReceiptTreeView;
}

class RecordToWriteView {
  @ApiProperty({ enum: RECORD_TYPES }) recordType: string;
  @ApiProperty() version: number;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The whole record to write' })
  content: unknown;
}

export class CheckNothingToDoView {
  @ApiProperty({ example: 'kiosk/1' }) protocol: string;
  @ApiProperty({ enum: ['nothing_to_do'] }) action: 'nothing_to_do';
  @ApiProperty() serial: string;
  @ApiProperty() version: number;
  @ApiProperty({ type: SignedReceiptView }) receipt: SignedReceiptView;
}

export class CheckBlockedView {
  @ApiProperty({ example: 'kiosk/1' }) protocol: string;
  @ApiProperty({ enum: ['blocked'] }) action: 'blocked';
  @ApiProperty() serial: string;
  @ApiProperty({ enum: CardState }) state: CardState;
  @ApiProperty({ type: SignedReceiptView }) receipt: SignedReceiptView;
}

export class CheckUpdateView {
  @ApiProperty({ example: 'kiosk/1' }) protocol: string;
  @ApiProperty({ enum: ['update'] }) action: 'update';
  @ApiProperty() serial: string;
  @ApiProperty({ format: 'uuid', description: 'To confirm with' }) exchangeId: string;
  @ApiProperty() fromVersion: number;
  @ApiProperty() targetVersion: number;
  @ApiProperty({ type: [RecordToWriteView], description: 'Write them in this order' }) records: RecordToWriteView[];
}

export const CHECK_ANSWER_MODELS = [CheckNothingToDoView, CheckBlockedView, CheckUpdateView];

/** The schema of a check answer: one of the three, told apart by `action`. */
export const CHECK_ANSWER_SCHEMA = {
  oneOf: CHECK_ANSWER_MODELS.map((m) => ({ $ref: getSchemaPath(m) })),
  discriminator: { propertyName: 'action' },
};

export class ConfirmAnswerView {
  @ApiProperty({ example: 'kiosk/1' }) protocol: string;
  @ApiProperty({ enum: ['updated', 'failed'] }) result: 'updated' | 'failed';
  @ApiProperty() serial: string;
  @ApiProperty({ description: "The card's confirmed data version" }) version: number;
  @ApiPropertyOptional({
    type: [String],
    description: 'On a partial confirm: the records of the exchange not reported written',
  })
  missingRecords: string[];
  @ApiProperty({ type: SignedReceiptView }) receipt: SignedReceiptView;
}
