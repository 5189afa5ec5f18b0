import { numberedLines, parseCsvLine } from '../platform/files/csv.js';
import { DomainError } from '../platform/errors/domain-error.js';
import { validateRecord } from '../update/card-records.js';
import { checkNirField, type Checked } from './beneficiary-input.js';
import type { DependantInput } from './beneficiary.repository.js';
import { checkAttachmentPeriod, checkDependant } from './family-input.js';
import { type ImportFormat, ImportFileError, type ImportReject } from './import-parser.js';

/**
 * Format `attachments-import/1` (docs/formats/attachments-import.md): one line per attachment of a dependant to an
 * insured parent of the importing fund, CSV with a header or NDJSON. Pure functions: the upload checks the file's
 * shape, the job parses and validates every line; the register then checks each line against the family rules.
 */
export const ATTACHMENTS_FORMAT_VERSION = 'attachments-import/1';

export const ATTACHMENTS_CSV_HEADER = [
  'parent_nir',
  'dependant_nir',
  'first_name',
  'birth_name',
  'usage_name',
  'birth_date',
  'birth_rank',
  'valid_from',
  'valid_to',
  'coverage',
  'ald_periods',
] as const;

const NDJSON_FIELDS = new Set([
  'parentNir',
  'dependantNir',
  'firstName',
  'birthName',
  'usageName',
  'birthDate',
  'birthRank',
  'validFrom',
  'validTo',
  'coverage',
  'aldPeriods',
]);

const CSV_COLUMN: Record<string, string> = {
  parentNir: 'parent_nir',
  dependantNir: 'dependant_nir',
  nir: 'dependant_nir',
  firstName: 'first_name',
  birthName: 'birth_name',
  usageName: 'usage_name',
  birthDate: 'birth_date',
  birthRank: 'birth_rank',
  validFrom: 'valid_from',
  validTo: 'valid_to',
  coverage: 'coverage',
  aldPeriods: 'ald_periods',
};

/** One good line: the parent by NIR, the dependant (NIR required here), the period and the rights. */
export interface AttachmentImportRow {
  line: number;
  parentNir: string;
  dependant: DependantInput & { nir: string };
  validFrom: string;
  validTo: string | null;
  coverage: unknown[];
  aldPeriods: unknown[];
}

export interface ParsedAttachments {
  rows: AttachmentImportRow[];
  rejects: ImportReject[];
  total: number;
}

type RawLine = Record<string, unknown>;
type Read = { raw: RawLine } | { error: { code: string; field: string | null; message: string } };

/** The upload's check of the whole file: encoding is the caller's; header, at least one and at most `maxRows` lines. */
export function inspectAttachments(format: ImportFormat, text: string, maxRows: number): number {
  let rows = 0;
  let header = format === 'ndjson';
  for (const [, raw] of numberedLines(text)) {
    if (raw.trim() === '') continue;
    if (!header) {
      checkHeader(raw);
      header = true;
      continue;
    }
    if (++rows > maxRows)
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
  if (!fields || fields.map((f) => f.trim().toLowerCase()).join(';') !== ATTACHMENTS_CSV_HEADER.join(';')) {
    throw new ImportFileError(
      'IMPORT_HEADER_INVALID',
      `the first line must be the header ${ATTACHMENTS_CSV_HEADER.join(';')}`,
    );
  }
}

/**
 * Parses and validates every line: good rows normalised, each bad one reported once by line with a stable code,
 * the field in the file's naming and a message that never quotes the data. The same dependant under the same
 * parent on two lines is kept on its first line.
 */
export function parseAttachments(format: ImportFormat, text: string, today: string): ParsedAttachments {
  const rows: AttachmentImportRow[] = [];
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
      rejects.push({ line, ...read.error });
      continue;
    }
    const row = checkLine(read.raw, today);
    if (!row.ok) {
      const field = fieldName(format, row.error.field);
      rejects.push({ line, code: row.error.code, field, message: row.error.message.replace(row.error.field, field) });
      continue;
    }
    const key = `${row.value.parentNir}/${row.value.dependant.nir}`;
    const first = seen.get(key);
    if (first !== undefined) {
      rejects.push({
        line,
        code: 'DUPLICATE_IN_FILE',
        field: fieldName(format, 'dependantNir'),
        message: `the same dependant under the same parent is already on line ${first}`,
      });
      continue;
    }
    seen.set(key, line);
    rows.push({ line, ...row.value });
  }
  return { rows, rejects, total };
}

type LineError = { code: string; field: string; message: string };

