import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import type {
  RunDetailView,
  RunView,
  SurplusCounterView,
  ReconciliationWaveView,
} from '../../reconciliation/dto/reconciliation.dto.js';
import { html, type SafeHtml } from '../ui/html.js';
import { csrfField, layout } from '../ui/layout.js';
import { badge, cell, count, dateTime, table } from './format.js';

const NAV = '/console/rapprochement';
const MODE: Record<string, string> = { dry_run: 'Simulation', apply: 'Application' };
const STATUS: Record<string, [string, 'success' | 'error' | 'warning' | 'info']> = {
  pending: ['En attente', 'info'],
  running: ['En cours', 'info'],
  done: ['Terminée', 'success'],
  failed: ['Échouée', 'error'],
};
const CLASS: Record<string, string> = {
  surplus: 'Surnuméraire',
  kept: 'Conservée',
  left_organisme: "Hors de l'organisme",
  holder_unknown: 'Titulaire inconnu',
  holder_deceased: 'Titulaire décédé',
};
const status = (s: string) => badge(...(STATUS[s] ?? [s, 'info']));

/** Runs, newest first, the surplus found and invalidated per regime, and (operators) the buttons to start one. */
export function reconciliationRunsPage(
  agent: ConsolePrincipal,
  runs: RunView[],
  surplus: SurplusCounterView[],
): SafeHtml {
  return layout({
    title: 'Rapprochement',
    agent,
    current: NAV,
    main: html`<h1>Rapprochement des cartes</h1>
      ${
        agent.kind === 'operator'
          ? html`<ul class="fr-btns-group fr-btns-group--inline">
              <li>
                <a class="fr-btn fr-btn--secondary" href="/console/rapprochement/nouvelle/simulation"
                  >Lancer une simulation</a
                >
              </li>
              <li>
                <a class="fr-btn fr-btn--secondary" href="/console/rapprochement/nouvelle/application"
                  >Lancer une application</a
                >
              </li>
              <li>
                <a class="fr-btn fr-btn--tertiary" href="/console/rapprochement/vague">Lancer une vague maintenant</a>
              </li>
            </ul>`
          : ''
      }
      ${table(
        'Exécutions, les plus récentes en premier (50 au plus)',
        ['Exécution', 'Mode', 'État', 'Cartes classées', 'Demandée le', 'Finie le'],
        runs.map((r) => [
          html`<a href="/console/rapprochement/executions/${r.id}">${r.id.slice(0, 8)}</a>`,
          cell(MODE[r.mode] ?? r.mode),
          status(r.status),
          cell(count(r.cardsClassified)),
          cell(dateTime(r.createdAt)),
          cell(dateTime(r.finishedAt)),
        ]),
        'aucune exécution.',
      )}
      <h2>Vagues : cartes surnuméraires par régime</h2>
      ${table(
        'Surnuméraires trouvées par la dernière exécution terminée, et invalidées par les vagues',
        ['Régime', 'Trouvées', 'Invalidées'],
        surplus.map((s) => [cell(s.regimeCode), cell(count(s.found)), cell(count(s.invalidated))]),
        'aucune carte surnuméraire.',
      )}`,
  });
}

