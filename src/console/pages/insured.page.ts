import type { CardRequestSummaryView } from '../../emission/requests/dto/card-request.dto.js';
import type { InsuredFileView, InsuredPhotoItem, TimelineEntryView } from '../../insight/dto/insight.dto.js';
import { cancellableStatuses, mayDo, oppositionApplies } from '../actions/action-rules.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { html, type SafeHtml } from '../ui/html.js';
import {
  CARD_STATE_LABEL,
  dateOnly,
  dateTime,
  label,
  OPPOSITION_REASON_LABEL,
  REQUEST_STATUS_LABEL,
} from '../ui/labels.js';
import { layout } from '../ui/layout.js';

const KIND_LABEL: Record<string, string> = {
  card_state: 'Carte',
  kiosk_exchange: 'Borne',
  mutation: 'Mutation',
  opposition: 'Opposition',
  request: 'Demande',
};
export const PHOTO_STATUS_LABEL: Record<string, string> = {
  pending: 'En cours de contrôle',
  accepted: 'Acceptée',
  rejected: 'Refusée',
};
const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

const KIOSK_RESULT_LABEL: Record<string, string> = {
  issued: 'en attente de la confirmation de la borne',
  confirmed: 'confirmée',
  failed: 'échouée',
  superseded: 'remplacée par un échange plus récent',
};
const MUTATION_KIND_LABEL: Record<string, string> = {
  fund_change: "Changement d'organisme",
  nir_change: 'Changement de NIR',
  regime_transfer: 'Transfert de régime',
};
const reasonOf = (d: Record<string, unknown>) =>
  d.reason ? html` (motif : ${label(OPPOSITION_REASON_LABEL, text(d.reason)).toLowerCase()})` : '';
const versions = (from: unknown, to: unknown) =>
  text(from) === text(to) ? `version ${text(to)}` : `version ${text(from)} → ${text(to)}`;

/**
 * One timeline entry in words, in French (the details are the read model's, by kind); null for an entry that
 * changed nothing (a card's data rewritten at the version it already had): it is not shown.
 */
export function describe(e: TimelineEntryView): SafeHtml | null {
  const d = e.details;
  switch (e.kind) {
    case 'card_state':
      // The card's audit entries with a `to`: its state changes, and its data written at a kiosk (versions).
      if (d.action === 'card.data_written') {
        return text(d.from) === text(d.to)
          ? null
          : html`Carte ${text(d.serial)} : données écrites en borne (version ${text(d.from)} → ${text(d.to)})`;
      }
      if (!d.from) return html`Carte ${text(d.serial)} : ${label(CARD_STATE_LABEL, text(d.to)).toLowerCase()}`;
      if (text(d.from) === text(d.to)) return null;
      return html`Carte ${text(d.serial)} : ${label(CARD_STATE_LABEL, text(d.from))} →
      ${label(CARD_STATE_LABEL, text(d.to))}${reasonOf(d)}`;
    case 'kiosk_exchange':
      return html`Carte ${text(d.serial)} : mise à jour en borne ${label(KIOSK_RESULT_LABEL, text(d.result))}
      (${versions(d.baseVersion, d.targetVersion)})`;
    case 'opposition':
      return html`Carte ${text(d.serial)} :
      ${d.op === 'add' ? 'mise en opposition' : "levée d'opposition"}${reasonOf(d)}${
        d.listNumber ? html`, liste n° ${text(d.listNumber)}` : ''
      }`;
    case 'mutation':
      return html`${label(MUTATION_KIND_LABEL, text(d.kind))}${
        text(d.fromOrganisme) === text(d.toOrganisme)
          ? html`, organisme ${text(d.toOrganisme)}`
          : html` : ${text(d.fromOrganisme)} → ${text(d.toOrganisme)}`
      },
      effet le ${dateOnly(text(d.effectiveDate))}${d.applied ? ' (appliqué)' : ' (en attente)'}`;
    case 'request':
      return html`Demande ${text(d.formNumber)} : ${label(REQUEST_STATUS_LABEL, text(d.status))}`;
  }
}

