/**
 * Minimal RFC 4180-style parsing of one line (quotes, doubled quotes), with a chosen separator.
 * Partner files are one record per line: a quoted field may not span lines.
 */
export function parseCsvLine(line: string, sep = ';'): string[] | null {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let i = 0;
  let field = '';
  let quoted = false;
  while (i < line.length) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
      continue;
    }
    if (c === sep) {
      out.push(field);
      field = '';
      i++;
      continue;
    }
    if (c === '"') return null;
    field += c;
    i++;
  }
  if (quoted) return null;
  out.push(field);
  return out;
}

/** Splits a text into lines (LF or CRLF), numbered from 1, dropping a UTF-8 BOM. */
export function* numberedLines(text: string): Generator<[number, string]> {
  let start = 0;
  let n = 0;
  if (text.charCodeAt(0) === 0xfeff) start = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    n++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (!(end === text.length && line === '')) yield [n, line];
    start = end + 1;
  }
}
