import { PlatformErrors } from '../errors/platform.errors.js';
import { isPrintable } from './text.js';

/**
 * The one JSON body reader of the API. JSON.parse alone accepts what hurts further down: 10,000 nested arrays
 * (class-transformer then overflows the stack), an object naming a key twice (which value counts depends on the
 * reader: a proxy may check the first, the app uses the last), `__proto__`/`constructor` keys (prototype
 * pollution in code that copies objects), and text with NUL, control or bidirectional-override characters
 * (PostgreSQL cannot store a NUL; the others end up in logs, files and chips; line breaks are each field's
 * business, see text.ts). One scan before JSON.parse
 * refuses all of these, so nothing deep or ambiguous is ever built. Messages never quote the body.
 */
export const JSON_MAX_DEPTH = 32;

/** Keys that name an object's prototype machinery: no field of this API has these names. */
export const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const COLON = 0x3a;

const malformed = () => PlatformErrors.MALFORMED_BODY('json');

/** The parsed body; an empty body reads as no body (undefined), as if none was sent. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  // Objects open on the stack hold the keys seen so far; arrays hold null.
  const open: (Set<string> | null)[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) throw malformed();
      const raw = text.slice(i + 1, end);
      const hasEscape = raw.indexOf('\\') >= 0;
      // Raw controls are invalid JSON anyway (JSON.parse refuses them); escaped ones are only seen decoded.
      let value = raw;
      if (hasEscape) {
        try {
          value = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          throw malformed();
        }
      }
      // Line breaks are left to each field's rule (an OpenSSH key line read from a file ends with one).
      if (!isPrintable(value, { allowLineBreaks: true })) {
        throw PlatformErrors.TEXT_NOT_PRINTABLE();
      }
      i = end + 1;
      const top = open.length > 0 ? open[open.length - 1] : null;
      if (top !== null && top !== undefined && nextSignificant(text, i) === COLON) {
        if (RESERVED_KEYS.has(value)) {
          throw PlatformErrors.JSON_FORBIDDEN_KEY();
        }
        if (top.has(value)) throw PlatformErrors.JSON_DUPLICATE_KEY();
        top.add(value);
      }
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (open.length >= JSON_MAX_DEPTH) {
        throw PlatformErrors.JSON_TOO_DEEP(JSON_MAX_DEPTH);
      }
      open.push(c === OPEN_OBJECT ? new Set<string>() : null);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop();
    }
    i++;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw malformed();
  }
}

/** Index of the quote closing the string opened at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; k > start && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q;
    j = q + 1;
  }
}

function nextSignificant(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}
