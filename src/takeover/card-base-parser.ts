import { createHash } from 'node:crypto';
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
   * The COPY text of the good lines (tab-separated, one per line, newline-terminated), in one of two buffers the
   * reader uses in turn: read it before asking for the chunk after the next one.
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

/** The landed lines' columns (card_base_line, without its import and chunk), in the order of the COPY text lines. */
export const LINE_COLUMNS =
  'line, serial, chip_id, nir, organisme_code, generation, state, opposition_reason, issued_on, last_updated_on, data_version, dependants';

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
  const ourState = Object.hasOwn(IMPORTED_STATES, state) ? IMPORTED_STATES[state] : undefined;
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
    `${lineNo}\t${Number(serial)}\t${chipId}\t${nir}\t${organisme}\t${generation}\t${ourState}\t` +
    `${reason === '' ? '\\N' : reason}\t${issuedOn}\t${lastUpdatedOn === '' ? '\\N' : lastUpdatedOn}\t` +
    `${Number(dataVersion)}\t${Number(dependants)}\n`;
  return { copy, serial: Number(serial) };
}

/** Reject codes of the byte parser, by index (parseInto answers -(index + 1)). */
export const REJECTS: ReadonlyArray<{ code: string; field: string | null }> = [
  { code: 'FIELD_COUNT', field: null },
  { code: 'SERIAL_INVALID', field: 'serial' },
  { code: 'CHIP_ID_INVALID', field: 'chip_id' },
  { code: 'NIR_INVALID', field: 'holder_nir' },
  { code: 'ORGANISME_INVALID', field: 'organisme' },
  { code: 'GENERATION_INVALID', field: 'generation' },
  { code: 'STATE_INVALID', field: 'state' },
  { code: 'OPPOSITION_REASON_INVALID', field: 'opposition_reason' },
  { code: 'DATE_INVALID', field: 'issued_on' },
  { code: 'DATE_INVALID', field: 'last_updated_on' },
  { code: 'DATA_VERSION_INVALID', field: 'data_version' },
  { code: 'DEPENDANTS_INVALID', field: 'dependants' },
];
const STATE_BYTES = Object.keys(IMPORTED_STATES).map((k) => Buffer.from(k, 'latin1'));
const REASON_BYTES = [...IMPORTED_REASONS].map((r) => Buffer.from(r, 'latin1'));
const OPPOSED = STATE_BYTES.findIndex((b) => b.toString('latin1') === 'opposed');
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const NULL_FIELD = [0x5c, 0x4e]; // \N
const commas = new Int32Array(FIELDS.length + 1);

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Digits only, between 1 and `max` of them: their value, or -1. */
function digitsValue(b: Buffer, s: number, e: number, max: number): number {
  const n = e - s;
  if (n < 1 || n > max) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** A YYYY-MM-DD date between 1990 and 2199 that exists (validDate's rule, on bytes). */
function dateOk(b: Buffer, s: number, e: number): boolean {
  if (e - s !== 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return false;
  const y = digitsValue(b, s, s + 4, 4);
  const m = digitsValue(b, s + 5, s + 7, 2);
  const d = digitsValue(b, s + 8, s + 10, 2);
  if (y < 1990 || y > 2199 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]);
}

/** nirValid's rule, on bytes: the shape, the month, then the key over the body (Corsica as 19/18). */
function nirOk(b: Buffer, s: number, e: number): boolean {
  if (e - s !== 15) return false;
  const c0 = b[s];
  if (c0 !== 49 && c0 !== 50 && c0 !== 55 && c0 !== 56) return false;
  for (let i = s + 1; i < s + 5; i++) if (!isDigit(b[i])) return false;
  for (let i = s + 7; i < s + 15; i++) if (!isDigit(b[i])) return false;
  let d5 = b[s + 5];
  let d6 = b[s + 6];
  if (d5 === 50 && (d6 === 65 || d6 === 66)) {
    // 2A → 19, 2B → 18
    d5 = 49;
    d6 = d6 === 65 ? 57 : 56;
  } else if (!isDigit(d5) || !isDigit(d6)) return false;
  if (!isNirMonth((b[s + 3] - 48) * 10 + (b[s + 4] - 48))) return false;
  let r = 0;
  for (let i = s; i < s + 13; i++) {
    const c = i === s + 5 ? d5 : i === s + 6 ? d6 : b[i];
    r = (r * 10 + (c - 48)) % 97;
  }
  return 97 - r === (b[s + 13] - 48) * 10 + (b[s + 14] - 48);
}

function sameBytes(b: Buffer, s: number, e: number, word: Buffer): boolean {
  if (e - s !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (b[s + i] !== word[i]) return false;
  return true;
}

/** The serial of the line parseInto last accepted. */
let parsedSerial = 0;

/**
 * parseLine's rules on the line's bytes `b[s, e)` (no end of line), without a string per line or field: writes the
 * line's COPY text at `out[o]` and answers the new end, or -(index of the reject in REJECTS + 1). `out` must have
 * room for the line's bytes plus 16. The two parsers are kept equal by a test over generated and damaged lines.
 */
export function parseInto(b: Buffer, s: number, e: number, lineNo: number, out: Buffer, o: number): number {
  let n = 0;
  for (let i = s; i < e; i++) {
    if (b[i] === 44) {
      if (n === FIELDS.length - 1) return -1;
      commas[n++] = i;
    }
  }
  if (n !== FIELDS.length - 1) return -1;
  commas[n] = e;
  const start = (f: number) => (f === 0 ? s : commas[f - 1] + 1);
  // serial: 1-12 digits, not 0
  const serial = digitsValue(b, s, commas[0], 12);
  if (serial <= 0) return -2;
  // chip_id: 1-32 upper-case hexadecimal digits
  const chipS = start(1);
  const chipE = commas[1];
  if (chipE - chipS < 1 || chipE - chipS > 32) return -3;
  for (let i = chipS; i < chipE; i++) {
    const c = b[i];
    if (!(isDigit(c) || (c >= 65 && c <= 70))) return -3;
  }
  if (!nirOk(b, start(2), commas[2])) return -4;
  if (digitsValue(b, start(3), commas[3], 9) < 0 || commas[3] - start(3) !== 9) return -5;
  const gen = start(4);
  if (commas[4] - gen !== 1 || (b[gen] !== 49 && b[gen] !== 50)) return -6;
  const stateS = start(5);
  const stateE = commas[5];
  let state = -1;
  for (let k = 0; k < STATE_BYTES.length; k++) if (sameBytes(b, stateS, stateE, STATE_BYTES[k])) state = k;
  if (state < 0) return -7;
  const reasonS = start(6);
  const reasonE = commas[6];
  if (state === OPPOSED) {
    let known = false;
    for (const r of REASON_BYTES) if (sameBytes(b, reasonS, reasonE, r)) known = true;
    if (!known) return -8;
  } else if (reasonE !== reasonS) return -8;
  const issuedS = start(7);
  if (!dateOk(b, issuedS, commas[7])) return -9;
  const updS = start(8);
  const updE = commas[8];
  if (updE !== updS) {
    if (!dateOk(b, updS, updE)) return -10;
    for (let i = 0; i < 10; i++) {
      const d = b[updS + i] - b[issuedS + i];
      if (d < 0) return -10;
      if (d > 0) break;
    }
  }
  const dv = digitsValue(b, start(9), commas[9], 10);
  if (dv < 0 || dv > 2_147_483_647) return -11;
  const dep = digitsValue(b, start(10), e, 2);
  if (dep < 0) return -12;
  parsedSerial = serial;
  // The COPY text: the line number, then the fields tab-separated, empty ones \N, numbers without leading zeros.
  // Bytes only: a string per line (even a number's) outlives young collections here and fills the old generation.
  o = writeDigits(out, o, lineNo);
  for (let f = 0; f < 11; f++) {
    out[o++] = 9;
    let fs = start(f);
    const fe = commas[f];
    if (f === 0 || f === 9 || f === 10) while (fs < fe - 1 && b[fs] === 48) fs++;
    if (fe === fs) {
      out[o++] = NULL_FIELD[0];
      out[o++] = NULL_FIELD[1];
    } else o += b.copy(out, o, fs, fe);
  }
  out[o++] = 10;
  return o;
}

/** Writes a positive whole number's decimal digits at `out[o]`; answers the new end. */
function writeDigits(out: Buffer, o: number, v: number): number {
  let n = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
  for (let i = o + n - 1, x = v; i >= o; i--, x = Math.floor(x / 10)) out[i] = 48 + (x % 10);
  return o + n;
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

/**
 * Reads a card-base/1 file as chunks of `chunkRows` data lines, bytes streamed through (memory holds two chunks'
 * COPY text and one line carried from a block to the next), lines found and parsed inside each block of bytes
 * (parseInto: no string per line). Throws CardBaseFileError for a file that cannot be a card-base/1 file or is cut
 * (gzip without its trailer).
 */
export async function* readCardBase(source: AsyncIterable<Buffer>, chunkRows: number): AsyncGenerator<ParsedChunk> {
  const NL = Buffer.from('\n');
  let lineNo = 0;
  let chunkNo = 0;
  let chainHash = '';
  let hasher = createHash('sha256');
  // Two buffers for the chunks' COPY text, used in turn (one chunk is being sent while the next is parsed).
  const buffers = [Buffer.allocUnsafe(chunkRows * 128 + 4096), Buffer.allocUnsafe(chunkRows * 128 + 4096)];
  let copy = buffers[0];
  let copyLength = 0;
  let rejects: CardBaseReject[] = [];
  let rows = 0;
  let maxSerial = 0;
  let minSerial = 0;
  let firstLine = 2;
  let inChunk = 0;
  // A line begun in an earlier block (at most MAX_LINE_BYTES of it), or an overlong line being skipped.
  let carry: Buffer | null = null;
  let skipping = false;

  const close = (): ParsedChunk => {
    hasher.update(chainHash);
    chainHash = hasher.digest('hex');
    const c: ParsedChunk = {
      chunkNo: ++chunkNo,
      firstLine,
      lastLine: lineNo,
      chainHash,
      copyText: copy.subarray(0, copyLength),
      rows,
      maxSerial,
      minSerial,
      rejects,
    };
    hasher = createHash('sha256');
    copy = buffers[chunkNo % 2];
    copyLength = 0;
    rejects = [];
    rows = 0;
    maxSerial = 0;
    minSerial = 0;
    inChunk = 0;
    firstLine = lineNo + 1;
    return c;
  };

  /** One line, `b[s, e)` without its '\n'; null for an overlong one. Answers whether the chunk is full. */
  const line = (b: Buffer | null, s: number, e: number): boolean => {
    lineNo++;
    if (b && e > s && b[e - 1] === 13) e--;
    if (lineNo === 1) {
      const text = b ? b.toString('latin1', s, e) : '';
      if (text.replace(/^\u00ef\u00bb\u00bf/, '') !== CARD_BASE_HEADER)
        throw new CardBaseFileError(() =>
          TakeoverErrors.CARD_IMPORT_HEADER_INVALID(
            `the first line must be the card-base/1 header: ${CARD_BASE_HEADER}`,
          ),
        );
      return false;
    }
    inChunk++;
    if (!b) rejects.push({ line: lineNo, code: 'LINE_TOO_LONG', field: null });
    else {
      if (copyLength + (e - s) + 32 > copy.length) {
        const bigger = Buffer.allocUnsafe(copy.length * 2);
        copy.copy(bigger, 0, 0, copyLength);
        buffers[chunkNo % 2] = copy = bigger;
      }
      const o = parseInto(b, s, e, lineNo, copy, copyLength);
      if (o >= 0) {
        copyLength = o;
        rows++;
        if (parsedSerial > maxSerial) maxSerial = parsedSerial;
        if (minSerial === 0 || parsedSerial < minSerial) minSerial = parsedSerial;
      } else rejects.push({ line: lineNo, code: REJECTS[-o - 1].code, field: REJECTS[-o - 1].field });
    }
    return inChunk === chunkRows;
  };

  /**
   * The lines of one block, chunks yielded as they fill. The chain hash covers every data line's bytes and its '\n'
   * (an overlong line counts as empty): runs of lines whole in the block are hashed as one range.
   */
  function* block(b: Buffer): Generator<ParsedChunk> {
    let start = 0;
    let hashFrom = -1;
    const flush = (to: number) => {
      if (hashFrom >= 0 && to > hashFrom) hasher.update(b.subarray(hashFrom, to));
      hashFrom = -1;
    };
    for (let nl = b.indexOf(10, start); nl !== -1; nl = b.indexOf(10, start)) {
      if (skipping) {
        skipping = false;
        carry = null;
        hasher.update(NL);
        if (line(null, 0, 0)) yield close();
      } else if (carry) {
        const whole: Buffer = Buffer.concat([carry, b.subarray(start, nl)]);
        carry = null;
        const tooLong = whole.length > MAX_LINE_BYTES;
        if (lineNo > 0) hasher.update(tooLong ? NL : Buffer.concat([whole, NL]));
        if (tooLong ? line(null, 0, 0) : line(whole, 0, whole.length)) yield close();
      } else {
        const tooLong = nl - start > MAX_LINE_BYTES;
        if (tooLong) {
          flush(start);
          if (lineNo > 0) hasher.update(NL);
        } else if (lineNo > 0 && hashFrom < 0) hashFrom = start;
        if (tooLong ? line(null, 0, 0) : line(b, start, nl)) {
          flush(nl + 1);
          yield close();
        }
      }
      start = nl + 1;
    }
    flush(start);
    if (start < b.length && !skipping) {
      const tail = b.subarray(start);
      carry = carry ? Buffer.concat([carry, tail]) : Buffer.from(tail);
      if (carry.length > MAX_LINE_BYTES) {
        skipping = true;
        carry = null;
      }
    }
  }

  for await (const b of plainBytes(source)) yield* block(b);
  if (skipping) {
    hasher.update(NL);
    if (line(null, 0, 0)) yield close();
  } else if ((carry as Buffer | null)?.length) {
    const last = carry as unknown as Buffer;
    if (lineNo > 0) hasher.update(Buffer.concat([last, NL]));
    if (line(last, 0, last.length)) yield close();
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
