import type { CardView } from '../../cards/dto/card.dto.js';
import type { CardRequestView, CreatedCardRequestView } from '../../emission/requests/dto/card-request.dto.js';
import type { OppositionView } from '../../opposition/dto/opposition.dto.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import type { AffiliationView } from '../../register/dto/beneficiary.dto.js';
import { html, type SafeHtml } from '../ui/html.js';
import { OPPOSITION_REASON_LABEL } from '../ui/labels.js';
import { csrfField, layout } from '../ui/layout.js';

export const dateTime = (d: Date | string) =>
  new Date(d).toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });
const day = (iso: string) => iso.split('-').reverse().join('/');

/** Opposition reasons an agent may declare (the API's DECLARABLE_REASONS), in French. */
export const OPPOSITION_REASONS: Record<string, string> = {
  lost: 'Perte',
  stolen: 'Vol',
  fraud: 'Fraude',
  invalidated_by_regime: 'Invalidée par le régime',
  holder_deceased: 'Décès du titulaire',
};
const ALL_REASONS = OPPOSITION_REASON_LABEL;

/** Reasons of a replacement card (the API's request reasons but the first card). */
export const REPLACEMENT_REASONS: Record<string, string> = {
  lost: 'Carte perdue',
  stolen: 'Carte volée',
  damaged: 'Carte abîmée ou défectueuse',
  identity_change: "Changement d'état civil",
  nir_change: 'Changement de NIR',
  other: 'Autre motif',
};

const CARD_STATES: Record<string, string> = {
  ordered: 'Commandée',
  in_personalisation: 'En personnalisation',
  personalised: 'Personnalisée',
  shipped: 'Expédiée',
  delivered: 'Remise',
  active: 'Active',
  opposed: 'En opposition',
  cancelled: 'Annulée',
  destroyed: 'Détruite',
  returned_undeliverable: 'Revenue non distribuable',
};

export const REQUEST_STATUSES: Record<string, string> = {
  form_sent: 'Formulaire envoyé',
  photo_received: 'Photo reçue',
  photo_rejected: 'Photo refusée',
  photo_available: 'Photo disponible',
  ordered: 'Carte commandée',
  in_personalisation: 'En personnalisation',
  personalised: 'Personnalisée',
  shipped: 'Expédiée',
  delivered: 'Remise',
  cancelled: 'Annulée',
  expired: 'Expirée',
};
const label = (m: Record<string, string>, v: string | null | undefined) => (v ? (m[v] ?? v) : '—');

const backLink = html`<p class="fr-mt-3w"><a class="fr-link" href="/console">Retour au tableau de bord</a></p>`;

/** A card's opposition: declare it (with a reason), or withdraw it within its window. */
export function oppositionPage(
  agent: ConsolePrincipal,
  d: { card: CardView; opposition: OppositionView | null },
): SafeHtml {
  const c = d.card;
  const o = d.opposition;
  const action = `/console/cartes/${c.serial}/opposition`;
  const facts = html`<dl class="fr-mb-3w">
    <dt>Numéro de série</dt>
    <dd><code>${c.serial}</code></dd>
    <dt>Organisme</dt>
    <dd>${c.organismeCode}</dd>
    <dt>État</dt>
    <dd id="card-state">${label(CARD_STATES, c.state)}</dd>
    ${
      o
        ? html`<dt>Motif de l'opposition</dt>
            <dd>${label(ALL_REASONS, o.reason)}</dd>
            <dt>En opposition depuis</dt>
            <dd>${dateTime(o.opposedAt)}</dd>`
        : ''
    }
  </dl>`;
  const form = !o
    ? html`<h2>Déclarer une opposition</h2>
        <div class="fr-callout fr-mb-3w">
          <p class="fr-callout__text">
            La carte sera mise en opposition tout de suite : elle figurera sur la prochaine liste d'opposition publiée
            aux pharmacies et ne sera plus acceptée. La caisse en est avertie. Une opposition déclarée par erreur peut
            être retirée pendant un délai limité, tant qu'aucune carte de remplacement n'est commandée.
          </p>
        </div>
        <form method="post" action="${action}">
          ${csrfField(agent)}
          <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend">
              Motif de l'opposition <span class="fr-hint-text">À choisir : aucun motif n'est proposé d'avance.</span>
            </legend>
            ${Object.entries(OPPOSITION_REASONS).map(
              ([value, text]) =>
                html`<div class="fr-fieldset__element">
                  <div class="fr-radio-group">
                    <input type="radio" id="reason-${value}" name="reason" value="${value}" />
                    <label class="fr-label" for="reason-${value}">${text}</label>
                  </div>
                </div>`,
            )}
          </fieldset>
          <button class="fr-btn" type="submit">Confirmer l'opposition</button>
        </form>`
    : o.withdrawableUntil
      ? html`<h2>Retirer l'opposition</h2>
          <div class="fr-callout fr-mb-3w">
            <p class="fr-callout__text">
              Si l'opposition a été déclarée par erreur, la retirer rend à la carte son état précédent ; elle sortira de
              la prochaine liste d'opposition. Possible jusqu'au ${dateTime(o.withdrawableUntil)}.
            </p>
          </div>
          <form method="post" action="${action}/retrait">
            ${csrfField(agent)}
            <button class="fr-btn fr-btn--secondary" type="submit">Confirmer le retrait de l'opposition</button>
          </form>`
      : html`<div class="fr-alert fr-alert--info">
          <p>Cette opposition ne peut plus être retirée (délai dépassé, ou motif posé par le système).</p>
        </div>`;
  return layout({
    title: `Opposition de la carte ${c.serial}`,
    agent,
    main: html`<h1>Opposition de la carte ${c.serial}</h1>
      ${facts} ${form} ${backLink}`,
  });
}

