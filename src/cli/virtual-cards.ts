import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isP256Point, scalar32, type CardKeys } from '../update/card-crypto.js';

/**
 * The virtual-cards file `vitale-virtual-cards/1` (docs/formats/virtual-cards.md): the cards a simulated vendor made,
 * each with its chip's private keys, for the kiosk simulator to play the cards. A simulation artefact only: a real
 * card's private keys are born in its chip and never leave it. Mode 0600, written whole by rename.
 */
export const VIRTUAL_CARDS_FORMAT = 'vitale-virtual-cards/1';

export interface VirtualCard {
  /** 12 digits. */
  serial: string;
  chipId: string;
  keys: CardKeys;
  /** What the virtual chip holds: the records a kiosk wrote to it, by type (absent until a kiosk/2 update). */
  chip?: VirtualChip;
}

/** The virtual chip's memory: its data version and the last content of each record a kiosk wrote. */
export interface VirtualChip {
  version: number;
  records: Record<string, { version: number; content: unknown }>;
}

export interface VirtualCardsFile {
  format: typeof VIRTUAL_CARDS_FORMAT;
  cards: VirtualCard[];
}

const SERIAL = /^\d{12}$/;
const SCALAR_BYTES = 32;

/** A private scalar as base64 of its 32 big-endian bytes. */
const padScalar = (b64: string): string => scalar32(Buffer.from(b64, 'base64')).toString('base64');

/** The cards of a virtual-cards file; throws, saying what is wrong, when it is not one. */
export function readVirtualCards(file: string): VirtualCard[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON file (${(e as Error).message})`, { cause: e });
  }
  const doc = parsed as Partial<VirtualCardsFile> | null;
  if (!doc || doc.format !== VIRTUAL_CARDS_FORMAT || !Array.isArray(doc.cards))
    throw new Error(`${file}: not a ${VIRTUAL_CARDS_FORMAT} file`);
  doc.cards.forEach((c, i) => {
    const k = c?.keys;
    const point = (s: unknown) => typeof s === 'string' && isP256Point(Buffer.from(s, 'base64'));
    const scalar = (s: unknown) =>
      typeof s === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === SCALAR_BYTES;
    if (
      !c ||
      !SERIAL.test(String(c.serial)) ||
      typeof c.chipId !== 'string' ||
      !k ||
      !point(k.authPublic) ||
      !point(k.encPublic) ||
      !scalar(k.authPrivate) ||
      !scalar(k.encPrivate)
    ) {
      throw new Error(
        `${file}: card ${i + 1} is not { serial (12 digits), chipId, keys: { authPrivate, authPublic, encPrivate, encPublic } }`,
      );
    }
  });
  return doc.cards;
}

/**
 * Adds cards to the file (a card already there by serial is replaced), creating it when missing. Written to a
 * temporary file of mode 0600 beside it, then renamed: a reader never sees half a file, nobody else reads the keys.
 */
export function saveVirtualCards(file: string, cards: VirtualCard[]): void {
  const kept = existsSync(file) ? readVirtualCards(file) : [];
  const bySerial = new Map(kept.map((c) => [c.serial, c]));
  for (const c of cards)
    bySerial.set(c.serial, {
      ...c,
      keys: { ...c.keys, authPrivate: padScalar(c.keys.authPrivate), encPrivate: padScalar(c.keys.encPrivate) },
    });
  const doc: VirtualCardsFile = {
    format: VIRTUAL_CARDS_FORMAT,
    cards: [...bySerial.values()].sort((x, y) => x.serial.localeCompare(y.serial)),
  };
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * A kiosk wrote these records to the card's chip and the card is now at `version`: the virtual chip keeps them (each
 * record replaces the previous content of its type). Nothing happens for a card not in the file.
 */
export function writeToVirtualChip(
  file: string,
  serial: string,
  version: number,
  records: Array<{ recordType: string; version: number; content: unknown }>,
): void {
  const card = readVirtualCards(file).find((c) => c.serial === serial);
  if (!card) return;
  const chip: VirtualChip = { version, records: { ...(card.chip?.records ?? {}) } };
  for (const r of records) chip.records[r.recordType] = { version: r.version, content: r.content };
  saveVirtualCards(file, [{ ...card, chip }]);
}
