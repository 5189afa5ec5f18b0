import { type CampaignAction, CampaignStatus } from '../../campaigns/campaign-status.enum.js';
import type {
  CampaignListView,
  CampaignView,
  DryRunView,
  FunnelView,
  CampaignWaveView,
} from '../../campaigns/dto/campaign.dto.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { html, type SafeHtml } from '../ui/html.js';
import { csrfField, layout } from '../ui/layout.js';
import { counted, plural } from '../ui/labels.js';
import { badge, cell, count, dateTime, table } from './format.js';

const NAV = '/console/campagnes';

const STATUS: Record<CampaignStatus, [string, 'success' | 'error' | 'warning' | 'info' | 'new']> = {
  [CampaignStatus.Ready]: ['Prête', 'new'],
  [CampaignStatus.Running]: ['En cours', 'info'],
  [CampaignStatus.Paused]: ['En pause', 'warning'],
  [CampaignStatus.Completed]: ['Terminée', 'success'],
  [CampaignStatus.Cancelled]: ['Annulée', 'error'],
};
const status = (s: CampaignStatus) => badge(...(STATUS[s] ?? [s, 'info']));

/** Each move: its slug in the URL, its button and what it does (shown on the confirmation page). */
export const CAMPAIGN_ACTIONS: Record<CampaignAction, { slug: string; label: string; effect: string }> = {
  start: {
    slug: 'demarrage',
    label: 'Démarrer',
    effect: 'La première vague part aussitôt : des formulaires de demande sont envoyés aux assurés de la cohorte.',
  },
  pause: {
    slug: 'pause',
    label: 'Mettre en pause',
    effect: "Plus aucune vague n'est envoyée ; une vague en cours s'arrête après son lot en cours.",
  },
  resume: {
    slug: 'reprise',
    label: 'Reprendre',
    effect: "Les vagues reprennent ; celle du jour continue à partir de l'assuré suivant.",
  },
  cancel: {
    slug: 'annulation',
    label: 'Annuler',
    effect: 'La campagne est arrêtée définitivement ; les formulaires déjà envoyés suivent leur cours.',
  },
};
const MOVES_FROM: Record<CampaignStatus, CampaignAction[]> = {
  [CampaignStatus.Ready]: ['start', 'cancel'],
  [CampaignStatus.Running]: ['pause', 'cancel'],
  [CampaignStatus.Paused]: ['resume', 'cancel'],
  [CampaignStatus.Completed]: [],
  [CampaignStatus.Cancelled]: [],
};

const cohortText = (c: CampaignView['cohort']): string =>
  [
    `régimes ${c.regimeCodes.join(', ')}`,
    c.fundCodes ? `caisses ${c.fundCodes.join(', ')}` : null,
    c.organismeCodes ? `organismes ${c.organismeCodes.join(', ')}` : null,
    c.generation ? (c.generation === 1 ? 'cartes sans photo' : 'cartes avec photo') : null,
    c.minAge !== undefined && c.minAge !== null ? `${c.minAge} ans et plus` : null,
    c.notUpdatedForMonths ? `non mises à jour depuis ${c.notUpdatedForMonths} mois` : null,
    c.origin ? (c.origin === 'issued' ? 'cartes émises par le système' : 'cartes reprises') : null,
  ]
    .filter((s) => s !== null)
    .join(' ; ');

/** Campaigns, newest first, paged. */
export function campaignsPage(agent: ConsolePrincipal, d: CampaignListView): SafeHtml {
  return layout({
    title: 'Campagnes',
    agent,
    current: NAV,
    main: html`<h1>Campagnes de renouvellement</h1>
      <p><a class="fr-btn fr-btn--secondary" href="/console/campagnes/nouvelle">Définir une campagne</a></p>
      ${table(
        'Campagnes, les plus récentes en premier',
        ['Nom', 'État', 'Cohorte', 'Formulaires envoyés', 'Créée le'],
        d.items.map((c) => [
          html`<a href="/console/campagnes/${c.id}">${c.name}</a>`,
          status(c.status),
          cell(count(c.cohortSize)),
          cell(count(c.sent)),
          cell(dateTime(c.createdAt)),
        ]),
        'aucune campagne.',
      )}
      ${d.next ? html`<p><a class="fr-link" href="/console/campagnes?apres=${d.next}">Campagnes plus anciennes</a></p>` : ''}`,
  });
}

