import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import type { DashboardView, LeadTimeSeriesView } from '../../insight/dto/insight.dto.js';
import { barChart, lineChart } from '../ui/charts.js';
import { html, type SafeHtml } from '../ui/html.js';
import {
  CARD_STATE_LABEL,
  dateOnly,
  dateTime,
  counted,
  label,
  number,
  plural,
  REQUEST_STATUS_LABEL,
  WAITING_ON_LABEL,
} from '../ui/labels.js';
import { csrfField, layout } from '../ui/layout.js';

const RESULT_LABEL: Record<string, string> = { confirmed: 'Confirmées', failed: 'Échouées', superseded: 'Remplacées' };
const RESULT_COLOUR: Record<string, string> = { confirmed: '#18753c', failed: '#ce0500', superseded: '#695240' };
const segmentLabel = (segment: string) =>
  segment
    .split('→')
    .map((s) => label(REQUEST_STATUS_LABEL, s))
    .join(' → ');

function leadTimeBlock(s: LeadTimeSeriesView, i: number): SafeHtml {
  const title = `Délais ${segmentLabel(s.segment)}`;
  const ref = s.referenceDays;
  return html`<section class="fr-mb-4w" aria-labelledby="delai-${i}">
    <h3 id="delai-${i}" class="fr-h6">
      ${segmentLabel(s.segment)}${ref !== null ? html` — référence ${counted(ref, 'jour', 'jours', 1)}` : ''}
    </h3>
    ${
      s.days.length
        ? lineChart({
            id: `graphe-delai-${i}`,
            title,
            description: `Médiane et 90e centile par jour, en jours${ref !== null ? `, à comparer à la référence de ${counted(ref, 'jour', 'jours', 1)}` : ''}. Les chiffres sont dans le tableau qui suit.`,
            xLabels: s.days.map((d) => dateOnly(d.day).slice(0, 5)),
            series: [
              { name: 'Médiane', colour: '#000091', points: s.days.map((d) => d.medianDays) },
              { name: '90e centile', colour: '#6a6af4', dashed: true, points: s.days.map((d) => d.p90Days) },
            ],
            references: ref !== null ? [{ value: ref, label: `référence ${number(ref, 1)} j` }] : [],
            unit: 'jours',
          })
        : html`<p>Aucune demande n'a franchi cette étape sur la période.</p>`
    }
    ${
      s.days.length
        ? html`<details class="fr-mt-1w">
            <summary>Tableau des délais : ${segmentLabel(s.segment)}</summary>
            <div class="fr-table fr-table--sm">
              <table>
                <caption>
                  ${title} (jours)
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Jour</th>
                    <th scope="col">Demandes</th>
                    <th scope="col">Médiane</th>
                    <th scope="col">90e centile</th>
                    <th scope="col">Référence</th>
                  </tr>
                </thead>
                <tbody>
                  ${s.days.map(
                    (d) =>
                      html`<tr>
                        <td>${dateOnly(d.day)}</td>
                        <td>${number(d.count)}</td>
                        <td>${number(d.medianDays, 2)}</td>
                        <td>${number(d.p90Days, 2)}</td>
                        <td>${ref !== null ? number(ref, 1) : '—'}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
          </details>`
        : ''
    }
  </section>`;
}

