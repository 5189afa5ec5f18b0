import { describe, expect, it } from 'vitest';
import { isPrintable, textFault, textFaultMessage } from '../src/platform/validation/text.js';

describe('the printable-text rule', () => {
  it('accepts ordinary text, accents, punctuation and emoji pairs', () => {
    for (const s of ['Pharmacie du Centre', 'Élodie d’Arc', 'n° 12, bât. B', '€ 10', 'ok 👍'])
      expect(isPrintable(s)).toBe(true);
  });

  it('refuses NUL, controls, line breaks, bidi overrides, zero-width characters, BOM and lone surrogates', () => {
    for (const s of [
      'a\u0000b',
      'a\tb',
      'a\nb',
      'a\u0085b',
      '\u202Eabc',
      'a\u2066b',
      'a\u200Bb',
      '\uFEFFa',
      'a\uD800',
      '\uDC00a',
      'a\uFFFE',
    ]) {
      expect(isPrintable(s), JSON.stringify(s)).toBe(false);
    }
  });

  it('names the fault and says how to fix it without quoting the value', () => {
    expect(textFault(12, 10)).toBe('not_text');
    expect(textFault('', 10)).toBe('empty');
    expect(textFault('', 10, { allowEmpty: true })).toBeNull();
    expect(textFault('x'.repeat(11), 10)).toBe('too_long');
    expect(textFault('a\u0000', 10)).toBe('not_printable');
    expect(textFaultMessage('label', 'too_long', 10)).toBe('label must be at most 10 characters');
    expect(textFaultMessage('label', 'not_printable', 10)).not.toContain('\u0000');
  });
});
