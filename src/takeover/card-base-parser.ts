import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CardState, OppositionReason } from '../cards/card-state.enum.js';
import { isNirMonth } from '../register/nir.js';
import type { DomainError } from '../platform/errors/domain-error.js';
import { TakeoverErrors } from './takeover.errors.js';

/** The format this parser reads (docs/formats/card-base-import.md). */
export const CARD_BASE_FORMAT = 'card-base/1';

/** card-base/1 is recognised by this exact first line. */
export const CARD_BASE_HEADER =
  'serial,chip_id,holder_nir,organisme,generation,state,opposition_reason,issued_on,last_updated_on,data_version,dependants';
const FIELDS = CARD_BASE_HEADER.split(',');

/** A line longer than this is refused (card-base/1 lines are about 100 bytes): memory stays bounded whatever is sent. */
export const MAX_LINE_BYTES = 1024;

/** The old base's states, as card-base/1 names them, and ours. */
export const IMPORTED_STATES: Readonly<Record<string, CardState>> = {
  active: CardState.Active,
  opposed: CardState.Opposed,
  destroyed: CardState.Destroyed,
};

/** Opposition reasons a card-base/1 line may give (surplus is the reconciliation's own). */
export const IMPORTED_REASONS: ReadonlySet<string> = new Set(
  Object.values(OppositionReason).filter((r) => r !== OppositionReason.Surplus),
);

/** A line's reject: its number, a stable code and the field; never the line's content. */
export interface CardBaseReject {
  line: number;
  code: string;
  field: string | null;
}

/** A chunk of lines, parsed: the good ones as COPY text lines (the staging table's columns), the bad ones by line. */
export interface ParsedChunk {
  chunkNo: number;
  firstLine: number;
  lastLine: number;
  /** SHA-256 (hex) of every line of the file up to this chunk's end: equal only for the same file's same prefix. */
  chainHash: string;
  /**
   * The COPY text of the good lines (tab-separated, one per line, newline-terminated), in a buffer the reader reuses
   * for the next chunk: read it before asking for the next one.
   */
  copyText: Buffer;
  rows: number;
  /** Highest serial among the good lines (raising the allocator), 0 when none. */
  maxSerial: number;
  /** Lowest serial among the good lines, 0 when none (two chunks whose serials may meet are never applied together). */
  minSerial: number;
  rejects: CardBaseReject[];
}

/** Why a file as a whole cannot be read: the problem the caller gets (a cut gzip stream is told apart, it resumes). */
export class CardBaseFileError extends Error {
  constructor(
    readonly problem: () => DomainError,
    readonly truncated = false,
  ) {
    super('card-base file refused');
  }
  get code(): string {
    return this.problem().code;
  }
}

/** The staging table's columns, in the order of the COPY text lines. */
export const STAGE_COLUMNS =
  'line, card_id, serial, chip_id, nir, organisme_code, generation, state, opposition_reason, issued_on, last_updated_on, data_version, dependants';

const SERIAL = /^\d{1,12}$/;
const CHIP_ID = /^[0-9A-F]{1,32}$/;
const NIR = /^[1278]\d{4}(?:\d{2}|2A|2B)\d{8}$/;
const ORGANISME = /^\d{9}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const UINT = /^\d{1,10}$/;

function validDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1990 || y > 2199 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** The NIR key rule (97 - body mod 97, Corsica as 19/18), in plain numbers: 13 digits fit a double exactly. */
function nirValid(nir: string): boolean {
  if (!NIR.test(nir) || !isNirMonth(Number(nir.slice(3, 5)))) return false;
  let body = nir.slice(0, 13);
  const dept = body.slice(5, 7);
  if (dept === '2A') body = body.slice(0, 5) + '19' + body.slice(7);
  else if (dept === '2B') body = body.slice(0, 5) + '18' + body.slice(7);
  return 97 - (Number(body) % 97) === Number(nir.slice(13));
}

