/** Card serials: bigint in the database, 12 zero-padded digits in the API and the audit trail. */
export const SERIAL_DIGITS = 12;
const SERIAL = /^\d{12}$/;

export function formatSerial(serial: string | number | bigint): string {
  return String(serial).padStart(SERIAL_DIGITS, '0');
}

/** A card only ordered has no serial yet (it gets one in its personalisation batch). */
export function formatOptionalSerial(serial: string | null): string | null {
  return serial === null ? null : formatSerial(serial);
}

/** The database form of an API serial (canonical digits, no padding), or null when it cannot be a serial. */
export function parseSerial(input: unknown): string | null {
  if (typeof input !== 'string' || !SERIAL.test(input)) return null;
  const n = BigInt(input);
  return n > 0n ? n.toString() : null;
}