/** A card's opposition page, when an opposition applies to its state (declared, or to see or withdraw). */
function oppositionLink(c: { serial: string | null; state: string }): SafeHtml | string {
  const applies = c.serial ? oppositionApplies(c.state) : null;
  if (!applies) return '—';
  return html`<a class="fr-link" href="/console/cartes/${c.serial}/opposition"
    >${applies === 'declare' ? 'Déclarer une opposition' : "Voir l'opposition"}<span class="fr-sr-only">
      sur la carte ${c.serial}</span
    ></a
  >`;
}

/**
 * The insured's actions the agent may do and that apply: a replacement card (a fund, no request open), a change of
 * fund (a current affiliation not already ending).
 */
function insuredActions(agent: ConsolePrincipal, f: InsuredFileView, openRequests: unknown[]): SafeHtml | string {
  const id = f.identity.id;
  const links: SafeHtml[] = [];
  if (mayDo(agent.kind, 'replacement') && openRequests.length === 0)
    links.push(
      html`<li>
        <a class="fr-btn fr-btn--secondary" href="/console/assures/${id}/remplacement"
          >Commander une carte de remplacement</a
        >
      </li>`,
    );
  if (mayDo(agent.kind, 'mutation') && f.affiliations.some((a) => a.current && !a.validTo))
    links.push(
      html`<li><a class="fr-btn fr-btn--secondary" href="/console/assures/${id}/mutation">Changer d'organisme</a></li>`,
    );
  if (!links.length) return '';
  return html`<section aria-labelledby="actions">
    <h2 id="actions">Actions</h2>
    <ul class="fr-btns-group fr-btns-group--inline-md" id="actions-assure">
      ${links}
    </ul>
  </section>`;
}

