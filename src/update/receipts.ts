import { randomUUID, verify, type KeyObject } from 'node:crypto';
import { leafHash, rootFromProof } from '../platform/crypto/merkle.js';
import { type SigningService, treeHeadMessage, type TreeSignature } from '../platform/crypto/signing.service.js';

/**
 * `/2`: the signature covers a Merkle tree head of a batch of receipts, and each receipt carries its inclusion
 * proof (`/1`, one signature per receipt, was never released).
 */
export const RECEIPT_FORMAT = 'vitale-update-receipt/2';
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
 * A receipt the pharmacy keeps as proof: `payload` is the base64 of the exact UTF-8 JSON bytes of the receipt;
 * `content` is that JSON, decoded. `signature` (Ed25519, `keyId` names the key published at GET /v1/signing-keys)
 * signs the head of a Merkle tree over the receipts issued at the same moment; `tree` proves this one is in it.
 * `verifyReceipt` is the reference check (docs/formats/kiosk-protocol.md).
 */
export type SignedReceipt = TreeSignature & {
  content: ReceiptContent;
  payload: string;
};

export async function signReceipt(signing: SigningService, fields: Omit<ReceiptContent, 'format' | 'issuedAt' | 'exchangeId'> & { exchangeId?: string }): Promise<SignedReceipt> {
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
  return { content, payload: bytes.toString('base64'), ...(await signing.signInTree(bytes)) };
}

/**
 * Verifies a receipt with the public key its `keyId` names: the payload's leaf hash and the proof lead to a
 * root, and the signature covers that root and the tree size. Answers the content read from the payload when
 * the receipt is genuine (trust only that, not the `content` member), else null.
 */
export function verifyReceipt(receipt: Pick<SignedReceipt, 'payload' | 'signature' | 'algorithm' | 'tree'>, publicKey: KeyObject): ReceiptContent | null {
  if (receipt.algorithm !== 'Ed25519' || !receipt.tree || !Array.isArray(receipt.tree.path)) return null;
  const payload = Buffer.from(receipt.payload, 'base64');
  const root = rootFromProof(leafHash(payload), receipt.tree.index, receipt.tree.size, receipt.tree.path.map((p) => Buffer.from(p, 'base64')));
  if (!root) return null;
  if (!verify(null, treeHeadMessage(receipt.tree.size, root), publicKey, Buffer.from(receipt.signature, 'base64'))) return null;
  try {
    return JSON.parse(payload.toString('utf8')) as ReceiptContent;
  } catch {
    return null;
  }
}
