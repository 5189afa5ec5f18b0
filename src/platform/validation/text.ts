/**
 * The one rule for free text accepted anywhere (API bodies, query strings, files, chip records): printable
 * Unicode only. Names and addresses have stricter rules of their own (src/register/identity.ts); every other
 * text field goes through this one, so a NUL byte, a control character or a bidirectional override never
 * reaches the database, a file sent to a partner or a chip.
 *
 * Refused: C0 and C1 control characters (tab and line breaks included: no field here is multi-line), the
 * bidirectional embedding/override/isolate controls (they make "ABC" display as "CBA" in a log or a console),
 * zero-width characters and the byte-order mark, interlinear annotation characters, noncharacters, and
 * strings that are not well-formed UTF-16 (a lone surrogate cannot be stored as UTF-8).
 */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001F\u007F-\u009F\u200B-\u200F\u2028-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB\uFDD0-\uFDEF\uFFFE\uFFFF]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type TextFault = 'not_text' | 'empty' | 'too_long' | 'not_printable';

export interface TextOptions {
  allowEmpty?: boolean;
  /**
   * Let line breaks (CR, LF) through: for a value whose own format parser refuses them where they matter (an
   * OpenSSH key line read from a file ends with one), and for the JSON reader, which leaves them to each field.
   */
  allowLineBreaks?: boolean;
}

/** Why a value is not acceptable free text of at most `max` characters, or null when it is. */
export function textFault(value: unknown, max: number, options: TextOptions = {}): TextFault | null {
  if (typeof value !== 'string') return 'not_text';
  if (value.length === 0 && !options.allowEmpty) return 'empty';
  if (value.length > max) return 'too_long';
  if (!isPrintable(value, options)) return 'not_printable';
  return null;
}

/** True when every character of `value` is printable (see above). */
export function isPrintable(value: string, options: Pick<TextOptions, 'allowLineBreaks'> = {}): boolean {
  const text = options.allowLineBreaks ? value.replace(/[\r\n]/g, '') : value;
  return !FORBIDDEN.test(text) && !LONE_SURROGATE.test(text);
}

/** A message that says how to fix a fault, never quoting the value. */
export function textFaultMessage(field: string, fault: TextFault, max: number): string {
  switch (fault) {
    case 'not_text':
      return `${field} must be a text`;
    case 'empty':
      return `${field} is required and must not be empty`;
    case 'too_long':
      return `${field} must be at most ${max} characters`;
    case 'not_printable':
      return `${field} must hold printable characters only (no control, zero-width or bidirectional-override characters)`;
  }
}