/** The insured's page: identity, affiliations, cards, dependants, photos and the timeline (paged). */
export function insuredPage(
  agent: ConsolePrincipal,
  f: InsuredFileView,
  photos: InsuredPhotoItem[],
  paged: boolean,
  openRequests: CardRequestSummaryView[] = [],
): SafeHtml {
  const i = f.identity;
  const shown = f.timeline.items.flatMap((e) => {
    const words = describe(e);
    return words ? [{ e, words }] : [];
  });
  const name = `${i.firstName} ${i.birthName}${i.usageName ? ` (${i.usageName})` : ''}`;
  return layout({
    title: `Assuré ${i.birthName}`,
    agent,
    current: '/console/recherche',
    main: html`<h1>${name}</h1>
      <section aria-labelledby="identite">
        <h2 id="identite">Identité</h2>
        <dl>
          <dt>NIR</dt>
          <dd>${i.nir}${i.nirTemporary ? ' (provisoire)' : ''}</dd>
          <dt>Né(e) le</dt>
          <dd>${dateOnly(i.birthDate)} (rang ${i.birthRank})</dd>
          <dt>Adresse</dt>
          <dd>${i.addressLines.length ? i.addressLines.map((l, n) => html`${n ? html`<br />` : ''}${l}`) : '—'}</dd>
          <dt>Mis à jour le</dt>
          <dd>${dateTime(i.updatedAt)}</dd>
        </dl>
      </section>
      <section aria-labelledby="affiliations">
        <h2 id="affiliations">Affiliations</h2>
        ${
          f.affiliations.length
            ? html`<div class="fr-table fr-table--sm">
                <table>
                  <caption>
                    Affiliations de l'assuré
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Organisme</th>
                      <th scope="col">Du</th>
                      <th scope="col">Au</th>
                      <th scope="col">En cours</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${f.affiliations.map(
                      (a) =>
                        html`<tr>
                          <td>${a.organismeCode}</td>
                          <td>${dateOnly(a.validFrom)}</td>
                          <td>${dateOnly(a.validTo)}</td>
                          <td>${a.current ? 'Oui' : 'Non'}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
            : html`<p>Aucune affiliation.</p>`
        }
      </section>
      <section aria-labelledby="cartes">
        <h2 id="cartes">Cartes</h2>
        ${
          f.cards.length
            ? html`<div class="fr-table fr-table--sm">
                <table>
                  <caption>
                    Cartes de l'assuré
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Numéro</th>
                      <th scope="col">État</th>
                      <th scope="col">Organisme</th>
                      <th scope="col">Génération</th>
                      <th scope="col">Depuis le</th>
                      ${mayDo(agent.kind, 'opposition') ? html`<th scope="col">Action</th>` : ''}
                    </tr>
                  </thead>
                  <tbody>
                    ${f.cards.map(
                      (c) =>
                        html`<tr>
                          <td>
                            ${c.serial ? html`<a href="/console/recherche/carte?numero=${c.serial}">${c.serial}</a>` : '—'}
                          </td>
                          <td>
                            ${label(CARD_STATE_LABEL, c.state)}${c.oppositionReason ? html` (${c.oppositionReason})` : ''}
                          </td>
                          <td>${c.organismeCode}</td>
                          <td>${c.generation}</td>
                          <td>${dateTime(c.stateChangedAt)}</td>
                          ${mayDo(agent.kind, 'opposition') ? html`<td>${oppositionLink(c)}</td>` : ''}
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
            : html`<p>Aucune carte.</p>`
        }
      </section>
      <section aria-labelledby="demandes">
        <h2 id="demandes">Demandes de carte en cours</h2>
        ${
          openRequests.length
            ? html`<ul id="demandes-en-cours">
                ${openRequests.map(
                  (r) =>
                    html`<li>
                      Demande ${r.formNumber} : ${label(REQUEST_STATUS_LABEL, r.status)}, depuis le
                      ${dateTime(r.statusChangedAt)}${
                        mayDo(agent.kind, 'cancellation') && cancellableStatuses(agent.kind).includes(r.status)
                          ? html` —
                              <a class="fr-link" href="/console/demandes/${r.id}/annulation"
                                >Annuler la demande ${r.formNumber}</a
                              >`
                          : ''
                      }
                    </li>`,
                )}
              </ul>`
            : html`<p>Aucune demande de carte en cours.</p>`
        }
      </section>
      ${insuredActions(agent, f, openRequests)}
      <section aria-labelledby="ayants-droit">
        <h2 id="ayants-droit">Ayants droit</h2>
        ${
          f.dependants.length
            ? html`<ul>
                ${f.dependants.map(
                  (d) =>
                    html`<li>
                      <a href="/console/assures/${d.dependant.id}">${d.dependant.firstName} ${d.dependant.birthName}</a
                      >, né(e) le ${dateOnly(d.dependant.birthDate)} — rattaché(e) du
                      ${dateOnly(d.attachment.validFrom)}
                      ${d.attachment.validTo ? html`au ${dateOnly(d.attachment.validTo)}` : ''}
                    </li>`,
                )}
              </ul>`
            : html`<p>Aucun ayant droit.</p>`
        }
      </section>
      <section aria-labelledby="photos">
        <h2 id="photos">Photos reçues</h2>
        ${
          photos.length
            ? html`<ul>
                ${photos.map(
                  (p) =>
                    html`<li>
                      <a href="/console/photos/${p.id}">Photo du ${dateTime(p.receivedAt)}, demande ${p.formNumber}</a>
                      : ${label(PHOTO_STATUS_LABEL, p.status)}
                    </li>`,
                )}
              </ul>`
            : html`<p>Aucune photo reçue.</p>`
        }
      </section>
      <section aria-labelledby="historique">
        <h2 id="historique">Historique</h2>
        ${
          shown.length
            ? html`<div class="fr-table fr-table--sm">
                <table id="historique-table">
                  <caption>
                    Historique, du plus récent au plus ancien
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Date</th>
                      <th scope="col">Type</th>
                      <th scope="col">Événement</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${shown.map(
                      ({ e, words }) =>
                        html`<tr data-kind="${e.kind}">
                          <td>${dateTime(e.at)}</td>
                          <td>${label(KIND_LABEL, e.kind)}</td>
                          <td>${words}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
            : html`<p>Aucun événement${paged ? ' plus ancien' : ''}.</p>`
        }
        <nav class="fr-mb-3w" aria-label="Pages de l'historique">
          <ul class="fr-btns-group fr-btns-group--inline-sm">
            ${paged ? html`<li><a class="fr-btn fr-btn--secondary" href="/console/assures/${i.id}#historique">Les plus récents</a></li>` : ''}
            ${
              f.timeline.next
                ? html`<li>
                    <a
                      class="fr-btn fr-btn--secondary"
                      href="/console/assures/${i.id}?avant=${encodeURIComponent(f.timeline.next)}#historique"
                      >Événements plus anciens</a
                    >
                  </li>`
                : ''
            }
          </ul>
        </nav>
      </section>`,
  });
}