/** A request stuck or no longer wanted: what cancelling it does, then the form (or its state once cancelled). */
export function cancelRequestPage(agent: ConsolePrincipal, r: CardRequestView, cancellable: boolean): SafeHtml {
  const cancelled = r.status === 'cancelled';
  return layout({
    title: `Annuler la demande ${r.formNumber}`,
    agent,
    main: html`<h1>Annuler la demande ${r.formNumber}</h1>
      <dl class="fr-mb-3w">
        <dt>Numéro de formulaire</dt>
        <dd><code>${r.formNumber}</code></dd>
        <dt>Organisme</dt>
        <dd>${r.organismeCode}</dd>
        <dt>Étape</dt>
        <dd id="request-status">${label(REQUEST_STATUSES, r.status)}</dd>
        <dt>Depuis le</dt>
        <dd>${dateTime(r.statusChangedAt)}</dd>
      </dl>
      ${
        cancelled
          ? html`<div class="fr-alert fr-alert--success"><p>Cette demande est annulée.</p></div>`
          : cancellable
            ? html`<div class="fr-callout fr-mb-3w">
                  <p class="fr-callout__text">
                    La demande sera annulée : le lien de dépôt de photo ne fonctionnera plus et, si la carte est déjà
                    commandée sans être partie chez le fabricant, elle sera annulée aussi. La caisse en est avertie. Une
                    nouvelle demande pourra être ouverte ensuite.
                  </p>
                </div>
                <form method="post" action="/console/demandes/${r.id}/annulation">
                  ${csrfField(agent)}
                  <button class="fr-btn" type="submit">Confirmer l'annulation</button>
                </form>`
            : html`<div class="fr-alert fr-alert--info">
                <p>À cette étape, la demande ne peut plus être annulée depuis la console.</p>
              </div>`
      }
      ${backLink}`,
  });
}

/** A fund orders a replacement card for its insured: the reason, then the request opens. */
export function replacementPage(agent: ConsolePrincipal, d: { beneficiaryId: string; name: string }): SafeHtml {
  return layout({
    title: 'Commander une carte de remplacement',
    agent,
    main: html`<h1>Commander une carte de remplacement</h1>
      <p>Assuré : <strong>${d.name}</strong></p>
      <div class="fr-callout fr-mb-3w">
        <p class="fr-callout__text">
          Une demande de carte sera ouverte et le formulaire pré-rempli envoyé à l'assuré. Une carte perdue ou volée est
          mise en opposition à la commande de la nouvelle ; une autre carte reste valable jusqu'à l'activation de la
          nouvelle. Le lien de dépôt de photo en ligne s'affiche une seule fois à la page suivante.
        </p>
      </div>
      <form method="post" action="/console/assures/${d.beneficiaryId}/remplacement">
        ${csrfField(agent)}
        <div class="fr-select-group">
          <label class="fr-label" for="reason">Motif du remplacement</label>
          <select class="fr-select" id="reason" name="reason" required>
            ${Object.entries(REPLACEMENT_REASONS).map(([v, t]) => html`<option value="${v}">${t}</option>`)}
          </select>
        </div>
        <div class="fr-checkbox-group fr-mb-3w">
          <input type="checkbox" id="autoOrder" name="autoOrder" value="oui" />
          <label class="fr-label" for="autoOrder">Commander la carte dès qu'une photo est acceptée</label>
        </div>
        <button class="fr-btn" type="submit">Confirmer la commande</button>
      </form>
      ${backLink}`,
  });
}

