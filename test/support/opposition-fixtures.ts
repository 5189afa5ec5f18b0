import type { DataSource } from 'typeorm';
import { removeTempDirs, tempDir } from './temp-dirs.js';

/** A private DATA_DIR for one test file (signing keys and list files); removed by removeTempDataDirs. */
export const tempDataDir = () => tempDir('opposition');

export const removeTempDataDirs = removeTempDirs;

/** The change log rows, oldest first. */
export async function oppositionChanges(
  ds: DataSource,
): Promise<Array<{ serial: string; op: string; reason: string | null; list_number: number | null }>> {
  return ds.query(`SELECT serial::text, op, reason::text, list_number FROM opposition_change ORDER BY id`);
}

/** supertest buffers a binary body with this parser. */
export function binaryParser(raw: unknown, cb: (err: Error | null, body: Buffer) => void): void {
  const res = raw as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
  res.on('error', (e: Error) => cb(e, Buffer.alloc(0)));
}