/** A time-ordered UUID (version 7): imported cards' keys land at the end of the primary key's index, not all over it. */
function uuidV7(): string {
  const ts = Date.now().toString(16).padStart(12, '0');
  const r = randomUUID();
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${r.slice(15, 18)}${r.slice(18)}`;
}

/** One data line: its COPY text line, or the reject. */
export function parseLine(lineNo: number, text: string): { copy: string; serial: number } | CardBaseReject {
  const f = text.split(',');
  if (f.length !== FIELDS.length) return { line: lineNo, code: 'FIELD_COUNT', field: null };
  const [serial, chipId, nir, organisme, generation, state, reason, issuedOn, lastUpdatedOn, dataVersion, dependants] =
    f;
  const reject = (code: string, field: string): CardBaseReject => ({ line: lineNo, code, field });
  if (!SERIAL.test(serial) || Number(serial) === 0) return reject('SERIAL_INVALID', 'serial');
  if (!CHIP_ID.test(chipId)) return reject('CHIP_ID_INVALID', 'chip_id');
  if (!nirValid(nir)) return reject('NIR_INVALID', 'holder_nir');
  if (!ORGANISME.test(organisme)) return reject('ORGANISME_INVALID', 'organisme');
  if (generation !== '1' && generation !== '2') return reject('GENERATION_INVALID', 'generation');
  const ourState = IMPORTED_STATES[state];
  if (!ourState) return reject('STATE_INVALID', 'state');
  if (ourState === CardState.Opposed ? !IMPORTED_REASONS.has(reason) : reason !== '')
    return reject('OPPOSITION_REASON_INVALID', 'opposition_reason');
  if (!validDate(issuedOn)) return reject('DATE_INVALID', 'issued_on');
  if (lastUpdatedOn !== '' && (!validDate(lastUpdatedOn) || lastUpdatedOn < issuedOn))
    return reject('DATE_INVALID', 'last_updated_on');
  if (!UINT.test(dataVersion) || Number(dataVersion) > 2_147_483_647)
    return reject('DATA_VERSION_INVALID', 'data_version');
  if (!/^\d{1,2}$/.test(dependants)) return reject('DEPENDANTS_INVALID', 'dependants');
  const copy =
    `${lineNo}\t${uuidV7()}\t${Number(serial)}\t${chipId}\t${nir}\t${organisme}\t${generation}\t${ourState}\t` +
    `${reason === '' ? '\\N' : reason}\t${issuedOn}\t${lastUpdatedOn === '' ? '\\N' : lastUpdatedOn}\t` +
    `${Number(dataVersion)}\t${Number(dependants)}\n`;
  return { copy, serial: Number(serial) };
}

/**
 * The decompressed bytes of a file: gzip is recognised by its magic bytes (whatever the media type said), and a
 * gzip stream cut before its trailer fails (CARD_IMPORT_TRUNCATED) instead of looking like a shorter file.
 */
async function* plainBytes(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length < 2) {
    const more = await it.next();
    if (more.done) break;
    first = { done: false, value: Buffer.concat([first.value, more.value]) };
  }
  if (first.done) return;
  const head = first.value;
  if (!(head[0] === 0x1f && head[1] === 0x8b)) {
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
    return;
  }
  const gunzip = createGunzip();
  const input = new PassThrough();
  input.pipe(gunzip);
  const feed = (async () => {
    try {
      input.write(head);
      for (let n = await it.next(); !n.done; n = await it.next()) {
        if (!input.write(n.value)) await new Promise((r) => input.once('drain', r));
      }
      input.end();
    } catch (e) {
      gunzip.destroy(e as Error);
    }
  })();
  try {
    for await (const b of gunzip) yield b as Buffer;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' || /unexpected end/i.test((e as Error).message))
      throw new CardBaseFileError(() => TakeoverErrors.CARD_IMPORT_TRUNCATED(null, 0), true);
    if ((e as NodeJS.ErrnoException).code?.startsWith('Z_'))
      throw new CardBaseFileError(() => TakeoverErrors.CARD_IMPORT_TRUNCATED(null, 0), true);
    throw e;
  } finally {
    input.destroy();
    await feed.catch(() => undefined);
  }
}

/** The lines of a byte stream (without their end of line), each as a Buffer; an overlong line is cut and flagged. */
async function* linesOf(bytes: AsyncIterable<Buffer>): AsyncGenerator<{ bytes: Buffer; tooLong: boolean }> {
  let rest: Buffer | null = null;
  let skipping = false;
  for await (const b of bytes) {
    let start = 0;
    for (let nl = b.indexOf(10, start); nl !== -1; nl = b.indexOf(10, start)) {
      const piece = b.subarray(start, nl);
      start = nl + 1;
      if (skipping) {
        skipping = false;
        rest = null;
        yield { bytes: Buffer.alloc(0), tooLong: true };
        continue;
      }
      const line: Buffer = rest ? Buffer.concat([rest, piece]) : piece;
      rest = null;
      if (line.length > MAX_LINE_BYTES) yield { bytes: Buffer.alloc(0), tooLong: true };
      else yield { bytes: line, tooLong: false };
    }
    if (start < b.length && !skipping) {
      const tail = b.subarray(start);
      rest = rest ? Buffer.concat([rest, tail]) : Buffer.from(tail);
      if (rest.length > MAX_LINE_BYTES) {
        skipping = true;
        rest = null;
      }
    }
  }
  if (skipping) yield { bytes: Buffer.alloc(0), tooLong: true };
  else if (rest && rest.length > 0) yield { bytes: rest, tooLong: false };
}

/**
 * Reads a card-base/1 file as chunks of `chunkRows` data lines, bytes streamed through (memory holds one chunk).
 * Throws CardBaseFileError for a file that cannot be a card-base/1 file or is cut (gzip without its trailer).
 */
export async function* readCardBase(source: AsyncIterable<Buffer>, chunkRows: number): AsyncGenerator<ParsedChunk> {
  let lineNo = 0;
  let chunkNo = 0;
  const chain = { hash: '' };
  let hasher = createHash('sha256');
  // One buffer for every chunk's COPY text: per-line strings die young instead of a chunk's worth of them being
  // promoted to the old generation, which kept the import's memory far above what it holds.
  let copy = Buffer.allocUnsafe(chunkRows * 160);
  let copyLength = 0;
  let rejects: CardBaseReject[] = [];
  let rows = 0;
  let maxSerial = 0;
  let minSerial = 0;
  let firstLine = 2;
  let inChunk = 0;
  const close = (): ParsedChunk => {
    hasher.update(chain.hash);
    chain.hash = hasher.digest('hex');
    const c: ParsedChunk = {
      chunkNo: ++chunkNo,
      firstLine,
      lastLine: lineNo,
      chainHash: chain.hash,
      copyText: copy.subarray(0, copyLength),
      rows,
      maxSerial,
      minSerial,
      rejects,
    };
    hasher = createHash('sha256');
    copyLength = 0;
    rejects = [];
    rows = 0;
    maxSerial = 0;
    minSerial = 0;
    inChunk = 0;
    firstLine = lineNo + 1;
    return c;
  };
  for await (const { bytes, tooLong } of linesOf(plainBytes(source))) {
    lineNo++;
    let text = bytes.toString('latin1');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (lineNo === 1) {
      if (text.replace(/^\u00ef\u00bb\u00bf/, '') !== CARD_BASE_HEADER)
        throw new CardBaseFileError(() =>
          TakeoverErrors.CARD_IMPORT_HEADER_INVALID(
            `the first line must be the card-base/1 header: ${CARD_BASE_HEADER}`,
          ),
        );
      continue;
    }
    hasher.update(bytes);
    hasher.update('\n');
    inChunk++;
    if (tooLong) rejects.push({ line: lineNo, code: 'LINE_TOO_LONG', field: null });
    else {
      const parsed = parseLine(lineNo, text);
      if ('copy' in parsed) {
        if (copyLength + parsed.copy.length > copy.length) {
          const bigger = Buffer.allocUnsafe(copy.length * 2);
          copy.copy(bigger, 0, 0, copyLength);
          copy = bigger;
        }
        copyLength += copy.write(parsed.copy, copyLength, 'latin1');
        rows++;
        if (parsed.serial > maxSerial) maxSerial = parsed.serial;
        if (minSerial === 0 || parsed.serial < minSerial) minSerial = parsed.serial;
      } else rejects.push(parsed);
    }
    if (inChunk === chunkRows) yield close();
  }
  if (lineNo === 0)
    throw new CardBaseFileError(() =>
      TakeoverErrors.CARD_IMPORT_EMPTY('the file is empty; send the header, then one line per card'),
    );
  if (inChunk > 0) yield close();
}

/** Adapts a Node stream (an HTTP body, a file) to the reader. */
export function bytesOf(stream: Readable): AsyncIterable<Buffer> {
  return stream as AsyncIterable<Buffer>;
}
