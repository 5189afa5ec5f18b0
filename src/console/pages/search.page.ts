import type { CardView } from '../../cards/dto/card.dto.js';
import type { InsuredMatchesView } from '../../insight/dto/insight.dto.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { mayDo, oppositionApplies } from '../actions/action-rules.js';
import { html, type SafeHtml } from '../ui/html.js';
import { CARD_STATE_LABEL, dateOnly, dateTime, label } from '../ui/labels.js';
import { csrfField, layout } from '../ui/layout.js';

export type SearchOutcome =
  | { kind: 'card'; card: CardView }
  | { kind: 'matches'; matches: InsuredMatchesView }
  | { kind: 'missing'; what: 'card' | 'nir' };

const MISSING = {
  card: 'Aucune carte ne porte ce numéro dans votre périmètre.',
  nir: 'Aucun assuré ne porte ce NIR dans votre périmètre.',
};

function outcomeBlock(agent: ConsolePrincipal, o: SearchOutcome): SafeHtml {
  switch (o.kind) {
    case 'missing':
      return html`<div class="fr-alert fr-alert--info fr-mb-3w" role="status" id="resultat">
        <h2 class="fr-alert__title">Introuvable</h2>
        <p>${MISSING[o.what]}</p>
      </div>`;
    case 'card': {
      const c = o.card;
      return html`<section class="fr-mb-4w" id="resultat" aria-labelledby="resultat-titre">
        <h2 id="resultat-titre">Carte ${c.serial ?? '(sans numéro)'}</h2>
        <dl>
          <dt>État</dt>
          <dd>${label(CARD_STATE_LABEL, c.state)}${c.oppositionReason ? html` (${c.oppositionReason})` : ''}</dd>
          <dt>Organisme</dt>
          <dd>${c.organismeCode}</dd>
          <dt>Génération</dt>
          <dd>${c.generation}</dd>
          <dt>Dernier changement d'état</dt>
          <dd>${dateTime(c.stateChangedAt)}</dd>
        </dl>
        ${
          c.beneficiaryId
            ? html`<p>
                <a class="fr-link" href="/console/assures/${c.beneficiaryId}">Voir le dossier du titulaire</a>
              </p>`
            : ''
        }
        ${
          mayDo(agent.kind, 'opposition') && c.serial && oppositionApplies(c.state)
            ? html`<p>
                <a class="fr-link" href="/console/cartes/${c.serial}/opposition"
                  >${oppositionApplies(c.state) === 'declare' ? 'Déclarer une opposition' : "Voir l'opposition"}</a
                >
              </p>`
            : ''
        }
      </section>`;
    }
    case 'matches': {
      const m = o.matches;
      return html`<section class="fr-mb-4w" id="resultat" aria-labelledby="resultat-titre">
        <h2 id="resultat-titre">Assurés trouvés (${m.items.length})</h2>
        ${
          m.truncated
            ? html`<div class="fr-alert fr-alert--warning fr-alert--sm fr-mb-2w">
                <p>D'autres assurés correspondent : précisez le nom.</p>
              </div>`
            : ''
        }
        ${
          m.items.length
            ? html`<div class="fr-table">
                <table>
                  <caption>
                    Assurés correspondant au nom et à la date de naissance
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Nom</th>
                      <th scope="col">Prénom</th>
                      <th scope="col">Né(e) le</th>
                      <th scope="col">Organisme</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${m.items.map(
                      (i) =>
                        html`<tr>
                          <td>
                            <a href="/console/assures/${i.id}"
                              >${i.birthName}${i.usageName ? html` (${i.usageName})` : ''}</a
                            >
                          </td>
                          <td>${i.firstName}</td>
                          <td>${dateOnly(i.birthDate)}</td>
                          <td>${i.organismeCode ?? '—'}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>`
            : html`<p>Aucun assuré ne correspond dans votre périmètre.</p>`
        }
      </section>`;
    }
  }
}

/**
 * A search form sent with a value its rule refuses (a mistyped NIR, a name with digits): the page again, the form's
 * field marked with the French message and the code, the agent's own text back in its field (bounded by the field's
 * length) to be corrected.
 */
export interface SearchRefusal {
  form: 'nir' | 'nom';
  /** The field the message is about (`nir`, `name` or `birthDate`). */
  field: 'nir' | 'name' | 'birthDate';
  message: string;
  code: string;
  /** What the agent typed, by field. */
  values: Partial<Record<'nir' | 'name' | 'birthDate', string>>;
}

const MAXLENGTH = { nir: 40, name: 63, birthDate: 10 };

/** The search page: a card by serial (GET), an insured by NIR or by name and birth date (posted, never in a URL). */
export function searchPage(
  agent: ConsolePrincipal,
  outcome: SearchOutcome | null,
  refused: SearchRefusal | null = null,
): SafeHtml {
  /** A field's state: the refused one in error (class, message, aria), its typed value given back. */
  const state = (field: 'nir' | 'name' | 'birthDate') => {
    const typed = refused?.values[field];
    const value = typed !== undefined && typed.length <= MAXLENGTH[field] ? typed : '';
    const wrong = refused?.field === field;
    return {
      group: wrong ? ' fr-input-group--error' : '',
      input: wrong ? ' fr-input--error' : '',
      attrs: html`${value ? html` value="${value}"` : ''}${wrong ? html` aria-describedby="${field}-erreur" autofocus` : ''}`,
      message: wrong
        ? html`<p class="fr-error-text" id="${field}-erreur">
            ${refused!.message} (code <code>${refused!.code}</code>)
          </p>`
        : '',
    };
  };
  const nir = state('nir');
  const name = state('name');
  const birthDate = state('birthDate');
  return layout({
    title: refused
      ? 'Saisie à corriger — Recherche'
      : outcome?.kind === 'missing'
        ? 'Introuvable — Recherche'
        : 'Recherche',
    agent,
    current: '/console/recherche',
    main: html`<h1>Recherche</h1>
      ${
        refused
          ? html`<div class="fr-alert fr-alert--error fr-mb-3w" id="resultat">
              <h2 class="fr-alert__title">Saisie à corriger</h2>
              <p>
                ${refused.message} Corrigez-la dans le formulaire «
                ${refused.form === 'nir' ? 'Un assuré par NIR' : 'Un assuré par nom'} » ci-dessous.
              </p>
              <p class="fr-text--sm">Code : <code>${refused.code}</code></p>
            </div>`
          : ''
      }
      ${outcome ? outcomeBlock(agent, outcome) : ''}
      <div class="fr-grid-row fr-grid-row--gutters">
        <div class="fr-col-12 fr-col-md-4">
          <form method="get" action="/console/recherche/carte" aria-labelledby="titre-carte">
            <fieldset class="fr-fieldset">
              <legend class="fr-fieldset__legend" id="titre-carte">Une carte</legend>
              <div class="fr-fieldset__element">
                <div class="fr-input-group">
                  <label class="fr-label" for="numero"
                    >Numéro de série <span class="fr-hint-text">12 chiffres, imprimés au dos de la carte.</span></label
                  >
                  <input
                    class="fr-input"
                    id="numero"
                    name="numero"
                    type="text"
                    inputmode="numeric"
                    required
                    maxlength="20"
                    autocomplete="off"
                  />
                </div>
              </div>
              <div class="fr-fieldset__element">
                <button class="fr-btn" type="submit">Chercher la carte</button>
              </div>
            </fieldset>
          </form>
        </div>
        <div class="fr-col-12 fr-col-md-4">
          <form method="post" action="/console/recherche/nir" aria-labelledby="titre-nir">
            ${csrfField(agent)}
            <fieldset class="fr-fieldset">
              <legend class="fr-fieldset__legend" id="titre-nir">Un assuré par NIR</legend>
              <div class="fr-fieldset__element">
                <div class="fr-input-group${nir.group}">
                  <label class="fr-label" for="nir"
                    >NIR <span class="fr-hint-text">13 caractères et la clé de 2 chiffres.</span></label
                  >
                  <input
                    class="fr-input${nir.input}"
                    id="nir"
                    name="nir"
                    type="text"
                    required
                    maxlength="40"
                    autocomplete="off"
                    ${nir.attrs}
                  />
                  ${nir.message}
                </div>
              </div>
              <div class="fr-fieldset__element">
                <button class="fr-btn" type="submit">Chercher par NIR</button>
              </div>
            </fieldset>
          </form>
        </div>
        <div class="fr-col-12 fr-col-md-4">
          <form method="post" action="/console/recherche/nom" aria-labelledby="titre-nom">
            ${csrfField(agent)}
            <fieldset class="fr-fieldset">
              <legend class="fr-fieldset__legend" id="titre-nom">Un assuré par nom</legend>
              <div class="fr-fieldset__element">
                <div class="fr-input-group${name.group}">
                  <label class="fr-label" for="name"
                    >Nom de naissance ou d'usage <span class="fr-hint-text">Ou son début.</span></label
                  >
                  <input
                    class="fr-input"
                    id="name"
                    name="name"
                    type="text"
                    required
                    maxlength="63"
                    autocomplete="off"
                    ${name.attrs}
                  />
                  ${name.message}
                </div>
              </div>
              <div class="fr-fieldset__element">
                <div class="fr-input-group${birthDate.group}">
                  <label class="fr-label" for="birthDate"
                    >Date de naissance <span class="fr-hint-text">Au format JJ/MM/AAAA.</span></label
                  >
                  <input
                    class="fr-input"
                    id="birthDate"
                    name="birthDate"
                    type="text"
                    inputmode="numeric"
                    required
                    maxlength="10"
                    autocomplete="off"
                    ${birthDate.attrs}
                  />
                  ${birthDate.message}
                </div>
              </div>
              <div class="fr-fieldset__element">
                <button class="fr-btn" type="submit">Chercher par nom</button>
              </div>
            </fieldset>
          </form>
        </div>
      </div>`,
  });
}
