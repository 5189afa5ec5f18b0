import type { DataSource } from 'typeorm';
import {
  ackMessage,
  cardSign,
  type CardKeys,
  generateCardKeys,
  openRecord,
  proofMessage,
  type SealedRecord,
} from '../../src/update/card-crypto.js';
import { bearer, type TestApp } from './test-app.js';

/**
 * Gives a card its chip's keys, straight into card_key as a vendor's return file would (test set-up only), and
 * answers the private halves the card keeps: the virtual card the tests play.
 */
export async function giveCardKeys(
  ds: DataSource,
  cardId: string,
  keys: CardKeys = generateCardKeys(),
): Promise<CardKeys> {
  await ds.query(`INSERT INTO card_key (card_id, auth_public_key, enc_public_key) VALUES ($1, $2, $3)`, [
    cardId,
    Buffer.from(keys.authPublic, 'base64'),
    Buffer.from(keys.encPublic, 'base64'),
  ]);
  return keys;
}

export const check2 = (t: TestApp, key: string, serial: string, readVersion: number, writeInProgress = false) =>
  t.http().post('/v2/kiosk/check').set(bearer(key)).send({ serial, readVersion, writeInProgress });

export const fetch2 = (t: TestApp, key: string, body: Record<string, unknown>) =>
  t.http().post('/v2/kiosk/fetch').set(bearer(key)).send(body);

export const confirm2 = (t: TestApp, key: string, body: Record<string, unknown>) =>
  t.http().post('/v2/kiosk/confirm').set(bearer(key)).send(body);

/** The card in the reader: signs the proof of a check's challenge, as the kiosk then sends it to fetch. */
export function proofBody(
  keys: CardKeys,
  p: { serial: string; challenge: string; readVersion: number; writeInProgress?: boolean; kioskId: string },
) {
  const writeInProgress = p.writeInProgress ?? false;
  return {
    serial: p.serial,
    challenge: p.challenge,
    readVersion: p.readVersion,
    writeInProgress,
    proof: cardSign(
      keys,
      proofMessage({
        challenge: p.challenge,
        serial: p.serial,
        readVersion: p.readVersion,
        writeInProgress,
        kioskId: p.kioskId,
      }),
    ),
  };
}

/** The card opens the envelopes of a fetch: each record's content, or null for one it refuses. */
export function openAll(
  keys: CardKeys,
  answer: { serial: string; exchangeId: string; ephemeralKey: string; records: SealedRecord[] },
) {
  return answer.records.map((r) => ({
    recordType: r.recordType,
    version: r.version,
    opened: openRecord(
      keys,
      { serial: answer.serial, exchangeId: answer.exchangeId, ephemeralKey: answer.ephemeralKey },
      r,
    ),
  }));
}

/** The card's acknowledgement of the records it wrote, as the kiosk sends it to confirm. */
export function ackBody(keys: CardKeys, p: { exchangeId: string; serial: string; writtenRecords: string[] }) {
  return {
    exchangeId: p.exchangeId,
    serial: p.serial,
    writtenRecords: p.writtenRecords,
    cardAck: cardSign(keys, ackMessage(p)),
  };
}
