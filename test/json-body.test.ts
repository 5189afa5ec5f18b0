import { describe, expect, it } from 'vitest';
import { DomainError } from '../src/platform/errors/domain-error.js';
import { JSON_MAX_DEPTH, parseJsonBody } from '../src/platform/validation/json-body.js';

const codeOf = (text: string): string | null => {
  try {
    parseJsonBody(text);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).message).not.toContain('CANARY');
    return (e as DomainError).code;
  }
};

describe('the JSON body reader', () => {
  it('reads what JSON.parse reads, strings holding brackets, quotes and escapes included', () => {
    const docs = [
      { a: 1, b: [true, null, { c: 'x' }], d: 'é 👍 "q" \\ [{]}', e: -1.5e3 },
      [1, 'two', { three: [] }],
      'text',
      12,
      true,
      null,
      {},
    ];
    for (const d of docs) expect(parseJsonBody(JSON.stringify(d))).toEqual(d);
    expect(parseJsonBody('{"a":"\\u00e9"}')).toEqual({ a: 'é' });
    expect(parseJsonBody('  ')).toBeUndefined();
  });

  it(`accepts ${JSON_MAX_DEPTH} levels and refuses one more (never building the deep value)`, () => {
    expect(codeOf('['.repeat(JSON_MAX_DEPTH) + ']'.repeat(JSON_MAX_DEPTH))).toBeNull();
    expect(codeOf('['.repeat(JSON_MAX_DEPTH + 1) + ']'.repeat(JSON_MAX_DEPTH + 1))).toBe('JSON_TOO_DEEP');
    expect(codeOf(`{"a":${'{"b":'.repeat(100_000)}1${'}'.repeat(100_000)}}`)).toBe('JSON_TOO_DEEP');
    // Brackets inside strings do not count.
    expect(codeOf(JSON.stringify({ a: '['.repeat(1000) }))).toBeNull();
  });

  it('refuses an object naming a key twice, however the key is escaped, but not the same key in two objects', () => {
    expect(codeOf('{"CANARY":1,"CANARY":2}')).toBe('JSON_DUPLICATE_KEY');
    expect(codeOf('{"a":1,"\\u0061":2}')).toBe('JSON_DUPLICATE_KEY');
    expect(codeOf('{"a":{"b":1},"c":{"b":2}}')).toBeNull();
    expect(codeOf('[{"a":1},{"a":2}]')).toBeNull();
    expect(codeOf('{"a":"b","b":"a"}')).toBeNull();
  });

  it('refuses __proto__, constructor and prototype keys at any depth', () => {
    for (const key of ['__proto__', 'constructor', 'prototype', '\\u005f_proto__']) {
      expect(codeOf(`{"x":[{"${key}":{"CANARY":1}}]}`), key).toBe('JSON_FORBIDDEN_KEY');
    }
    expect(codeOf('{"a":"__proto__"}')).toBeNull();
  });

  it('leaves line breaks to each field (an OpenSSH key line read from a file ends with one)', () => {
    expect(parseJsonBody('{"publicKey":"ssh-ed25519 AAAA x@y\\n"}')).toEqual({ publicKey: 'ssh-ed25519 AAAA x@y\n' });
  });

  it('refuses text that is not printable, in values and in keys, raw or escaped', () => {
    for (const doc of [
      '{"a":"CANARY\\u0000"}',
      '{"a":"\\t"}',
      '{"a":"x\u202Ey"}',
      '{"CANARY\\u001b":1}',
      '["\\ud800"]',
      '{"a":"\u200Bb"}',
    ]) {
      expect(codeOf(doc), doc).toBe('TEXT_NOT_PRINTABLE');
    }
  });

  it('answers malformed JSON with MALFORMED_BODY, never quoting it', () => {
    for (const doc of ['{"CANARY":', '{"CANARY" 1}', 'CANARY', '{"a":"CANARY', '[1,]', '{"a":1}}']) {
      expect(codeOf(doc), doc).toBe('MALFORMED_BODY');
    }
  });
});
