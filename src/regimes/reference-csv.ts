import { numberedLines, parseCsvLine } from '../platform/files/csv.js';
import type { ReferenceRows } from './regimes.repository.js';

/** Format `organismes-csv/1`, documented in docs/formats/organismes-csv.md. */
export const REFERENCE_HEADER = ['organisme_code', 'regime_name', 'fund_name', 'centre_name', 'city'];

export interface LineError {
  line: number;
  code: string;
  message: string;
}

const NAME = /^[\p{L}\p{N} '’().,\-/&]{1,120}$/u;

/**
 * Parses a reference file. Reference data must be consistent as a whole, so a file with any bad line
 * is refused entirely (every bad line is reported); `rows` is set only when there is none.
 */
export function parseReferenceCsv(text: string): { rows?: ReferenceRows; errors: LineError[] } {
  const errors: LineError[] = [];
  const regimes = new Map<string, string>();
  const funds = new Map<string, { regimeCode: string; name: string }>();
  const organismes = new Map<string, ReferenceRows['organismes'][number]>();
  let sawHeader = false;
  for (const [line, raw] of numberedLines(text)) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const fields = parseCsvLine(raw, ';');
    if (!sawHeader) {
      sawHeader = true;
      if (!fields || fields.join(';') !== REFERENCE_HEADER.join(';')) {
        errors.push({ line, code: 'HEADER_INVALID', message: `expected header ${REFERENCE_HEADER.join(';')}` });
        break;
      }
      continue;
    }
    if (!fields || fields.length !== REFERENCE_HEADER.length) {
      errors.push({
        line,
        code: 'FIELD_COUNT',
        message: `expected ${REFERENCE_HEADER.length} fields separated by ';'`,
      });
      continue;
    }
    const [code, regimeName, fundName, centreName, city] = fields.map((f) => f.trim());
    if (!/^\d{9}$/.test(code) || code.startsWith('00')) {
      errors.push({
        line,
        code: 'ORGANISME_CODE_INVALID',
        message: 'organisme_code must be 9 digits (regime 2, caisse 3, centre 4), regime not 00',
      });
      continue;
    }
    const bad = [
      ['regime_name', regimeName],
      ['fund_name', fundName],
      ['centre_name', centreName],
    ].find(([, v]) => !NAME.test(v));
    if (bad) {
      errors.push({
        line,
        code: 'NAME_INVALID',
        message: `${bad[0]} must be 1 to 120 letters, digits, spaces or punctuation`,
      });
      continue;
    }
    if (city && !NAME.test(city)) {
      errors.push({ line, code: 'NAME_INVALID', message: 'city must be at most 120 letters' });
      continue;
    }
    const regimeCode = code.slice(0, 2);
    const fundCode = code.slice(0, 5);
    if (regimes.has(regimeCode) && regimes.get(regimeCode) !== regimeName) {
      errors.push({
        line,
        code: 'REGIME_NAME_CONFLICT',
        message: `regime ${regimeCode} already named differently in this file`,
      });
      continue;
    }
    if (funds.has(fundCode) && funds.get(fundCode)!.name !== fundName) {
      errors.push({
        line,
        code: 'FUND_NAME_CONFLICT',
        message: `fund ${fundCode} already named differently in this file`,
      });
      continue;
    }
    if (organismes.has(code)) {
      errors.push({ line, code: 'DUPLICATE_ORGANISME', message: `organisme ${code} appears twice` });
      continue;
    }
    regimes.set(regimeCode, regimeName);
    funds.set(fundCode, { regimeCode, name: fundName });
    organismes.set(code, { code, fundCode, regimeCode, name: centreName, city: city || null });
  }
  if (!sawHeader) errors.push({ line: 1, code: 'EMPTY_FILE', message: 'the file has no header and no data' });
  if (errors.length) return { errors };
  return {
    errors,
    rows: {
      regimes: [...regimes].map(([code, name]) => ({ code, name })),
      funds: [...funds].map(([code, f]) => ({ code, ...f })),
      organismes: [...organismes.values()],
    },
  };
}