/** A run: its state and its counts per class, regime, fund and organisme; the CSV report once done. */
export function reconciliationRunPage(agent: ConsolePrincipal, r: RunDetailView): SafeHtml {
  const byClass = new Map<string, number>();
  for (const c of r.counts) byClass.set(c.class, (byClass.get(c.class) ?? 0) + c.cards);
  return layout({
    title: `Exécution de rapprochement ${r.id.slice(0, 8)}`,
    agent,
    current: NAV,
    main: html`<h1>Exécution de rapprochement</h1>
      <dl>
        <dt>Identifiant</dt>
        <dd><code>${r.id}</code></dd>
        <dt>Mode</dt>
        <dd>${MODE[r.mode] ?? r.mode}</dd>
        <dt>État</dt>
        <dd id="run-status">${status(r.status)}${r.error ? html` — <code>${r.error}</code>` : ''}</dd>
        <dt>Demandée / commencée / finie</dt>
        <dd>${dateTime(r.createdAt)} / ${dateTime(r.startedAt)} / ${dateTime(r.finishedAt)}</dd>
        <dt>Cartes classées</dt>
        <dd>${count(r.cardsClassified)}</dd>
      </dl>
      ${
        r.status === 'done'
          ? html`<p>
              <a
                class="fr-link fr-icon-download-line fr-link--icon-left"
                download
                href="/console/rapprochement/executions/${r.id}/rapport.csv"
                >Télécharger le rapport (CSV, sans NIR)</a
              >
            </p>`
          : html`<p>Les comptes et le rapport seront disponibles une fois l'exécution terminée.</p>`
      }
      ${table(
        'Cartes par classe',
        ['Classe', 'Cartes'],
        [...byClass].map(([k, n]) => [cell(CLASS[k] ?? k), cell(count(n))]),
        'aucun compte.',
      )}
      ${table(
        'Cartes par régime, caisse, organisme et classe',
        ['Régime', 'Caisse', 'Organisme', 'Classe', 'Cartes'],
        r.counts.map((c) => [
          cell(c.regimeCode),
          cell(c.fundCode),
          cell(c.organismeCode),
          cell(CLASS[c.class] ?? c.class),
          cell(count(c.cards)),
        ]),
        'aucun compte.',
      )}
      <p><a class="fr-link" href="/console/rapprochement">Retour aux exécutions</a></p>`,
  });
}

const EFFECT = {
  simulation: "La simulation classe les cartes et produit le rapport ; aucune carte n'est modifiée.",
  application:
    "L'application garde une carte par personne et décide l'opposition des autres, faites ensuite par vagues dans la limite du jour. Une seule exécution à la fois.",
};

/** What a run of this mode will do, and its form. */
export function reconciliationConfirmPage(agent: ConsolePrincipal, mode: 'simulation' | 'application'): SafeHtml {
  return layout({
    title: `Lancer une ${mode} : confirmation`,
    agent,
    current: NAV,
    main: html`<h1>Lancer une ${mode} de rapprochement ?</h1>
      <div class="fr-alert fr-alert--${mode === 'application' ? 'warning' : 'info'} fr-mb-3w">
        <p>${EFFECT[mode]}</p>
      </div>
      <form method="post" action="/console/rapprochement/executions">
        ${csrfField(agent)}
        <input type="hidden" name="mode" value="${mode}" />
        <ul class="fr-btns-group fr-btns-group--inline">
          <li><button class="fr-btn" type="submit">Confirmer : lancer la ${mode}</button></li>
          <li><a class="fr-btn fr-btn--secondary" href="/console/rapprochement">Ne rien faire</a></li>
        </ul>
      </form>`,
  });
}

export function reconciliationWaveConfirmPage(agent: ConsolePrincipal): SafeHtml {
  return layout({
    title: 'Lancer une vague : confirmation',
    agent,
    current: NAV,
    main: html`<h1>Lancer une vague d'oppositions maintenant ?</h1>
      <div class="fr-alert fr-alert--warning fr-mb-3w">
        <p>
          Les prochaines cartes surnuméraires décidées sont mises en opposition, dans la limite de ce que la limite du
          jour laisse (la tâche horaire fait de même).
        </p>
      </div>
      <form method="post" action="/console/rapprochement/vague">
        ${csrfField(agent)}
        <ul class="fr-btns-group fr-btns-group--inline">
          <li><button class="fr-btn" type="submit">Confirmer : lancer la vague</button></li>
          <li><a class="fr-btn fr-btn--secondary" href="/console/rapprochement">Ne rien faire</a></li>
        </ul>
      </form>`,
  });
}

export function reconciliationWavePage(agent: ConsolePrincipal, w: ReconciliationWaveView): SafeHtml {
  return layout({
    title: 'Vague lancée',
    agent,
    current: NAV,
    main: html`<h1>Vague d'oppositions</h1>
      <dl>
        <dt>Cartes mises en opposition par cette vague</dt>
        <dd id="wave-opposed">${count(w.opposed)}</dd>
        <dt>Décisions abandonnées (la carte avait changé d'état)</dt>
        <dd>${count(w.skipped)}</dd>
        <dt>Oppositions du jour / limite du jour</dt>
        <dd>${count(w.opposedToday)} / ${count(w.dailyLimit)}</dd>
        <dt>Oppositions décidées restant à faire</dt>
        <dd>${count(w.remaining)}</dd>
      </dl>
      <p><a class="fr-link" href="/console/rapprochement">Retour au rapprochement</a></p>`,
  });
}
