import { html, type SafeHtml } from '../ui/html.js';

/** A date and time, Paris time, short French form ('—' when none). */
export const dateTime = (d: Date | string | null | undefined): string =>
  d ? new Date(d).toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' }) : '—';

/** A count with French digit grouping. */
export const count = (n: number | null | undefined): string =>
  n === null || n === undefined ? '—' : n.toLocaleString('fr-FR');

/** A DSFR badge for a state (the text is the label; the colour only repeats it). */
export const badge = (label: string, tone: 'success' | 'error' | 'warning' | 'info' | 'new' | null = null): SafeHtml =>
  html`<p class="fr-badge fr-badge--sm${tone ? ` fr-badge--${tone}` : ''}">${label}</p>`;

/** A simple table: caption, column headers, rows of cells. */
export function table(caption: string, headers: string[], rows: SafeHtml[][], empty = 'Aucun élément.'): SafeHtml {
  if (rows.length === 0) return html`<p>${caption} : ${empty}</p>`;
  return html`<div class="fr-table">
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${headers.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              ${r.map((c) => html`<td>${c}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** Text as a table cell. */
export const cell = (v: string | number | null | undefined): SafeHtml => html`${v ?? '—'}`;
