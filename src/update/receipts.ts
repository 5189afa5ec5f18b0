import { randomUUID, verify, type KeyObject } from 'node:crypto';
import { leafHash, rootFromProof } from '../platform/crypto/merkle.js';
import { type SigningService, treeHeadMessage, type TreeSignature } from '../platform/crypto/signing.service.js';

/**
 * `/2` (kiosk/1): the signature covers a Merkle tree head of a batch of receipts, and each receipt carries its
 * inclusion proof (`/1`, one signature per receipt, was never released).
 * `/3` (kiosk/2): the same, plus `cardPresenceProven`: whether the card itself proved it was in the reader.
 */
export const RECEIPT_FORMAT = 'vitale-update-receipt/2';
export const RECEIPT_FORMAT_3 = 'vitale-update-receipt/3';
export type ReceiptResult = 'updated' | 'nothing_to_do' | 'blocked' | 'failed';

export interface ReceiptContent {
  format: typeof RECEIPT_FORMAT | typeof RECEIPT_FORMAT_3;
  exchangeId: string;
  serial: string;
  result: ReceiptResult;
  /** The card's confirmed data version after the exchange. */
  version: number;
  kioskPartnerId: string;
  /**
   * `/3` only: true when the exchange was opened by the card's signed proof of presence (kiosk/2 fetch); an
   * `updated` result then also means the card signed the acknowledgement of every record written. False for the
   * answers of a check, which asks the card for nothing.
   */
  cardPresenceProven?: boolean;
  issuedAt: string;
}

/**
 * A receipt the pharmacy keeps as proof: `payload` is the base64 of the exact UTF-8 JSON bytes of the receipt;
 * `content` is that JSON, decoded. `signature` (Ed25519, `keyId` names the key published at GET /v1/signing-keys)
 * signs the head of a Merkle tree over the receipts issued at the same moment; `tree` proves this one is in it.
 * `verifyReceipt` is the reference check (docs/formats/kiosk-protocol.md).
 */
export type SignedReceipt = TreeSignature & {
  content: ReceiptContent;
  payload: string;
};

/** A receipt of kiosk/1 (`/2`), or of kiosk/2 (`/3`) when `cardPresenceProven` is given. */
export async function signReceipt(
  signing: SigningService,
  fields: Omit<ReceiptContent, 'format' | 'issuedAt' | 'exchangeId'> & { exchangeId?: string },
): Promise<SignedReceipt> {
  // Fixed key order: the signed bytes are exactly what `payload` carries, whatever the reader's JSON library does.
  const content: ReceiptContent = {
    format: fields.cardPresenceProven === undefined ? RECEIPT_FORMAT : RECEIPT_FORMAT_3,
    exchangeId: fields.exchangeId ?? randomUUID(),
    serial: fields.serial,
    result: fields.result,
    version: fields.version,
    kioskPartnerId: fields.kioskPartnerId,
    ...(fields.cardPresenceProven === undefined ? {} : { cardPresenceProven: fields.cardPresenceProven }),
    issuedAt: new Date().toISOString(),
  };
  const bytes = Buffer.from(JSON.stringify(content), 'utf8');
  return { content, payload: bytes.toString('base64'), ...(await signing.signInTree(bytes)) };
}

/**
 * Verifies a receipt with the public key its `keyId` names: the payload's leaf hash and the proof lead to a
 * root, and the signature covers that root and the tree size. Answers the content read from the payload when
 * the receipt is genuine (trust only that, not the `content` member), else null.
 */
export function verifyReceipt(
  receipt: Pick<SignedReceipt, 'payload' | 'signature' | 'algorithm' | 'tree'>,
  publicKey: KeyObject,
): ReceiptContent | null {
  if (receipt.algorithm !== 'Ed25519' || !receipt.tree || !Array.isArray(receipt.tree.path)) return null;
  const payload = Buffer.from(receipt.payload, 'base64');
  const root = rootFromProof(
    leafHash(payload),
    receipt.tree.index,
    receipt.tree.size,
    receipt.tree.path.map((p) => Buffer.from(p, 'base64')),
  );
  if (!root) return null;
  if (!verify(null, treeHeadMessage(receipt.tree.size, root), publicKey, Buffer.from(receipt.signature, 'base64')))
    return null;
  try {
    return JSON.parse(payload.toString('utf8')) as ReceiptContent;
  } catch {
    return null;
  }
}