const input = (id: string, label: string, hint: string, attrs: { required?: boolean; inputmode?: string } = {}) =>
  html`<div class="fr-input-group">
    <label class="fr-label" for="${id}">${label}<span class="fr-hint-text">${hint}</span></label>
    <input
      class="fr-input"
      id="${id}"
      name="${id}"
      type="text"
      autocomplete="off"
      ${attrs.inputmode ? html`inputmode="${attrs.inputmode}"` : ''}
      ${attrs.required ? html`required` : ''}
    />
  </div>`;

/** Define a campaign: its cohort, a name, a daily limit; the dry-run button sizes the cohort without saving. */
export function campaignFormPage(agent: ConsolePrincipal): SafeHtml {
  return layout({
    title: 'Définir une campagne',
    agent,
    current: NAV,
    main: html`<h1>Définir une campagne</h1>
      <p>
        Toute condition remplie restreint la cohorte. « Simuler » donne sa taille aujourd'hui sans rien enregistrer ; «
        Définir » enregistre la campagne (état « prête ») : rien n'est envoyé avant son démarrage.
      </p>
      <form method="post" action="/console/campagnes">
        ${csrfField(agent)} ${input('name', 'Nom de la campagne', '1 à 120 caractères.')}
        ${input('regimeCodes', 'Régimes', 'Codes à 2 chiffres séparés par des virgules, par exemple 01.', { required: true, inputmode: 'numeric' })}
        ${input('fundCodes', 'Caisses (facultatif)', 'Codes à 5 chiffres séparés par des virgules.')}
        ${input('organismeCodes', 'Organismes (facultatif)', 'Codes à 9 chiffres séparés par des virgules.')}
        <div class="fr-select-group">
          <label class="fr-label" for="generation">Génération de carte</label>
          <select class="fr-select" id="generation" name="generation">
            <option value="">Toutes</option>
            <option value="1">Sans photo (1re génération)</option>
            <option value="2">Avec photo (2e génération)</option>
          </select>
        </div>
        ${input('minAge', 'Âge minimal (facultatif)', 'En années, de 0 à 120.', { inputmode: 'numeric' })}
        ${input('notUpdatedForMonths', 'Non mises à jour depuis (facultatif)', 'En mois, de 1 à 600.', { inputmode: 'numeric' })}
        <div class="fr-select-group">
          <label class="fr-label" for="origin">Origine des cartes</label>
          <select class="fr-select" id="origin" name="origin">
            <option value="">Toutes</option>
            <option value="issued">Émises par le système</option>
            <option value="imported">Reprises de l'ancienne base</option>
          </select>
        </div>
        ${input('dailyLimit', 'Formulaires par jour au plus (facultatif)', 'Par défaut, toute la capacité du jour.', { inputmode: 'numeric' })}
        <ul class="fr-btns-group fr-btns-group--inline">
          <li>
            <button class="fr-btn fr-btn--secondary" type="submit" formaction="/console/campagnes/simulation">
              Simuler la taille de la cohorte
            </button>
          </li>
          <li><button class="fr-btn" type="submit">Définir la campagne</button></li>
        </ul>
      </form>`,
  });
}

/** The cohort's size today, per regime. */
export function campaignDryRunPage(agent: ConsolePrincipal, d: DryRunView): SafeHtml {
  return layout({
    title: 'Simulation de cohorte',
    agent,
    current: NAV,
    main: html`<h1>Simulation de cohorte</h1>
      <p class="fr-text--lead">
        <span id="cohort-size">${count(d.holders)}</span> ${plural(d.holders, 'assuré', 'assurés')} aujourd'hui, soit
        ${counted(d.daysAtCapacity, 'jour', 'jours')} de vagues à pleine capacité. Rien n'a été enregistré.
      </p>
      ${table(
        'Assurés par régime',
        ['Régime', 'Assurés'],
        d.perRegime.map((r) => [cell(r.regimeCode), cell(count(r.holders))]),
      )}
      <p><a class="fr-link" href="/console/campagnes/nouvelle">Revenir au formulaire</a></p>`,
  });
}

