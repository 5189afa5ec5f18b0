import { createPublicKey } from 'node:crypto';
import { type SignedReceipt, verifyReceipt as verifyReceiptWith } from '../../src/update/receipts.js';
import type { DataSource } from 'typeorm';
import { bearer, type TestApp } from './test-app.js';

export const PARIS = '017510001';
export const LYON = '016910001';

/** Valid whole records, by type. */
export const RECORDS = {
  coverage: [
    { aldDigit: 0, situation: '0100' },
    { aldDigit: 4, situation: '0300' },
  ],
  ald_periods: [{ from: '2026-01-01', to: '2028-12-31', aldCode: '8' }],
  complementary: { css: { from: '2026-01-01', to: '2026-12-31' }, amc: null },
  maternity: { date: '2026-06-01' },
  mentions: { organDonor: true },
} as const;

/** A fund sets one whole record of a card. */
export const putRecord = (t: TestApp, key: string, serial: string, type: string, content: unknown) =>
  t.http().put(`/v1/cards/${serial}/data/${type}`).set(bearer(key)).send({ content });

export const check = (t: TestApp, key: string, serial: string, readVersion: number, writeInProgress = false) =>
  t.http().post('/v1/kiosk/check').set(bearer(key)).send({ serial, readVersion, writeInProgress });

export const confirm = (t: TestApp, key: string, body: Record<string, unknown>) =>
  t.http().post('/v1/kiosk/confirm').set(bearer(key)).send(body);

/** The records of an update answer as a confirm names them. */
export const written = (answer: { records: Array<{ recordType: string; version: number }> }) =>
  answer.records.map((r) => `${r.recordType}@${r.version}`);

export type Receipt = SignedReceipt;

/** Verifies a receipt the way a pharmacy does: the key from GET /v1/signing-keys, then the reference check. */
export async function verifyReceipt(t: TestApp, key: string, receipt: Receipt): Promise<boolean> {
  const keys = (await t.http().get('/v1/signing-keys').set(bearer(key))).body.items as Array<{
    keyId: string;
    publicKey: string;
  }>;
  const pub = keys.find((k) => k.keyId === receipt.keyId);
  return !!pub && verifyReceiptWith(receipt, createPublicKey(pub.publicKey)) !== null;
}

export async function cardVersions(
  ds: DataSource,
  serial12: string,
): Promise<{ data_version: number; target_version: number }> {
  const [row] = await ds.query(
    `SELECT c.data_version, coalesce(u.target_version, 0) AS target_version FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id WHERE c.serial = $1`,
    [BigInt(serial12).toString()],
  );
  return row;
}
