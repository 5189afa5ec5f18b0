import { html, type SafeHtml } from './html.js';

/**
 * Charts drawn on the server as inline SVG (no script, nothing to bundle). Each is an image with a title and a
 * description for assistive technologies; the pages put the same figures in a table beside it.
 */
const W = 640;
const H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;
const fmt = (n: number) => (Math.round(n * 100) / 100).toLocaleString('fr-FR');

export interface LineSeries {
  name: string;
  /** A DSFR colour class suffix is not usable in SVG: a plain colour with enough contrast on white. */
  colour: string;
  dashed?: boolean;
  points: (number | null)[];
}

/** Lines over days, with horizontal reference lines (the 2.4 / 3.5 day figures). */
export function lineChart(p: {
  id: string;
  title: string;
  description: string;
  xLabels: string[];
  series: LineSeries[];
  references: { value: number; label: string }[];
  unit: string;
}): SafeHtml {
  const values = [
    ...p.series.flatMap((s) => s.points.filter((v): v is number => v !== null)),
    ...p.references.map((r) => r.value),
  ];
  const max = Math.max(1, ...values) * 1.1;
  const n = p.xLabels.length;
  const x = (i: number) => PAD.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const every = Math.max(1, Math.ceil(n / 8));
  const path = (pts: (number | null)[]) => {
    let d = '';
    let pen = false;
    pts.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      pen = true;
    });
    return d.trim();
  };
  return frame(
    p,
    html`${gridlines([0, max / 2, max], y, fmt)}
      ${p.references.map(
        (r) =>
          html`<line
              x1="${PAD.left}"
              x2="${W - PAD.right}"
              y1="${y(r.value).toFixed(1)}"
              y2="${y(r.value).toFixed(1)}"
              stroke="#ce0500"
              stroke-dasharray="6 4"
            />
            <text
              x="${W - PAD.right - 4}"
              y="${(y(r.value) - 4).toFixed(1)}"
              font-size="11"
              text-anchor="end"
              fill="#ce0500"
            >
              ${r.label}
            </text>`,
      )}
      ${p.xLabels.map((l, i) =>
        i % every === 0
          ? html`<text x="${x(i).toFixed(1)}" y="${H - 8}" font-size="11" text-anchor="middle" fill="#3a3a3a"
              >${l}</text
            >`
          : '',
      )}
      ${p.series.map(
        (s) =>
          html`<path
              d="${path(s.points)}"
              fill="none"
              stroke="${s.colour}"
              stroke-width="2"
              ${s.dashed ? html`stroke-dasharray="3 3"` : ''}
            />
            ${s.points.map((v, i) =>
              v === null
                ? ''
                : html`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${s.colour}" />`,
            )}`,
      )} <text x="${PAD.left + 4}" y="${PAD.top + 10}" font-size="11" fill="#3a3a3a">${p.unit}</text>`,
  );
}

/** Bars over hours (stacked by result). */
export function barChart(p: {
  id: string;
  title: string;
  description: string;
  xLabels: string[];
  stacks: { name: string; colour: string; values: number[] }[];
}): SafeHtml {
  const totals = p.xLabels.map((_, i) => p.stacks.reduce((s, st) => s + (st.values[i] ?? 0), 0));
  // An even whole number, so the three gridlines (0, half, top) are whole numbers too.
  const max = 2 * Math.ceil((Math.max(1, ...totals) * 1.1) / 2);
  const n = Math.max(1, p.xLabels.length);
  const slot = plotW / n;
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const every = Math.max(1, Math.ceil(n / 12));
  return frame(
    p,
    html`${gridlines([0, max / 2, max], y, Math.round)}
    ${p.xLabels.map((l, i) => {
      let base = 0;
      const bars = p.stacks.map((st) => {
        const v = st.values[i] ?? 0;
        const top = y(base + v);
        const h = y(base) - top;
        base += v;
        return v
          ? html`<rect
              x="${(PAD.left + i * slot + 1).toFixed(1)}"
              y="${top.toFixed(1)}"
              width="${Math.max(1, slot - 2).toFixed(1)}"
              height="${h.toFixed(1)}"
              fill="${st.colour}"
            />`
          : '';
      });
      return html`${bars}${
        i % every === 0
          ? html`<text
              x="${(PAD.left + (i + 0.5) * slot).toFixed(1)}"
              y="${H - 8}"
              font-size="11"
              text-anchor="middle"
              fill="#3a3a3a"
            >
              ${l}
            </text>`
          : ''
      }`;
    })}`,
  );
}

/** The chart's SVG element: an image named by its title and description, on a white ground. */
function frame(p: { id: string; title: string; description: string }, body: SafeHtml): SafeHtml {
  return html`<svg
    class="console-chart"
    viewBox="0 0 ${W} ${H}"
    width="${W}"
    height="${H}"
    role="img"
    aria-labelledby="${p.id}-title ${p.id}-desc"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title id="${p.id}-title">${p.title}</title>
    <desc id="${p.id}-desc">${p.description}</desc>
    <rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff" />
    ${body}
  </svg>`;
}

/** Horizontal gridlines at these values, each labelled on the left. */
function gridlines(values: number[], y: (v: number) => number, label: (v: number) => string | number): SafeHtml[] {
  return values.map(
    (v) =>
      html`<line
          x1="${PAD.left}"
          x2="${W - PAD.right}"
          y1="${y(v).toFixed(1)}"
          y2="${y(v).toFixed(1)}"
          stroke="#dddddd"
        />
        <text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#3a3a3a">
          ${label(v)}
        </text>`,
  );
}
