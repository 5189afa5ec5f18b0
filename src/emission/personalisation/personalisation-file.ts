import { createHash } from 'node:crypto';
import { formatSerial } from '../../cards/card-serial.js';

/** perso/1: see docs/formats/personalisation-file.md. Pure: the same records always give the same bytes. */
export const PERSO_FORMAT = 'perso';
export const PERSO_VERSION = '1';
export const ADDRESS_SLOTS = 6;

export interface PersoHeader {
  batchNumber: string;
  vendorLogin: string;
  producedAt: Date;
  recordCount: number;
}

export interface PersoRecord {
  serial: string;
  nir: string;
  birthName: string;
  usageName: string | null;
  firstName: string;
  birthDate: string;
  addressLines: string[];
  organismeCode: string;
  dataVersion: number;
  /** The chip image (JPEG bytes). */
  chipPhoto: Buffer;
}

/** The file name of a batch in the vendor's outbox (8-digit zero-padded so names sort by batch). */
export const persoFileName = (batchNumber: string): string => `PERSO_${batchNumber.padStart(8, '0')}.txt`;

/** `|` separates fields; the four characters that could break a line or a field are percent-encoded. */
export function encodeField(value: string): string {
  return value.replace(/[%|\r\n]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

export function decodeField(value: string): string {
  return value.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

const line = (fields: string[]): string => fields.join('|') + '\n';

export function headerLine(h: PersoHeader): string {
  return line(['H', PERSO_FORMAT, PERSO_VERSION, h.batchNumber, h.vendorLogin, h.producedAt.toISOString(), String(h.recordCount)]);
}

export function recordLine(r: PersoRecord): string {
  const address = Array.from({ length: ADDRESS_SLOTS }, (_, i) => r.addressLines[i] ?? '');
  return line([
    'R', formatSerial(r.serial), r.nir, r.birthName, r.usageName ?? '', r.firstName, r.birthDate, ...address,
    r.organismeCode.slice(0, 2), r.organismeCode.slice(2, 5), r.organismeCode.slice(5, 9), String(r.dataVersion),
  ].map(encodeField).concat(r.chipPhoto.toString('base64')));
}

/** Header + records + trailer; the trailer holds the count and the SHA-256 (hex) of every byte before it. */
export function buildPersoFile(header: PersoHeader, records: Iterable<PersoRecord>): Buffer {
  const parts: Buffer[] = [Buffer.from(headerLine(header), 'utf8')];
  let count = 0;
  for (const r of records) {
    parts.push(Buffer.from(recordLine(r), 'utf8'));
    count += 1;
  }
  if (count !== header.recordCount) throw new Error(`perso file: header says ${header.recordCount} records, got ${count}`);
  // Hashed part by part and copied once: a file is ~75 MB for 5,000 cards.
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  parts.push(Buffer.from(line(['T', String(count), hash.digest('hex')]), 'utf8'));
  return Buffer.concat(parts);
}
