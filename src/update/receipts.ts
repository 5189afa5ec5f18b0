import { randomUUID } from 'node:crypto';
import type { DetachedSignature, SigningService } from '../platform/crypto/signing.service.js';

export const RECEIPT_FORMAT = 'vitale-update-receipt/1';
export type ReceiptResult = 'updated' | 'nothing_to_do' | 'blocked' | 'failed';

export interface ReceiptContent {
  format: typeof RECEIPT_FORMAT;
  exchangeId: string;
  serial: string;
  result: ReceiptResult;
  /** The card's confirmed data version after the exchange. */
  version: number;
  kioskPartnerId: string;
  issuedAt: string;
}

/**
 * A receipt the pharmacy keeps as proof: `payload` is the base64 of the exact UTF-8 JSON bytes that were signed
 * (Ed25519, detached, `keyId` names the key published at GET /v1/signing-keys); `content` is that JSON, decoded.
 */
export interface SignedReceipt extends DetachedSignature {
  content: ReceiptContent;
  payload: string;
}

export function signReceipt(signing: SigningService, fields: Omit<ReceiptContent, 'format' | 'issuedAt' | 'exchangeId'> & { exchangeId?: string }): SignedReceipt {
  // Fixed key order: the signed bytes are exactly what `payload` carries, whatever the reader's JSON library does.
  const content: ReceiptContent = {
    format: RECEIPT_FORMAT,
    exchangeId: fields.exchangeId ?? randomUUID(),
    serial: fields.serial,
    result: fields.result,
    version: fields.version,
    kioskPartnerId: fields.kioskPartnerId,
    issuedAt: new Date().toISOString(),
  };
  const bytes = Buffer.from(JSON.stringify(content), 'utf8');
  return { content, payload: bytes.toString('base64'), ...signing.sign(bytes) };
}
