import { parseSerial } from '../../cards/card-serial.js';
import { isP256Point, P256_POINT_BYTES } from '../../update/card-crypto.js';
import { encodeField } from '../personalisation/personalisation-file.js';
import { ReturnLineStatus } from './return-line-status.enum.js';

/** ret/2 and ret/1 (vendor → system) and rej/1 (system → vendor): docs/formats/return-file.md. Pure. */
export const RET_FORMAT = 'ret';
/** ret/2 carries each shipped card's two chip public keys; ret/1 (without) stays read, for cards of perso/1 batches only. */
export const RET_VERSIONS = ['1', '2'] as const;
export type RetVersion = 1 | 2;
export const REJ_FORMAT = 'rej';
export const MAX_RETURN_LINES = 1_000_000;
/** How far ahead of our clock a vendor's timestamp may be. */
const CLOCK_SKEW_MS = 5 * 60_000;

const CHIP_ID = /^[A-Za-z0-9]{1,32}$/;
const FAILURE_CODE = /^[A-Z0-9_]{1,32}$/;
/** base64 of a 65-byte point: 88 characters, one `=` of padding. */
const POINT_BASE64 = /^[A-Za-z0-9+/]{87}=$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/;

export interface ReturnLine {
  /** Physical line number in the file (the header is line 1). */
  line: number;
  /** Database form (no padding). */
  serial: string;
  serial12: string;
  chipId: string | null;
  personalisedAt: Date;
  shippedAt: Date | null;
  status: ReturnLineStatus;
  failureCode: string | null;
  /** ret/2 SHIPPED lines: the chip's public keys (65-byte uncompressed P-256 points); null otherwise. */
  authPublicKey: Buffer | null;
  encPublicKey: Buffer | null;
}

export interface LineProblem {
  line: number;
  code: string;
  message: string;
}

export type ParsedReturnFile =
  | { ok: true; version: RetVersion; producedAt: Date; dataLines: number; lines: ReturnLine[]; problems: LineProblem[] }
  | { ok: false; problem: LineProblem };

/** An ISO 8601 instant with a zone (Z or ±hh:mm), a real calendar date; null otherwise. */
export function parseInstant(raw: string): Date | null {
  const m = TIMESTAMP.exec(raw);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const monthDays = [
    31,
    y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > monthDays[mo - 1] || h > 23 || mi > 59 || s > 59) return null;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? null : new Date(t);
}

const refuse = (line: number, code: string, message: string): ParsedReturnFile => ({
  ok: false,
  problem: { line, code, message },
});

/**
 * Reads a return file. A whole-file problem (encoding, header, trailer, count) refuses the file; a bad data
 * line is reported with its number and the other lines go on (the database checks come after).
 */
