/**
 * Code 128 (ISO/IEC 15417) encoder, enough for the form number: code set C for runs of digits (two per
 * symbol), code set B for printable ASCII. Returns the symbol values and the bar/space widths in modules,
 * which the form renderer draws as rectangles (no barcode font, nothing fetched).
 */

/** Bar/space widths (bar first) of symbol values 0..105; each sums to 11 modules. */
const PATTERNS = [
  '212222',
  '222122',
  '222221',
  '121223',
  '121322',
  '131222',
  '122213',
  '122312',
  '132212',
  '221213',
  '221312',
  '231212',
  '112232',
  '122132',
  '122231',
  '113222',
  '123122',
  '123221',
  '223211',
  '221132',
  '221231',
  '213212',
  '223112',
  '312131',
  '311222',
  '321122',
  '321221',
  '312212',
  '322112',
  '322211',
  '212123',
  '212321',
  '232121',
  '111323',
  '131123',
  '131321',
  '112313',
  '132113',
  '132311',
  '211313',
  '231113',
  '231311',
  '112133',
  '112331',
  '132131',
  '113123',
  '113321',
  '133121',
  '313121',
  '211331',
  '231131',
  '213113',
  '213311',
  '213131',
  '311123',
  '311321',
  '331121',
  '312113',
  '312311',
  '332111',
  '314111',
  '221411',
  '431111',
  '111224',
  '111422',
  '121124',
  '121421',
  '141122',
  '141221',
  '112214',
  '112412',
  '122114',
  '122411',
  '142112',
  '142211',
  '241211',
  '221114',
  '413111',
  '241112',
  '134111',
  '111242',
  '121142',
  '121241',
  '114212',
  '124112',
  '124211',
  '411212',
  '421112',
  '421211',
  '212141',
  '214121',
  '412121',
  '111143',
  '111341',
  '131141',
  '114113',
  '114311',
  '411113',
  '411311',
  '113141',
  '114131',
  '311141',
  '411131',
  '211412',
  '211214',
  '211232',
];
/** The stop symbol: 13 modules (the final 2-module bar included). */
const STOP_PATTERN = '2331112';

export const CODE128 = { START_B: 104, START_C: 105, TO_B: 100, TO_C: 99, STOP: 106, PATTERNS, STOP_PATTERN } as const;

const isDigit = (c: string) => c >= '0' && c <= '9';

function digitRun(text: string, from: number): number {
  let n = 0;
  while (from + n < text.length && isDigit(text[from + n])) n++;
  return n;
}

/** Symbol values: start, data, checksum, stop. Throws on characters outside printable ASCII. */
export function code128Symbols(text: string): number[] {
  if (text.length === 0) throw new Error('Code 128: nothing to encode');
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code < 32 || code > 126) throw new Error('Code 128: only printable ASCII is supported');
  }
  const data: number[] = [];
  // Set C (two digits per symbol) pays off for an even run of 4+ digits, or a text made only of an even number of digits.
  const first = digitRun(text, 0);
  let set: 'B' | 'C' = first % 2 === 0 && (first >= 4 || (first >= 2 && first === text.length)) ? 'C' : 'B';
  const start = set === 'C' ? CODE128.START_C : CODE128.START_B;
  let i = 0;
  while (i < text.length) {
    if (set === 'C') {
      if (digitRun(text, i) >= 2) {
        data.push(Number(text.slice(i, i + 2)));
        i += 2;
        continue;
      }
      data.push(CODE128.TO_B);
      set = 'B';
      continue;
    }
    // In set B: switch to C at a run of 4+ digits, after one digit in B when the run is odd.
    const run = digitRun(text, i);
    if (run >= 4 && run % 2 === 0) {
      data.push(CODE128.TO_C);
      set = 'C';
      continue;
    }
    data.push(text.charCodeAt(i) - 32);
    i++;
  }
  const checksum = data.reduce((sum, v, k) => sum + v * (k + 1), start) % 103;
  return [start, ...data, checksum, CODE128.STOP];
}

/** Widths in modules, alternating bar, space, bar, ... (starts and ends with a bar), quiet zones excluded. */
export function code128Widths(text: string): number[] {
  const symbols = code128Symbols(text);
  const widths: number[] = [];
  for (const s of symbols) {
    const pattern = s === CODE128.STOP ? STOP_PATTERN : PATTERNS[s];
    for (const w of pattern) widths.push(Number(w));
  }
  return widths;
}
