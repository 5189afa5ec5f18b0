import { numberedLines, parseCsvLine } from '../platform/files/csv.js';
import { type BeneficiaryInput, checkBeneficiary, type RawBeneficiary } from './beneficiary-input.js';
import type { ImportFileCode } from './register.errors.js';

/**
 * Format `beneficiaries-import/1` (docs/formats/beneficiaries-import.md): CSV with a header, or NDJSON.
 * Pure functions: the upload checks the file's shape, the job parses and validates every line.
 */
export const IMPORT_FORMAT_VERSION = 'beneficiaries-import/1';
export type ImportFormat = 'csv' | 'ndjson';

export const CSV_HEADER = [
  'nir',
  'first_name',
  'birth_name',
  'usage_name',
  'birth_date',
  'birth_rank',
  'address_line_1',
  'address_line_2',
  'address_line_3',
  'address_line_4',
  'address_line_5',
  'address_line_6',
  'affiliated_from',
] as const;

const NDJSON_FIELDS = new Set([
  'nir',
  'firstName',
  'birthName',
  'usageName',
  'birthDate',
  'birthRank',
  'addressLines',
  'affiliatedFrom',
]);
const NDJSON_REQUIRED = ['nir', 'firstName', 'birthName', 'birthDate', 'addressLines'];

const CSV_COLUMN: Record<string, string> = {
  nir: 'nir',
  firstName: 'first_name',
  birthName: 'birth_name',
  usageName: 'usage_name',
  birthDate: 'birth_date',
  birthRank: 'birth_rank',
  addressLines: 'address_line_1',
  affiliatedFrom: 'affiliated_from',
};

export interface ImportRow extends BeneficiaryInput {
  /** Physical line in the file (the CSV header is line 1). */
  line: number;
}

export interface ImportReject {
  line: number;
  code: string;
  field: string | null;
  message: string;
}

export interface ParsedImport {
  rows: ImportRow[];
  rejects: ImportReject[];
  /** Data lines (blank lines and the CSV header not counted). */
  total: number;
}

/** A refusal of the whole file (answered at upload time, before anything is stored). */
export class ImportFileError extends Error {
  constructor(
    readonly code: ImportFileCode,
    message: string,
  ) {
    super(message);
  }
}

/** The media types accepted for an import, by format. */
export function formatOf(contentType: string | undefined): ImportFormat | null {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/jsonl') return 'ndjson';
  return null;
}

/** Strict UTF-8 decoding: a file in another encoding is refused rather than silently garbled. */
export function decodeUtf8(payload: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw new ImportFileError('IMPORT_ENCODING_INVALID', 'the file must be encoded in UTF-8');
  }
}

/**
 * Checks the file as a whole without validating its rows: encoding, header, at least one and at most
 * `maxRows` data lines. Returns the number of data lines.
 */
export function inspectImport(format: ImportFormat, text: string, maxRows: number): number {
  let rows = 0;
  let header = format === 'ndjson';
  for (const [, raw] of numberedLines(text)) {
    if (raw.trim() === '') continue;
    if (!header) {
      checkHeader(raw);
      header = true;
      continue;
    }
    rows++;
    if (rows > maxRows)
      throw new ImportFileError('IMPORT_TOO_MANY_ROWS', `the file has more than ${maxRows} rows; split it`);
  }
  if (rows === 0)
    throw new ImportFileError(
      'IMPORT_EMPTY',
      format === 'csv' ? 'the file has no data line after its header' : 'the file has no line',
    );
  return rows;
}

function checkHeader(raw: string): void {
  const fields = parseCsvLine(raw, ';');
  if (!fields || fields.map((f) => f.trim().toLowerCase()).join(';') !== CSV_HEADER.join(';')) {
    throw new ImportFileError('IMPORT_HEADER_INVALID', `the first line must be the header ${CSV_HEADER.join(';')}`);
  }
}

/**
 * Parses and validates every line. Good rows are returned normalised; each bad row is reported once, by line,
 * with a stable code, the field (in the file's own naming) and a message that never quotes the data.
 * A NIR present on several good lines is kept on its first line and rejected on the others.
 */
