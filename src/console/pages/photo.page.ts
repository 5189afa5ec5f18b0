import type { PhotoPageView } from '../../insight/dto/insight.dto.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { html, type SafeHtml } from '../ui/html.js';
import { counted, dateTime, label, number } from '../ui/labels.js';
import { layout } from '../ui/layout.js';
import { PRINT_SIZE } from '../../photo/image-processor.js';
import { PHOTO_STATUS_LABEL } from './insured.page.js';

const CHECK_LABEL: Record<string, string> = {
  size: 'Dimensions',
  crop: 'Recadrage',
  colour: 'Couleur',
  luminance: 'Luminosité',
  highlights: 'Zones brûlées',
  contrast: 'Contraste',
  background: 'Fond (luminosité)',
  backgroundUniformity: 'Fond (uniformité)',
  colourCast: 'Dominante de couleur',
  sharpness: 'Netteté',
  output: 'Images produites',
};
const REASON_LABEL: Record<string, string> = {
  PHOTO_UNREADABLE: 'Image illisible',
  PHOTO_TRUNCATED: 'Fichier tronqué',
  PHOTO_FORMAT: 'Format non accepté',
  PHOTO_TOO_MANY_PIXELS: 'Trop de pixels',
  PHOTO_TOO_SMALL: 'Image trop petite',
  PHOTO_CROP_IMPOSSIBLE: 'Recadrage impossible',
  PHOTO_GREYSCALE: 'Image en noir et blanc',
  PHOTO_TOO_DARK: 'Image trop sombre',
  PHOTO_TOO_BRIGHT: 'Image trop claire',
  PHOTO_HIGHLIGHTS_CLIPPED: 'Zones brûlées',
  PHOTO_LOW_CONTRAST: 'Contraste insuffisant',
  PHOTO_BACKGROUND_DARK: 'Fond trop sombre',
  PHOTO_BACKGROUND_BUSY: 'Fond non uniforme',
  PHOTO_COLOUR_CAST: 'Dominante de couleur',
  PHOTO_BLURRED: 'Image floue',
};
const IMAGE_LABEL = { original: 'Image reçue', print: "Image d'impression", chip: 'Image de la puce' };
const IMAGE_MISSING = {
  original: "L'image reçue n'est plus conservée (supprimée après l'expédition de la carte).",
  print: "Pas d'image d'impression : elle n'est produite que pour une photo acceptée.",
  chip: "Pas d'image de puce : elle n'est produite que pour une photo acceptée.",
};

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const show = (v: unknown): string => (isNumber(v) ? number(v, Number.isInteger(v) ? 0 : 3) : String(v));