/** The dashboard: the chain at a glance, stuck requests (operators re-inject them), lead times, kiosks, lists, jobs. */
export function dashboardPage(agent: ConsolePrincipal, d: DashboardView, flash?: string): SafeHtml {
  const operator = agent.kind === 'operator';
  const results = [...new Set(d.kioskPerHour.flatMap((h) => Object.keys(h.results)))].sort();
  const hourLabel = (h: Date) =>
    new Date(h).toLocaleTimeString('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });
  return layout({
    title: 'Tableau de bord',
    agent,
    current: '/console',
    main: html`<h1>Tableau de bord</h1>
      ${flash ? html`<div class="fr-alert fr-alert--success fr-mb-3w" role="status"><p>${flash}</p></div>` : ''}
      <p>
        ${d.organismeCode ? html`Organisme ${d.organismeCode}.` : 'Tous les organismes.'}
        ${
          d.figuresTakenAt
            ? html`Comptes établis le ${dateTime(d.figuresTakenAt)}.`
            : 'Les comptes ne sont pas encore établis (tâche de calcul en attente).'
        }
      </p>

      <h2 id="chaine">La chaîne d'émission</h2>
      <div class="fr-grid-row fr-grid-row--gutters fr-mb-3w" id="etapes">
        ${d.requests.map(
          (r) =>
            html`<div class="fr-col-12 fr-col-sm-6 fr-col-md-3">
              <div class="fr-tile fr-tile--sm" data-step="${r.status}">
                <div class="fr-tile__body">
                  <div class="fr-tile__content">
                    <h3 class="fr-tile__title">${label(REQUEST_STATUS_LABEL, r.status)}</h3>
                    <p class="fr-tile__desc">
                      <span class="console-count">${number(r.count)}</span>
                      ${plural(r.count, 'demande en cours', 'demandes en cours')}
                    </p>
                    ${
                      r.stuck
                        ? html`<p class="fr-badge fr-badge--warning fr-badge--sm">
                            ${counted(r.stuck, 'bloquée', 'bloquées')}
                          </p>`
                        : ''
                    }
                  </div>
                </div>
              </div>
            </div>`,
        )}
      </div>
      <div class="fr-table fr-table--sm">
        <table>
          <caption>
            Cartes par état
          </caption>
          <thead>
            <tr>
              ${d.cards.map((c) => html`<th scope="col">${label(CARD_STATE_LABEL, c.label)}</th>`)}
            </tr>
          </thead>
          <tbody>
            <tr>
              ${d.cards.map((c) => html`<td data-state="${c.label}">${number(c.count)}</td>`)}
            </tr>
          </tbody>
        </table>
      </div>

      <h2 id="bloquees">Demandes bloquées (${number(d.stuckCount)})</h2>
      <p>
        Une demande est bloquée quand elle n'a pas changé d'étape depuis plus de
        ${counted(d.stuckAfterHours, 'heure', 'heures')}.
      </p>
      ${
        d.stuck.length
          ? html`<div class="fr-table fr-table--sm">
              <table id="demandes-bloquees">
                <caption>
                  ${d.stuck.length < 2 ? 'La demande bloquée la plus ancienne' : `Les ${d.stuck.length} demandes bloquées les plus anciennes`}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Formulaire</th>
                    <th scope="col">Organisme</th>
                    <th scope="col">Étape</th>
                    <th scope="col">Depuis</th>
                    <th scope="col">Attend</th>
                    <th scope="col">Relances</th>
                    ${operator ? html`<th scope="col">Action</th>` : ''}
                  </tr>
                </thead>
                <tbody>
                  ${d.stuck.map(
                    (s) =>
                      html`<tr data-request="${s.id}">
                        <td>${s.formNumber}</td>
                        <td>${s.organismeCode}</td>
                        <td>
                          ${label(REQUEST_STATUS_LABEL, s.status)}
                          ${s.needsReview ? html`<p class="fr-badge fr-badge--error fr-badge--sm">À examiner</p>` : ''}
                        </td>
                        <td>${dateTime(s.since)} (${number(s.idleHours)} h)</td>
                        <td>${label(WAITING_ON_LABEL, s.waitingOn)}</td>
                        <td>${number(s.reinjections)}</td>
                        ${
                          operator
                            ? html`<td>
                                ${
                                  s.retryable
                                    ? html`<a
                                        class="fr-btn fr-btn--sm fr-btn--secondary"
                                        href="/console/demandes/${s.id}/relance"
                                        aria-label="Relancer la demande ${s.formNumber}"
                                        >Relancer</a
                                      >`
                                    : html`<span class="fr-text--xs">Rien à relancer par le système</span>`
                                }
                              </td>`
                            : ''
                        }
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p>Aucune demande bloquée.</p>`
      }

      <h2 id="delais">
        Délais de la chaîne (${d.leadTimeDays < 2 ? 'dernier jour' : `${d.leadTimeDays} derniers jours`})
      </h2>
      <p>
        Médiane (trait plein) et 90e centile (pointillés) par jour, en jours, à côté des références de 2,4 et 3,5 jours
        (trait rouge).
      </p>
      ${d.leadTimes.map((s, i) => leadTimeBlock(s, i))}

      <h2 id="bornes">Mises à jour en borne (24 dernières heures)</h2>
      ${
        d.kioskPerHour.some((h) => Object.values(h.results).some((n) => n > 0))
          ? barChart({
              id: 'graphe-bornes',
              title: 'Mises à jour en borne par heure',
              description: `Échanges terminés par heure, empilés par résultat (${results.map((r) => label(RESULT_LABEL, r)).join(', ')}). Les chiffres sont dans le tableau qui suit.`,
              xLabels: d.kioskPerHour.map((h) => hourLabel(h.hour)),
              stacks: results.map((r) => ({
                name: r,
                colour: RESULT_COLOUR[r] ?? '#000091',
                values: d.kioskPerHour.map((h) => h.results[r] ?? 0),
              })),
            })
          : html`<p>Aucune mise à jour en borne sur les 24 dernières heures.</p>`
      }
      <details class="fr-mt-1w fr-mb-3w">
        <summary>Tableau des mises à jour en borne par heure</summary>
        <div class="fr-table fr-table--sm">
          <table>
            <caption>
              Échanges terminés par heure et par résultat
            </caption>
            <thead>
              <tr>
                <th scope="col">Heure</th>
                ${results.map((r) => html`<th scope="col">${label(RESULT_LABEL, r)}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${d.kioskPerHour.map(
                (h) =>
                  html`<tr>
                    <td>${hourLabel(h.hour)}</td>
                    ${results.map((r) => html`<td>${number(h.results[r] ?? 0)}</td>`)}
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </details>

      <h2 id="listes">Listes d'opposition publiées</h2>
      ${
        d.oppositionLists.length
          ? html`<div class="fr-table fr-table--sm">
              <table>
                <caption>
                  ${d.oppositionLists.length < 2 ? 'La dernière liste' : `Les ${d.oppositionLists.length} dernières listes`}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Numéro</th>
                    <th scope="col">Type</th>
                    <th scope="col">Période</th>
                    <th scope="col">Produite le</th>
                    <th scope="col">Entrées</th>
                    <th scope="col">Ajouts</th>
                    <th scope="col">Retraits</th>
                  </tr>
                </thead>
                <tbody>
                  ${d.oppositionLists.map(
                    (l) =>
                      html`<tr>
                        <td>${l.number}</td>
                        <td>${l.kind === 'full' ? 'Complète' : 'Incrémentale'}</td>
                        <td>${l.period}</td>
                        <td>${dateTime(l.producedAt)}</td>
                        <td>${number(l.entryCount)}</td>
                        <td>${number(l.additions)}</td>
                        <td>${number(l.removals)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : html`<p>Aucune liste publiée.</p>`
      }
      ${
        d.failingJobs
          ? html`<h2 id="taches">Tâches en échec (24 dernières heures)</h2>
              ${
                d.failingJobs.length
                  ? html`<div class="fr-table fr-table--sm">
                      <table>
                        <caption>
                          Tâches dont les tentatives sont épuisées
                        </caption>
                        <thead>
                          <tr>
                            <th scope="col">Tâche</th>
                            <th scope="col">Échecs</th>
                            <th scope="col">Dernier échec</th>
                          </tr>
                        </thead>
                        <tbody>
                          ${d.failingJobs.map(
                            (j) =>
                              html`<tr>
                                <td><code>${j.job}</code></td>
                                <td>${number(j.count)}</td>
                                <td>${dateTime(j.lastAt)}</td>
                              </tr>`,
                          )}
                        </tbody>
                      </table>
                    </div>`
                  : html`<p>Aucune tâche en échec.</p>`
              }`
          : ''
      }
      <h2 id="sessions">Vos sessions</h2>
      <p>Un ordinateur partagé ou perdu ? Fermez toutes vos sessions ouvertes, celle-ci comprise.</p>
      <form method="post" action="/console/deconnexion-partout">
        ${csrfField(agent)}
        <button type="submit" class="fr-btn fr-btn--secondary">Se déconnecter partout</button>
      </form>`,
  });
}

/** What re-injecting a stuck request does, before the operator confirms. */
export function reinjectConfirmPage(agent: ConsolePrincipal, requestId: string): SafeHtml {
  return layout({
    title: 'Relancer une demande',
    agent,
    current: '/console',
    main: html`<h1>Relancer une demande bloquée</h1>
      <p>
        La tâche de l'étape où se trouve la demande <code>${requestId}</code> sera remise dans la file, et son
        signalement « à examiner » effacé. La relance est tracée à votre nom.
      </p>
      <form method="post" action="/console/demandes/${requestId}/relance">
        ${csrfField(agent)}
        <ul class="fr-btns-group fr-btns-group--inline">
          <li><button type="submit" class="fr-btn">Confirmer la relance</button></li>
          <li><a class="fr-btn fr-btn--secondary" href="/console#bloquees">Annuler</a></li>
        </ul>
      </form>`,
  });
}
