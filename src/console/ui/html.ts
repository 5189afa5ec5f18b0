/**
 * HTML built only through the `html` tagged template: every interpolated value is escaped for both text and
 * attribute contexts (attributes are always quoted with "), unless it is already `SafeHtml` (a fragment built the
 * same way). There is no way to mark a runtime string as safe: the console's pages cannot inject markup by mistake.
 */
const MINT = Symbol('SafeHtml');

export class SafeHtml {
  /** Only this module makes them (the token is private to it): from a template's constant parts and escaped values. */
  constructor(
    token: symbol,
    readonly value: string,
  ) {
    if (token !== MINT) throw new TypeError('SafeHtml is made by the html template only');
  }

  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text for an HTML text node or a quoted attribute value. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);

/** What may be interpolated: text (escaped), numbers, SafeHtml, lists of those; null, undefined and false render nothing. */
export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join('');
  if (typeof v === 'object') throw new TypeError('html: only text, numbers and SafeHtml may be interpolated');
  return escapeHtml(String(v));
}

/** The tagged template: `html\`<p class="x">${text}</p>\``. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(MINT, out);
}

/** Fragments joined (lists of rows, options). */
export const joinHtml = (parts: readonly SafeHtml[], separator: SafeHtml = html``): SafeHtml =>
  new SafeHtml(MINT, parts.map((p) => p.value).join(separator.value));