/** The French words of the members of a measure that is itself an object (the `output` check's images). */
const MEMBER_LABEL: Record<string, string> = {
  print: "Image d'impression",
  chip: 'Image de la puce',
  original: 'Image reçue',
  bytes: 'taille',
  width: 'largeur',
  height: 'hauteur',
  quality: 'qualité JPEG',
  maxBytes: 'taille maximale',
  accepted: 'acceptés',
  format: 'format',
  decoded: 'décodée',
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A measure's value in French: a number, a list, yes/no, or an object's members (dimensions and sizes in words). */
function showValue(v: unknown): string {
  if (Array.isArray(v)) return v.map(showValue).join(', ');
  if (typeof v === 'boolean') return v ? 'oui' : 'non';
  if (!isObject(v)) return show(v);
  const parts: string[] = [];
  const handled = new Set<string>();
  const take = (keys: string[], words: string) => {
    parts.push(words);
    keys.forEach((k) => handled.add(k));
  };
  if (isNumber(v.width) && isNumber(v.height))
    take(['width', 'height'], `${number(v.width)} × ${number(v.height)} pixels`);
  if (isNumber(v.bytes)) take(['bytes'], counted(v.bytes, 'octet', 'octets'));
  if (isNumber(v.maxBytes)) take(['maxBytes'], `au plus ${counted(v.maxBytes, 'octet', 'octets')}`);
  if (isNumber(v.quality)) take(['quality'], `qualité JPEG ${number(v.quality)}`);
  for (const [k, val] of Object.entries(v)) {
    if (!handled.has(k)) parts.push(`${label(MEMBER_LABEL, k)} ${showValue(val)}`);
  }
  return parts.join(', ');
}

/** The pixel size of an image the page shows, when known: its <img> keeps the image's own aspect ratio. */
function sizeOf(p: PhotoPageView, kind: 'original' | 'print' | 'chip'): { width: number; height: number } | null {
  if (kind === 'original') return p.width && p.height ? { width: p.width, height: p.height } : null;
  if (kind === 'print') return PRINT_SIZE;
  const chip = p.measures.find((m) => m.check === 'output')?.measure.chip;
  return isObject(chip) && isNumber(chip.width) && isNumber(chip.height)
    ? { width: chip.width, height: chip.height }
    : null;
}

const isThreshold = (k: string) => /^(min|max)([A-Z]|$)/.test(k);

/** The figure a check's bare `min`/`max` bound, when it measures several (stored as JSON: key order is not kept). */
const COMPARED: Record<string, string> = { crop: 'keptShare' };

/**
 * Whether a check's measures are within its thresholds: `min`/`max` bound the figure the check compares (its only
 * figure, or the one named in COMPARED), `minWidth` bounds `width`, and so on; null when it cannot be told.
 */
function within(check: string, m: Record<string, unknown>): boolean | null {
  const measured = Object.entries(m).filter(([k, v]) => !isThreshold(k) && isNumber(v));
  const compared = COMPARED[check] ? m[COMPARED[check]] : measured.length === 1 ? measured[0][1] : undefined;
  const bounds = Object.entries(m).filter(([k, v]) => isThreshold(k) && isNumber(v)) as [string, number][];
  if (!bounds.length) return null;
  let known = true;
  const ok = bounds.every(([k, bound]) => {
    const rest = k.slice(3);
    const v = rest ? m[rest[0].toLowerCase() + rest.slice(1)] : compared;
    if (!isNumber(v)) {
      known = false;
      return true;
    }
    return k.startsWith('min') ? v >= bound : v <= bound;
  });
  return known ? ok : null;
}

const THRESHOLD_WORD = (k: string) =>
  (k.startsWith('min') ? 'minimum' : 'maximum') + (k.length > 3 ? ` (${k[3].toLowerCase()}${k.slice(4)})` : '');

/**
 * An image at its own aspect ratio: not in DSFR's content-media box (it forces 16:9 on a responsive image); the
 * pixel size in width/height (no inline style: the CSP forbids it) and the responsive class's height:auto.
 */
function imageTag(p: PhotoPageView, kind: 'original' | 'print' | 'chip'): SafeHtml {
  const size = sizeOf(p, kind);
  return html`<img
    class="fr-responsive-img"
    src="/console/photos/${p.id}/images/${kind}"
    alt="${IMAGE_LABEL[kind]} de la photo de l'assuré"
    data-image="${kind}"
    ${size ? html`width="${size.width}" height="${size.height}"` : ''}
  />`;
}

/** A photo as an agent reviews it, refused ones too: the images and every measure beside its threshold. */
export function photoPage(agent: ConsolePrincipal, p: PhotoPageView): SafeHtml {
  const refused = p.status === 'rejected';
  return layout({
    title: 'Photo',
    agent,
    current: '/console/recherche',
    main: html`<h1>Photo ${label(PHOTO_STATUS_LABEL, p.status).toLowerCase()}</h1>
      <p>
        Reçue le ${dateTime(p.receivedAt)} (${p.source === 'online' ? 'en ligne' : 'centre de numérisation'}), contrôlée
        le ${dateTime(p.checkedAt)} ; ${p.width && p.height ? html`${p.width} × ${p.height} pixels, ` : ''}
        ${counted(p.byteSize, 'octet', 'octets')}. Organisme ${p.organismeCode}.
      </p>
      <p><a class="fr-link" href="/console/assures/${p.beneficiaryId}#photos">Dossier de l'assuré</a></p>
      ${
        refused
          ? html`<div class="fr-alert fr-alert--error fr-mb-3w" id="motifs">
              <h2 class="fr-alert__title">Motifs du refus</h2>
              <ul>
                ${p.reasons.map((r) => html`<li>${label(REASON_LABEL, r)} (<code>${r}</code>)</li>`)}
              </ul>
            </div>`
          : ''
      }
      <h2>Images</h2>
      <div class="fr-grid-row fr-grid-row--gutters fr-mb-3w">
        ${p.images.map(
          (i) =>
            html`<div class="fr-col-12 fr-col-md-4">
              <figure class="fr-my-2w" role="group" aria-label="${IMAGE_LABEL[i.kind]}">
                ${i.available ? imageTag(p, i.kind) : html`<p>${IMAGE_MISSING[i.kind]}</p>`}
                <figcaption class="fr-content-media__caption">${IMAGE_LABEL[i.kind]}</figcaption>
              </figure>
            </div>`,
        )}
      </div>
      <h2>Mesures et seuils</h2>
      ${
        p.measures.length
          ? html`<div class="fr-table">
              <table id="mesures">
                <caption>
                  Chaque contrôle, sa mesure et les seuils appliqués lors du contrôle
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Contrôle</th>
                    <th scope="col">Mesure</th>
                    <th scope="col">Seuils</th>
                    <th scope="col">Résultat</th>
                  </tr>
                </thead>
                <tbody>
                  ${p.measures.map((m) => {
                    const v = within(m.check, m.measure);
                    return html`<tr data-check="${m.check}">
                      <td>${label(CHECK_LABEL, m.check)}</td>
                      <td>
                        ${Object.entries(m.measure)
                          .filter(([k]) => !isThreshold(k))
                          .map(([k, val], n) =>
                            isObject(val)
                              ? html`${n ? html`<br />` : ''}${label(MEMBER_LABEL, k)} : ${showValue(val)}`
                              : html`${n ? html`<br />` : ''}${k} = ${showValue(val)}`,
                          )}
                      </td>
                      <td>
                        ${Object.entries(m.measure)
                          .filter(([k]) => isThreshold(k))
                          .map(([k, val], n) => html`${n ? html`<br />` : ''}${THRESHOLD_WORD(k)} ${show(val)}`)}
                      </td>
                      <td>
                        ${
                          v === null
                            ? '—'
                            : v
                              ? html`<p class="fr-badge fr-badge--success fr-badge--sm">Conforme</p>`
                              : html`<p class="fr-badge fr-badge--error fr-badge--sm">Hors seuil</p>`
                        }
                      </td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>`
          : html`<p>Aucune mesure : la photo n'a pas encore été contrôlée, ou elle était illisible.</p>`
      }
      <details>
        <summary>Seuils en vigueur aujourd'hui</summary>
        <ul>
          ${Object.entries(p.thresholdsNow).map(([k, v]) => html`<li><code>${k}</code> : ${show(v)}</li>`)}
        </ul>
      </details>`,
  });
}
