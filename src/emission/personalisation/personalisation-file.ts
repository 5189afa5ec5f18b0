import { createHash } from 'node:crypto';
import { formatSerial } from '../../cards/card-serial.js';

/**
 * perso/2: see docs/formats/personalisation-file.md. Pure: the same records always give the same clear bytes (what
 * goes inside the encryption; perso/1 was the same lines, published in clear).
 */
export const PERSO_FORMAT = 'perso';
export const PERSO_VERSION = '2';
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

/** The clear file's name (8-digit zero-padded so names sort by batch): what the vendor gets once it decrypts. */
export const persoFileName = (batchNumber: string): string => `PERSO_${batchNumber.padStart(8, '0')}.txt`;
/** The published file's name in the vendor's outbox: the clear file encrypted with age. */
export const encryptedPersoFileName = (batchNumber: string): string => `${persoFileName(batchNumber)}.age`;

/** `|` separates fields; the four characters that could break a line or a field are percent-encoded. */
export function encodeField(value: string): string {
  return value.replace(/[%|\r\n]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

export function decodeField(value: string): string {
  return value.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

const line = (fields: string[]): string => fields.join('|') + '\n';

export function headerLine(h: PersoHeader): string {
  return line([
    'H',
    PERSO_FORMAT,
    PERSO_VERSION,
    h.batchNumber,
    h.vendorLogin,
    h.producedAt.toISOString(),
    String(h.recordCount),
  ]);
}

export function recordLine(r: PersoRecord): string {
  const address = Array.from({ length: ADDRESS_SLOTS }, (_, i) => r.addressLines[i] ?? '');
  return line(
    [
      'R',
      formatSerial(r.serial),
      r.nir,
      r.birthName,
      r.usageName ?? '',
      r.firstName,
      r.birthDate,
      ...address,
      r.organismeCode.slice(0, 2),
      r.organismeCode.slice(2, 5),
      r.organismeCode.slice(5, 9),
      String(r.dataVersion),
    ]
      .map(encodeField)
      .concat(r.chipPhoto.toString('base64')),
  );
}

/**
 * Header + records + trailer, as chunks (one per line), for a stream: a file is ~75 MB for 5,000 cards and is never
 * whole in memory. The trailer holds the count and the SHA-256 (hex) of every byte before it. `digest` is called once
 * the trailer is out with the SHA-256 of the whole clear file.
 */
export async function* persoChunks(
  header: PersoHeader,
  records: AsyncIterable<PersoRecord>,
  digest?: (sha256: string) => void,
): AsyncGenerator<Buffer> {
  const beforeTrailer = createHash('sha256');
  const head = Buffer.from(headerLine(header), 'utf8');
  beforeTrailer.update(head);
  yield head;
  let count = 0;
  for await (const r of records) {
    const b = Buffer.from(recordLine(r), 'utf8');
    beforeTrailer.update(b);
    count += 1;
    yield b;
  }
  if (count !== header.recordCount)
    throw new Error(`perso file: header says ${header.recordCount} records, got ${count}`);
  // The whole file's hash goes on from the same state (one pass over the ~75 MB, not two).
  const whole = beforeTrailer.copy();
  const trailer = Buffer.from(line(['T', String(count), beforeTrailer.digest('hex')]), 'utf8');
  whole.update(trailer);
  yield trailer;
  digest?.(whole.digest('hex'));
}
