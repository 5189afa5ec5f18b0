import { PlatformErrors } from '../errors/platform.errors.js';
import { RESERVED_KEYS } from './json-body.js';
import { isPrintable } from './text.js';

/**
 * A console form body (application/x-www-form-urlencoded) as text fields: well-formed percent-encoding of UTF-8
 * (URLSearchParams would keep `%zz` or a lone `%` as they are and turn bad UTF-8 into U+FFFD), each field once,
 * printable text (line breaks allowed, for text areas), no reserved key; anything else is refused whole. The fields
 * the route takes are checked by the request gate (@FormFields).
 */
export function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeFormComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = decodeFormComponent(eq < 0 ? '' : pair.slice(eq + 1));
    if (++n > 200 || RESERVED_KEYS.has(key) || Object.hasOwn(out, key) || key.length > 64) {
      throw PlatformErrors.CONSOLE_FORM_INVALID();
    }
    if (!isPrintable(key) || !isPrintable(value, { allowLineBreaks: true }))
      throw PlatformErrors.CONSOLE_FORM_INVALID();
    out[key] = value;
  }
  return out;
}

/** One name or value of a url-encoded form or query string; CONSOLE_FORM_INVALID when its encoding is not well formed. */
export function decodeFormComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw PlatformErrors.CONSOLE_FORM_INVALID();
  }
}