export function parseReturnFile(data: Buffer, vendorLogin: string, now: Date = new Date()): ParsedReturnFile {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return refuse(1, 'FILE_ENCODING_INVALID', 'The file is not UTF-8');
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const rows = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (rows.length && rows[rows.length - 1] === '') rows.pop();
  if (rows.length === 0) return refuse(1, 'FILE_EMPTY', 'The file is empty');

  const header = rows[0].split('|');
  if (header[0] !== 'H' || header.length !== 5)
    return refuse(1, 'FILE_HEADER_INVALID', 'Line 1 must be the header: H, ret, 2, vendor login, produced at');
  if (header[1] !== RET_FORMAT)
    return refuse(1, 'FILE_HEADER_INVALID', `The format is ${RET_FORMAT}, not ${header[1]}`);
  if (!(RET_VERSIONS as readonly string[]).includes(header[2]))
    return refuse(
      1,
      'FILE_VERSION_UNSUPPORTED',
      `Versions ${RET_VERSIONS.join(' and ')} of ${RET_FORMAT} are read (2 for cards of perso/2 files)`,
    );
  const version = Number(header[2]) as RetVersion;
  if (header[3] !== vendorLogin)
    return refuse(1, 'FILE_VENDOR_MISMATCH', 'The header names another vendor than the one who sent the file');
  const producedAt = parseInstant(header[4]);
  if (!producedAt)
    return refuse(1, 'FILE_HEADER_INVALID', 'The produced-at time is not an ISO 8601 instant with a zone');

  const last = rows.length;
  const trailer = rows[last - 1].split('|');
  if (last < 2 || trailer[0] !== 'T')
    return refuse(
      last,
      'FILE_TRAILER_MISSING',
      'The last line must be the trailer: T and the count of data lines (file cut short?)',
    );
  if (trailer.length !== 2 || !/^\d{1,7}$/.test(trailer[1]))
    return refuse(last, 'FILE_TRAILER_INVALID', 'The trailer is T and the number of data lines');
  const dataLines = last - 2;
  if (Number(trailer[1]) !== dataLines)
    return refuse(
      last,
      'FILE_COUNT_MISMATCH',
      `The trailer counts ${Number(trailer[1])} lines, the file has ${dataLines}`,
    );
  if (dataLines > MAX_RETURN_LINES) return refuse(last, 'FILE_TOO_LARGE', `At most ${MAX_RETURN_LINES} lines per file`);

  const lines: ReturnLine[] = [];
  const problems: LineProblem[] = [];
  const seen = new Set<string>();
  const seenKeys = new Set<string>();
  for (let i = 1; i < last - 1; i++) {
    const parsed = parseDataLine(rows[i], i + 1, now, version);
    if ('code' in parsed) {
      problems.push(parsed);
    } else if (seen.has(parsed.serial)) {
      problems.push({
        line: i + 1,
        code: 'SERIAL_DUPLICATE',
        message: `Serial ${parsed.serial12} is already on an earlier line of this file`,
      });
    } else if ([parsed.authPublicKey, parsed.encPublicKey].some((k) => k && seenKeys.has(k.toString('hex')))) {
      problems.push({
        line: i + 1,
        code: 'CARD_KEY_DUPLICATE',
        message: 'A public key of this line is already on an earlier line of this file (every chip has its own keys)',
      });
    } else {
      seen.add(parsed.serial);
      for (const k of [parsed.authPublicKey, parsed.encPublicKey]) if (k) seenKeys.add(k.toString('hex'));
      lines.push(parsed);
    }
  }
  return { ok: true, version, producedAt, dataLines, lines, problems };
}

/** One public key field: the point, or the problem's code and message. */
function parsePoint(raw: string, which: 'auth' | 'enc'): Buffer | { code: string; message: string } {
  if (raw === '') return { code: 'CARD_KEY_MISSING', message: `A SHIPPED line needs the chip's ${which} public key` };
  const bytes = POINT_BASE64.test(raw) ? Buffer.from(raw, 'base64') : null;
  // Canonical base64 only: one text per key, so the same key can never pass as two.
  if (!bytes || bytes.length !== P256_POINT_BYTES || bytes[0] !== 0x04 || bytes.toString('base64') !== raw) {
    return {
      code: 'CARD_KEY_MALFORMED',
      message: `The ${which} public key is not the base64 of a 65-byte uncompressed P-256 point (04 ‖ X ‖ Y)`,
    };
  }
  if (!isP256Point(bytes))
    return { code: 'CARD_KEY_NOT_ON_CURVE', message: `The ${which} public key is not a point of the P-256 curve` };
  return bytes;
}