const funnelTable = (f: FunnelView) =>
  table(
    f.organismeCode ? `Entonnoir des assurés de l'organisme ${f.organismeCode}` : 'Entonnoir de la campagne',
    ['Étape', 'Nombre'],
    [
      [cell('Formulaires envoyés'), cell(count(f.formsSent))],
      [cell('Réponses reçues (photo reçue)'), cell(count(f.answered))],
      [cell('Photos refusées au moins une fois'), cell(count(f.photosRefused))],
      [cell('Cartes actives'), cell(count(f.cardsActive))],
      [cell('Sans réponse (formulaire expiré)'), cell(count(f.unanswered))],
      [cell('Assurés écartés (demande déjà ouverte)'), cell(count(f.skipped))],
    ],
  );

/** One campaign: cohort, state, its moves, waves and funnel. */
export function campaignPage(
  agent: ConsolePrincipal,
  c: CampaignView,
  waves: CampaignWaveView[],
  f: FunnelView,
): SafeHtml {
  return layout({
    title: `Campagne ${c.name}`,
    agent,
    current: NAV,
    main: html`<h1>Campagne : ${c.name}</h1>
      <dl>
        <dt>État</dt>
        <dd id="campaign-status">${status(c.status)}</dd>
        <dt>Cohorte</dt>
        <dd>${cohortText(c.cohort)} — ${counted(c.cohortSize, 'assuré', 'assurés')} à la définition</dd>
        <dt>Limite par jour</dt>
        <dd>${c.dailyLimit === null ? 'toute la capacité du jour' : count(c.dailyLimit)}</dd>
        <dt>Formulaires envoyés / assurés écartés</dt>
        <dd>${count(c.sent)} / ${count(c.skipped)}</dd>
        <dt>Créée le / dernier changement d'état</dt>
        <dd>${dateTime(c.createdAt)} / ${dateTime(c.statusChangedAt)}</dd>
      </dl>
      ${
        MOVES_FROM[c.status]?.length
          ? html`<ul class="fr-btns-group fr-btns-group--inline">
              ${MOVES_FROM[c.status].map(
                (m) =>
                  html`<li>
                    <a class="fr-btn fr-btn--secondary" href="/console/campagnes/${c.id}/${CAMPAIGN_ACTIONS[m].slug}"
                      >${CAMPAIGN_ACTIONS[m].label}</a
                    >
                  </li>`,
              )}
            </ul>`
          : ''
      }
      <h2>Vagues</h2>
      ${table(
        'Vagues, une par jour',
        ['Jour', 'Prévus', 'Envoyés', 'Écartés', 'État', 'Finie le'],
        waves.map((w) => [
          cell(w.day),
          cell(count(w.planned)),
          cell(count(w.sent)),
          cell(count(w.skipped)),
          w.status === 'done' ? badge('Terminée', 'success') : badge('Ouverte', 'info'),
          cell(dateTime(w.finishedAt)),
        ]),
        'aucune vague pour le moment.',
      )}
      <h2>Entonnoir</h2>
      ${funnelTable(f)}`,
  });
}

/** The funnel alone (what a fund agent sees: its own insured only). */
export function funnelPage(agent: ConsolePrincipal, f: FunnelView): SafeHtml {
  return layout({
    title: 'Entonnoir de campagne',
    agent,
    current: agent.kind === 'operator' ? NAV : undefined,
    main: html`<h1>Entonnoir de la campagne</h1>
      ${funnelTable(f)}`,
  });
}

/** What a move will do, and its form. */
export function campaignConfirmPage(agent: ConsolePrincipal, c: CampaignView, action: CampaignAction): SafeHtml {
  const a = CAMPAIGN_ACTIONS[action];
  return layout({
    title: `${a.label} : confirmation`,
    agent,
    current: NAV,
    main: html`<h1>${a.label} la campagne « ${c.name} » ?</h1>
      <div class="fr-alert fr-alert--warning fr-mb-3w">
        <p>${a.effect}</p>
      </div>
      <p>État actuel : ${status(c.status)}</p>
      <form method="post" action="/console/campagnes/${c.id}/${a.slug}">
        ${csrfField(agent)}
        <ul class="fr-btns-group fr-btns-group--inline">
          <li><button class="fr-btn" type="submit">Confirmer : ${a.label.toLowerCase()}</button></li>
          <li><a class="fr-btn fr-btn--secondary" href="/console/campagnes/${c.id}">Ne rien faire</a></li>
        </ul>
      </form>`,
  });
}