function checkLine(
  raw: RawLine,
  today: string,
): { ok: true; value: Omit<AttachmentImportRow, 'line'> } | { ok: false; error: LineError } {
  const parent = checkNirField(raw.parentNir);
  if (!parent.ok) return { ok: false, error: { ...parent.error, field: 'parentNir' } };
  const noNir = raw.dependantNir === undefined || raw.dependantNir === null || raw.dependantNir === '';
  if (noNir)
    return {
      ok: false,
      error: {
        code: 'DEPENDANT_NIR_REQUIRED',
        field: 'dependantNir',
        message:
          'dependantNir is required (a temporary number will do); declare a newborn without NIR with POST /v1/births',
      },
    };
  // The address is the parent's, filled in when the line is applied.
  const d: Checked<DependantInput> = checkDependant(
    { ...raw, nir: raw.dependantNir, addressLines: undefined },
    today,
    [],
  );
  if (!d.ok)
    return { ok: false, error: { ...d.error, field: d.error.field === 'nir' ? 'dependantNir' : d.error.field } };
  const period = checkAttachmentPeriod(raw, d.value.birthDate, today);
  if (!period.ok) return { ok: false, error: { code: 'ATTACHMENT_DATES_INVALID', ...period.fault } };
  const coverage = rights('coverage', raw.coverage, 'coverage');
  if (!coverage.ok) return coverage;
  const aldPeriods = rights('ald_periods', raw.aldPeriods, 'aldPeriods');
  if (!aldPeriods.ok) return aldPeriods;
  return {
    ok: true,
    value: {
      parentNir: parent.value.nir,
      dependant: { ...d.value, nir: d.value.nir! },
      validFrom: period.validFrom,
      validTo: period.validTo,
      coverage: coverage.value,
      aldPeriods: aldPeriods.value,
    },
  };
}

/** The rights as the chip records hold them; their validator's faults become one reject (CARD_DATA_INVALID). */
function rights(
  recordType: 'coverage' | 'ald_periods',
  raw: unknown,
  field: string,
): { ok: true; value: unknown[] } | { ok: false; error: LineError } {
  try {
    return { ok: true, value: validateRecord(recordType, raw ?? []) as unknown[] };
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return { ok: false, error: { code: e.code, field, message: `${field} is not a valid ${recordType} record` } };
  }
}

function readCsv(text: string): Read {
  const f = parseCsvLine(text, ';');
  if (!f)
    return {
      error: { code: 'CSV_SYNTAX', field: null, message: 'a quoted field is not closed or a quote is misplaced' },
    };
  if (f.length !== ATTACHMENTS_CSV_HEADER.length)
    return {
      error: {
        code: 'FIELD_COUNT',
        field: null,
        message: `expected ${ATTACHMENTS_CSV_HEADER.length} fields separated by ';', found ${f.length}`,
      },
    };
  const v = f.map((x) => x.trim());
  const coverage = csvList(v[9], ['aldDigit', 'situation']);
  const ald = csvList(v[10], ['aldCode', 'from', 'to']);
  if (!coverage)
    return {
      error: {
        code: 'FIELD_TYPE',
        field: 'coverage',
        message: 'coverage is aldDigit/situation entries separated by |',
      },
    };
  if (!ald)
    return {
      error: {
        code: 'FIELD_TYPE',
        field: 'ald_periods',
        message: 'ald_periods is aldCode/from/to entries separated by |',
      },
    };
  return {
    raw: {
      parentNir: v[0],
      dependantNir: v[1],
      firstName: v[2],
      birthName: v[3],
      usageName: v[4] || null,
      birthDate: v[5],
      birthRank: v[6] || undefined,
      validFrom: v[7] || undefined,
      validTo: v[8] || undefined,
      coverage: coverage.map((c) => ({
        aldDigit: /^\d+$/.test(String(c.aldDigit)) ? Number(c.aldDigit) : c.aldDigit,
        situation: c.situation,
      })),
      aldPeriods: ald.map((a) => ({ aldCode: a.aldCode, from: a.from, to: a.to || null })),
    },
  };
}

/** `a/b|a/b` → [{k1: a, k2: b}, ...]; empty → []; null when an entry has more parts than keys. */
function csvList(cell: string, keys: string[]): Array<Record<string, string>> | null {
  if (cell === '') return [];
  const out: Array<Record<string, string>> = [];
  for (const entry of cell.split('|')) {
    const parts = entry.split('/').map((p) => p.trim());
    if (parts.length > keys.length) return null;
    out.push(Object.fromEntries(keys.map((k, i) => [k, parts[i] ?? ''])));
  }
  return out;
}

function readNdjson(text: string): Read {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return { error: { code: 'JSON_INVALID', field: null, message: 'the line is not valid JSON' } };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    return { error: { code: 'JSON_INVALID', field: null, message: 'each line must be one JSON object' } };
  const o = obj as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !NDJSON_FIELDS.has(k));
  if (unknown !== undefined) {
    const shown = /^[A-Za-z0-9_]{1,40}$/.test(unknown) ? unknown : null;
    return {
      error: { code: 'FIELD_UNKNOWN', field: shown, message: 'the object has a field that is not in the format' },
    };
  }
  for (const k of ['parentNir', 'firstName', 'birthName', 'birthDate']) {
    if (o[k] === undefined || o[k] === null)
      return { error: { code: 'FIELD_MISSING', field: k, message: `${k} is required` } };
    if (typeof o[k] !== 'string') return { error: { code: 'FIELD_TYPE', field: k, message: `${k} must be a string` } };
  }
  for (const k of ['dependantNir', 'usageName', 'validFrom', 'validTo']) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'string')
      return { error: { code: 'FIELD_TYPE', field: k, message: `${k} must be a string or null` } };
  }
  if (o.birthRank !== undefined && o.birthRank !== null && typeof o.birthRank !== 'number')
    return { error: { code: 'FIELD_TYPE', field: 'birthRank', message: 'birthRank must be a number' } };
  return { raw: o };
}

/** Maps a camelCase field to the file's naming (`valid_from` in CSV). */
function fieldName(format: ImportFormat, field: string): string {
  if (format === 'ndjson') return field === 'nir' ? 'dependantNir' : field;
  return CSV_COLUMN[field] ?? field;
}