function parseDataLine(raw: string, line: number, now: Date, version: RetVersion): ReturnLine | LineProblem {
  const bad = (code: string, message: string): LineProblem => ({ line, code, message });
  const f = raw.split('|');
  if (f[0] !== 'D') return bad('LINE_TYPE_INVALID', 'A data line starts with D');
  const fields = version === 2 ? 9 : 7;
  if (f.length !== fields)
    return bad('LINE_FIELD_COUNT', `A ret/${version} data line has ${fields} fields, this one ${f.length}`);
  const [, serialRaw, chipRaw, persoRaw, shippedRaw, statusRaw, failureRaw, authRaw = '', encRaw = ''] = f;
  const serial = parseSerial(serialRaw);
  if (!serial) return bad('SERIAL_INVALID', 'The serial is 12 digits');
  const status = Object.values(ReturnLineStatus).find((s) => s === statusRaw);
  if (!status) return bad('STATUS_INVALID', `The status is one of ${Object.values(ReturnLineStatus).join(', ')}`);
  if (chipRaw !== '' || status !== ReturnLineStatus.Failed) {
    if (!CHIP_ID.test(chipRaw))
      return bad('CHIP_ID_INVALID', 'The chip id is 1 to 32 letters or digits (empty only for FAILED)');
  }
  const personalisedAt = parseInstant(persoRaw);
  if (!personalisedAt) return bad('DATE_INVALID', 'personalised-at is not an ISO 8601 instant with a zone');
  let shippedAt: Date | null = null;
  if (status === ReturnLineStatus.Failed) {
    if (shippedRaw !== '') return bad('DATE_INVALID', 'A FAILED card has no shipped-at');
  } else {
    shippedAt = parseInstant(shippedRaw);
    if (!shippedAt) return bad('DATE_INVALID', 'shipped-at is not an ISO 8601 instant with a zone');
    if (shippedAt < personalisedAt) return bad('DATE_ORDER_INVALID', 'shipped-at is before personalised-at');
  }
  const latest = now.getTime() + CLOCK_SKEW_MS;
  if (personalisedAt.getTime() > latest || (shippedAt && shippedAt.getTime() > latest))
    return bad('DATE_IN_FUTURE', 'A date is in the future');
  if (status === ReturnLineStatus.Failed) {
    if (!FAILURE_CODE.test(failureRaw))
      return bad('FAILURE_CODE_INVALID', 'A FAILED line needs a failure code (A-Z, 0-9, _; up to 32)');
  } else if (failureRaw !== '') {
    return bad('FAILURE_CODE_NOT_APPLICABLE', `A ${status} line has no failure code`);
  }
  let authPublicKey: Buffer | null = null;
  let encPublicKey: Buffer | null = null;
  if (version === 2 && status === ReturnLineStatus.Shipped) {
    const auth = parsePoint(authRaw, 'auth');
    if (!Buffer.isBuffer(auth)) return bad(auth.code, auth.message);
    const enc = parsePoint(encRaw, 'enc');
    if (!Buffer.isBuffer(enc)) return bad(enc.code, enc.message);
    if (auth.equals(enc))
      return bad('CARD_KEY_DUPLICATE', 'The auth and enc public keys are the same point (the chip has two key pairs)');
    authPublicKey = auth;
    encPublicKey = enc;
  } else if (authRaw !== '' || encRaw !== '') {
    return bad('CARD_KEYS_NOT_APPLICABLE', `A ${status} line carries no public keys (only SHIPPED does)`);
  }
  return {
    line,
    serial,
    serial12: serialRaw,
    chipId: chipRaw || null,
    personalisedAt,
    shippedAt,
    status,
    failureCode: status === ReturnLineStatus.Failed ? failureRaw : null,
    authPublicKey,
    encPublicKey,
  };
}

/** `REJ_<original name>` for the vendor's outbox (cut to the longest name the SFTP tree takes). */
export const rejectFileName = (original: string): string => `REJ_${original}`.slice(0, 128);

/** rej/1: what was refused and why, by line; `REFUSED` when the whole file was. */
export function buildRejectFile(input: {
  originalName: string;
  sha256: string;
  outcome: 'INGESTED' | 'REFUSED';
  producedAt: Date;
  problems: LineProblem[];
}): Buffer {
  const problems = [...input.problems].sort((a, b) => a.line - b.line);
  const out = [
    [
      'H',
      REJ_FORMAT,
      '1',
      encodeField(input.originalName),
      input.sha256,
      input.outcome,
      input.producedAt.toISOString(),
    ].join('|'),
    ...problems.map((p) => ['E', String(p.line), p.code, encodeField(p.message)].join('|')),
    ['T', String(problems.length)].join('|'),
  ];
  return Buffer.from(out.join('\n') + '\n', 'utf8');
}
