import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import type { RegimeTransferListView, RegimeTransferView } from '../../update/dto/regime-transfer.dto.js';
import { html, type SafeHtml } from '../ui/html.js';
import { csrfField, layout } from '../ui/layout.js';
import { badge, cell, count, dateTime, table } from './format.js';

const NAV = '/console/transferts';
const STATUS: Record<string, [string, 'success' | 'error' | 'warning' | 'info' | 'new']> = {
  pending: ['En attente', 'new'],
  recording: ['Enregistrement en cours', 'info'],
  recorded: ['Enregistré, en attente de la date', 'info'],
  applied: ['Appliqué', 'success'],
  failed: ['Échoué', 'error'],
};
const status = (s: string) => badge(...(STATUS[s] ?? [s, 'info']));
const mappings = (t: RegimeTransferView) =>
  t.mappings.map((m) => `${m.fromOrganismeCode} → ${m.toOrganismeCode}`).join(', ');

/** Transfers, newest first, paged. */
export function regimeTransfersPage(agent: ConsolePrincipal, d: RegimeTransferListView): SafeHtml {
  return layout({
    title: 'Transferts de régime',
    agent,
    current: NAV,
    main: html`<h1>Transferts de régime</h1>
      ${table(
        'Transferts, les plus récents en premier',
        ['Transfert', 'Organismes', 'Date d’effet', 'État', 'Mutations appliquées', 'Créé le'],
        d.items.map((t) => [
          html`<a href="/console/transferts/${t.id}">${t.id.slice(0, 8)}</a>`,
          cell(mappings(t)),
          cell(t.effectiveDate),
          status(t.status),
          cell(`${count(t.counts.applied)} / ${count(t.counts.mutations)}`),
          cell(dateTime(t.createdAt)),
        ]),
        'aucun transfert.',
      )}
      ${d.next ? html`<p><a class="fr-link" href="/console/transferts?apres=${d.next}">Transferts plus anciens</a></p>` : ''}`,
  });
}

/** One transfer and its progress. */
export function regimeTransferPage(agent: ConsolePrincipal, t: RegimeTransferView): SafeHtml {
  const c = t.counts;
  const pct = c.mutations ? Math.floor((c.applied * 100) / c.mutations) : t.status === 'applied' ? 100 : 0;
  return layout({
    title: `Transfert de régime ${t.id.slice(0, 8)}`,
    agent,
    current: NAV,
    main: html`<h1>Transfert de régime</h1>
      <dl>
        <dt>Identifiant</dt>
        <dd><code>${t.id}</code></dd>
        <dt>État</dt>
        <dd id="transfer-status">${status(t.status)}${t.failure ? html` — <code>${t.failure}</code>` : ''}</dd>
        <dt>Date d’effet</dt>
        <dd>${t.effectiveDate}</dd>
        <dt>Créé / enregistré / appliqué</dt>
        <dd>${dateTime(t.createdAt)} / ${dateTime(t.recordedAt)} / ${dateTime(t.appliedAt)}</dd>
      </dl>
      <h2>Avancement</h2>
      <p>
        <label for="transfer-progress">Mutations appliquées : ${count(c.applied)} sur ${count(c.mutations)}</label>
        <progress id="transfer-progress" max="100" value="${pct}">${pct} %</progress>
      </p>
      ${table(
        'Comptes du transfert',
        ['Mesure', 'Nombre'],
        [
          [cell('Assurés basculés vers leur nouvel organisme'), cell(count(c.insured))],
          [cell('Cartes qui suivent leur titulaire (numéro conservé)'), cell(count(c.cards))],
          [cell('Assurés laissés de côté'), cell(count(c.skipped))],
          [cell('Mutations enregistrées'), cell(count(c.mutations))],
          [cell('Mutations appliquées'), cell(count(c.applied))],
        ],
      )}
      ${table(
        'Organismes',
        ['Organisme source', 'Organisme cible'],
        t.mappings.map((m) => [cell(m.fromOrganismeCode), cell(m.toOrganismeCode)]),
      )}
      ${
        t.status === 'failed'
          ? html`<p>
              <a class="fr-btn fr-btn--secondary" href="/console/transferts/${t.id}/reprise">Reprendre le transfert</a>
            </p>`
          : ''
      }
      <p><a class="fr-link" href="/console/transferts">Retour aux transferts</a></p>`,
  });
}

export function regimeTransferResumeConfirmPage(agent: ConsolePrincipal, t: RegimeTransferView): SafeHtml {
  return layout({
    title: 'Reprendre le transfert : confirmation',
    agent,
    current: NAV,
    main: html`<h1>Reprendre le transfert ${t.id.slice(0, 8)} ?</h1>
      <div class="fr-alert fr-alert--warning fr-mb-3w">
        <p>
          L'enregistrement des mutations reprend là où il s'est arrêté (${mappings(t)}, effet le ${t.effectiveDate}).
        </p>
      </div>
      <form method="post" action="/console/transferts/${t.id}/reprise">
        ${csrfField(agent)}
        <ul class="fr-btns-group fr-btns-group--inline">
          <li><button class="fr-btn" type="submit">Confirmer : reprendre</button></li>
          <li><a class="fr-btn fr-btn--secondary" href="/console/transferts/${t.id}">Ne rien faire</a></li>
        </ul>
      </form>`,
  });
}