export function parseImport(format: ImportFormat, text: string, today: string): ParsedImport {
  const rows: ImportRow[] = [];
  const rejects: ImportReject[] = [];
  const seen = new Map<string, number>();
  let total = 0;
  let header = format === 'ndjson';
  for (const [line, raw] of numberedLines(text)) {
    if (raw.trim() === '') continue;
    if (!header) {
      checkHeader(raw);
      header = true;
      continue;
    }
    total++;
    const read = format === 'csv' ? readCsv(raw) : readNdjson(raw);
    if ('error' in read) {
      rejects.push({ line, code: read.error.code, field: read.error.field, message: read.error.message });
      continue;
    }
    const checked = checkBeneficiary(read.raw, today);
    if (!checked.ok) {
      const field = fieldName(format, checked.error.field);
      rejects.push({
        line,
        code: checked.error.code,
        field,
        message: checked.error.message.replace(checked.error.field, field),
      });
      continue;
    }
    const first = seen.get(checked.value.nir);
    if (first !== undefined) {
      rejects.push({
        line,
        code: 'DUPLICATE_IN_FILE',
        field: fieldName(format, 'nir'),
        message: `the same NIR is already on line ${first}`,
      });
      continue;
    }
    seen.set(checked.value.nir, line);
    rows.push({ line, ...checked.value });
  }
  return { rows, rejects, total };
}

type Read = { raw: RawBeneficiary } | { error: { code: string; field: string | null; message: string } };

function readCsv(text: string): Read {
  const f = parseCsvLine(text, ';');
  if (!f)
    return {
      error: { code: 'CSV_SYNTAX', field: null, message: 'a quoted field is not closed or a quote is misplaced' },
    };
  if (f.length !== CSV_HEADER.length) {
    return {
      error: {
        code: 'FIELD_COUNT',
        field: null,
        message: `expected ${CSV_HEADER.length} fields separated by ';', found ${f.length}`,
      },
    };
  }
  const v = f.map((x) => x.trim());
  return {
    raw: {
      nir: v[0],
      firstName: v[1],
      birthName: v[2],
      usageName: v[3] || null,
      birthDate: v[4],
      birthRank: v[5] || undefined,
      addressLines: v.slice(6, 12),
      affiliatedFrom: v[12] || undefined,
    },
  };
}

function readNdjson(text: string): Read {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return { error: { code: 'JSON_INVALID', field: null, message: 'the line is not valid JSON' } };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { error: { code: 'JSON_INVALID', field: null, message: 'each line must be one JSON object' } };
  }
  const o = obj as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !NDJSON_FIELDS.has(k));
  if (unknown !== undefined) {
    const shown = /^[A-Za-z0-9_]{1,40}$/.test(unknown) ? unknown : null;
    return {
      error: { code: 'FIELD_UNKNOWN', field: shown, message: 'the object has a field that is not in the format' },
    };
  }
  const missing = NDJSON_REQUIRED.find((k) => o[k] === undefined || o[k] === null);
  if (missing) return { error: { code: 'FIELD_MISSING', field: missing, message: `${missing} is required` } };
  for (const k of ['nir', 'firstName', 'birthName', 'birthDate']) {
    if (typeof o[k] !== 'string') return { error: { code: 'FIELD_TYPE', field: k, message: `${k} must be a string` } };
  }
  for (const k of ['usageName', 'affiliatedFrom']) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'string')
      return { error: { code: 'FIELD_TYPE', field: k, message: `${k} must be a string or null` } };
  }
  if (o.birthRank !== undefined && o.birthRank !== null && typeof o.birthRank !== 'number') {
    return { error: { code: 'FIELD_TYPE', field: 'birthRank', message: 'birthRank must be a number' } };
  }
  if (!Array.isArray(o.addressLines) || o.addressLines.some((l) => typeof l !== 'string')) {
    return {
      error: { code: 'FIELD_TYPE', field: 'addressLines', message: 'addressLines must be an array of strings' },
    };
  }
  return { raw: o as RawBeneficiary };
}

/** Maps a camelCase field (`addressLines[2]`) to the file's naming (`address_line_3` in CSV). */
function fieldName(format: ImportFormat, field: string): string {
  if (format === 'ndjson') return field;
  const m = /^addressLines\[(\d+)\]$/.exec(field);
  if (m) return `address_line_${Number(m[1]) + 1}`;
  return CSV_COLUMN[field] ?? field;
}
