import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CARD_BASE_HEADER,
  type CardBaseReject,
  type ParsedChunk,
  parseInto,
  parseLine,
  readCardBase,
  REJECTS,
} from '../src/takeover/card-base-parser.js';
import { makeNir } from './support/factories.js';

/** A seeded generator: the same lines on every run, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const TRICKY = [
  '',
  '0',
  '00',
  '000000000007',
  '1000000000000',
  '999999999999',
  'constructor',
  'toString',
  '__proto__',
  'active',
  'opposed',
  'destroyed',
  'Active',
  'surplus',
  'lost',
  'stolen',
  'fraud',
  'a1b2',
  'ABCDEF0123456789ABCDEF0123456789',
  'ABCDEF0123456789ABCDEF0123456789A',
  '2024-02-29',
  '2023-02-29',
  '1989-12-31',
  '1990-01-01',
  '2199-12-31',
  '2200-01-01',
  '2021-13-01',
  '2021-04-31',
  '2021-4-30',
  '2147483647',
  '2147483648',
  '9999999999',
  '12345678901',
  '99',
  '100',
  '1\t2',
  'a\\b',
  '\u00e9',
  ' 1',
  '1 ',
  '2A',
  '017510001',
  '01751000',
  '0175100011',
];

/** A good line, then damaged in one or two places (a field swapped for a tricky value, a byte changed, a comma). */
function lines(count: number, seed: number): string[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const state = pick(['active', 'opposed', 'destroyed']);
    const issued = `${1990 + Math.floor(r() * 40)}-0${1 + Math.floor(r() * 9)}-${10 + Math.floor(r() * 18)}`;
    const fields = [
      String(1 + Math.floor(r() * 999_999_999_999)),
      Math.floor(r() * 2 ** 40)
        .toString(16)
        .toUpperCase(),
      r() < 0.1 ? makeNir('2850620123456').replace(/^(\d{5})20/, '$12A') : makeNir(),
      pick(['017510001', '011751234', '999999999']),
      pick(['1', '2']),
      state,
      state === 'opposed' ? pick(['lost', 'stolen', 'fraud', 'replaced', 'destroyed', 'undeliverable']) : '',
      issued,
      r() < 0.3 ? '' : `${issued.slice(0, 3)}${Math.min(9, Number(issued[3]) + 1)}${issued.slice(4)}`,
      String(Math.floor(r() * 3000)),
      String(Math.floor(r() * 12)),
    ];
    const kind = r();
    if (kind < 0.35) {
      out.push(fields.join(','));
      continue;
    }
    if (kind < 0.75) fields[Math.floor(r() * fields.length)] = pick(TRICKY);
    let text = fields.join(',');
    if (kind >= 0.75 && kind < 0.9) {
      const at = Math.floor(r() * text.length);
      text = text.slice(0, at) + pick([',', '', 'X', '0', '-', '\t', '\u00ff']) + text.slice(at + 1);
    }
    if (kind >= 0.9) text += pick([',', ',1', '\r']);
    out.push(text);
  }
  return out;
}

describe('card-base/1 reader: the byte parser keeps the reference rules', () => {
  it('gives every line, good or damaged, the same COPY text or the same reject as the reference parser', () => {
    const out = Buffer.alloc(4096);
    let good = 0;
    const seen = new Set<string>();
    for (const [n, text] of lines(60_000, 14).entries()) {
      const lineNo = n + 2;
      const expected = parseLine(lineNo, text.endsWith('\r') ? text.slice(0, -1) : text);
      const bytes = Buffer.from(text.endsWith('\r') ? text.slice(0, -1) : text, 'latin1');
      const end = parseInto(bytes, 0, bytes.length, lineNo, out, 0);
      if ('copy' in expected) {
        good++;
        expect({ text, copy: end >= 0 ? out.toString('latin1', 0, end) : `reject ${end}` }).toEqual({
          text,
          copy: expected.copy,
        });
      } else {
        seen.add(expected.code + ':' + expected.field);
        expect({ text, reject: end < 0 ? REJECTS[-end - 1] : 'accepted' }).toEqual({
          text,
          reject: { code: expected.code, field: expected.field },
        });
      }
    }
    // The lines cover every outcome: good lines and each reject of the format.
    expect(good).toBeGreaterThan(10_000);
    expect([...seen].sort()).toEqual([
      'CHIP_ID_INVALID:chip_id',
      'DATA_VERSION_INVALID:data_version',
      'DATE_INVALID:issued_on',
      'DATE_INVALID:last_updated_on',
      'DEPENDANTS_INVALID:dependants',
      'FIELD_COUNT:null',
      'GENERATION_INVALID:generation',
      'NIR_INVALID:holder_nir',
      'OPPOSITION_REASON_INVALID:opposition_reason',
      'ORGANISME_INVALID:organisme',
      'SERIAL_INVALID:serial',
      'STATE_INVALID:state',
    ]);
  });

  it('reads the same chunks whatever the blocks the bytes come in, and hashes each line and its end of line', async () => {
    const body = lines(2_000, 7);
    body.splice(100, 0, 'x'.repeat(1500)); // too long
    body.splice(700, 0, '9'.repeat(1013) + ',,,,,,,,,,'); // 1,024 bytes with its '\r': the longest line read
    body.splice(900, 0, ''); // empty
    const text = [CARD_BASE_HEADER, ...body].join('\r\n'); // Windows ends of line, none after the last line
    const bytes = Buffer.from(text, 'latin1');
    const read = async (blockSize: number) => {
      async function* blocks() {
        for (let i = 0; i < bytes.length; i += blockSize) yield bytes.subarray(i, i + blockSize);
      }
      const chunks: Array<Omit<ParsedChunk, 'copyText'> & { copy: string }> = [];
      for await (const c of readCardBase(blocks(), 97)) {
        const { copyText, ...rest } = c;
        chunks.push({ ...rest, copy: copyText.toString('latin1') });
      }
      return chunks;
    };
    const whole = await read(bytes.length);
    for (const size of [1, 7, 1000, 1025, 65_536]) expect(await read(size)).toEqual(whole);

    // The chain hash: SHA-256 of the chunk's lines, each with its '\n' (an overlong one as empty), then the previous hash.
    const raw = text.split('\n').slice(1);
    let chain = '';
    let i = 0;
    for (const c of whole) {
      const h = createHash('sha256');
      for (; i < c.lastLine - 1; i++) h.update(raw[i].length > 1024 ? '\n' : raw[i] + '\n', 'latin1');
      h.update(chain);
      chain = h.digest('hex');
      expect(c.chainHash).toBe(chain);
    }
    const rejects = whole.flatMap((c) => c.rejects);
    expect(rejects).toContainEqual<CardBaseReject>({ line: 102, code: 'LINE_TOO_LONG', field: null });
    expect(rejects).toContainEqual<CardBaseReject>({ line: 702, code: 'SERIAL_INVALID', field: 'serial' });
    expect(rejects).toContainEqual<CardBaseReject>({ line: 902, code: 'FIELD_COUNT', field: null });
    expect(whole.at(-1)!.lastLine).toBe(body.length + 1);
    expect(whole.reduce((n, c) => n + c.rows + c.rejects.length, 0)).toBe(body.length);
  });
});