/** The request opened: its number and the one-time upload link (kept nowhere to be shown again). */
export function replacementOrderedPage(agent: ConsolePrincipal, r: CreatedCardRequestView): SafeHtml {
  return layout({
    title: 'Demande de carte ouverte',
    agent,
    main: html`<h1>Demande de carte ouverte</h1>
      <div class="fr-alert fr-alert--warning fr-mb-3w">
        <h2 class="fr-alert__title">Lien affiché une seule fois</h2>
        <p>Transmettez le lien de dépôt de photo à l'assuré s'il dépose sa photo en ligne : il ne sera plus affiché.</p>
      </div>
      <dl>
        <dt>Numéro de formulaire</dt>
        <dd><code id="form-number">${r.formNumber}</code></dd>
        <dt>Motif</dt>
        <dd>${label(REPLACEMENT_REASONS, r.reason)}</dd>
        <dt>Lien de dépôt de photo</dt>
        <dd><code id="upload-link">${r.photoUploadLink}</code></dd>
      </dl>
      <p><a class="fr-link" href="/console/demandes/${r.id}/annulation">Annuler cette demande</a></p>
      ${backLink}`,
  });
}

/** A change of fund: the current affiliation, the new organisme and the first day with it. */
export function mutationPage(
  agent: ConsolePrincipal,
  d: { beneficiaryId: string; name: string; affiliations: AffiliationView[]; today: string },
): SafeHtml {
  return layout({
    title: "Changement d'organisme",
    agent,
    main: html`<h1>Changement d'organisme</h1>
      <p>Assuré : <strong>${d.name}</strong></p>
      <div class="fr-table">
        <table>
          <caption>
            Affiliations
          </caption>
          <thead>
            <tr>
              <th scope="col">Organisme</th>
              <th scope="col">Depuis le</th>
              <th scope="col">Jusqu'au</th>
            </tr>
          </thead>
          <tbody>
            ${d.affiliations.map(
              (a) =>
                html`<tr>
                  <td>${a.organismeCode}</td>
                  <td>${day(a.validFrom)}</td>
                  <td>${a.validTo ? day(a.validTo) : '—'}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <div class="fr-callout fr-mb-3w">
        <p class="fr-callout__text">
          L'assuré passera au nouvel organisme à la date d'effet. Ses cartes gardent leur numéro de série et passent
          avec lui ; la caisse actuelle ne le verra plus à partir de cette date.
        </p>
      </div>
      <form method="post" action="/console/assures/${d.beneficiaryId}/mutation">
        ${csrfField(agent)}
        <div class="fr-input-group">
          <label class="fr-label" for="toOrganismeCode"
            >Nouvel organisme <span class="fr-hint-text">Code à 9 chiffres, par exemple 016910001.</span></label
          >
          <input
            class="fr-input"
            id="toOrganismeCode"
            name="toOrganismeCode"
            type="text"
            inputmode="numeric"
            pattern="[0-9]{9}"
            maxlength="9"
            required
            autocomplete="off"
          />
        </div>
        <div class="fr-input-group">
          <label class="fr-label" for="effectiveDate"
            >Date d'effet <span class="fr-hint-text">Aujourd'hui ou plus tard.</span></label
          >
          <input class="fr-input" id="effectiveDate" name="effectiveDate" type="date" min="${d.today}" required />
        </div>
        <button class="fr-btn" type="submit">Confirmer le changement d'organisme</button>
      </form>
      ${backLink}`,
  });
}

/** After a change of fund (the outgoing fund may no longer see the insured: a page of its own, no identity). */
export function mutationRecordedPage(agent: ConsolePrincipal): SafeHtml {
  return layout({
    title: "Changement d'organisme enregistré",
    agent,
    main: html`<h1>Changement d'organisme enregistré</h1>
      <div class="fr-alert fr-alert--success fr-mb-3w">
        <p>
          Le changement est enregistré. À la date d'effet, l'assuré et ses cartes (mêmes numéros) passent au nouvel
          organisme.
        </p>
      </div>
      ${backLink}`,
  });
}
