import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import type { AgentListItem } from '../agents/console-agent.repository.js';
import type { CreatedAgent } from '../agents/agents.service.js';
import { csrfField, layout } from '../ui/layout.js';
import { html, type SafeHtml } from '../ui/html.js';

const KIND = { operator: 'Opérateur', fund: 'Caisse' } as Record<string, string>;
const date = (d: Date) =>
  d.toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });

export interface AgentsPage {
  agents: AgentListItem[];
  /** Partners an agent may be created for (active operators and funds). */
  partners: { id: string; name: string; kind: string; organismeCode: string | null }[];
}

/** The operators' list of agents, with the creation form. */
export function agentsPage(agent: ConsolePrincipal, d: AgentsPage): SafeHtml {
  const state = (a: AgentListItem) =>
    a.disabledAt
      ? html`<p class="fr-badge fr-badge--error">Désactivé</p>`
      : a.lockedUntil && a.lockedUntil > new Date()
        ? html`<p class="fr-badge fr-badge--warning">Verrouillé</p>`
        : html`<p class="fr-badge fr-badge--success">Actif</p>`;
  return layout({
    title: 'Agents',
    agent,
    current: '/console/agents',
    main: html`<h1>Agents de la console</h1>
      <div class="fr-table">
        <table>
          <caption>
            Agents (${d.agents.length})
          </caption>
          <thead>
            <tr>
              <th scope="col">Identifiant</th>
              <th scope="col">Nom</th>
              <th scope="col">Organisation</th>
              <th scope="col">Créé le</th>
              <th scope="col">État</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            ${d.agents.map(
              (a) =>
                html`<tr>
                  <td>${a.login}</td>
                  <td>${a.displayName}</td>
                  <td>
                    ${a.partnerName} (${KIND[a.kind] ?? a.kind}${a.organismeCode ? html` ${a.organismeCode}` : ''})
                  </td>
                  <td>${date(a.createdAt)}</td>
                  <td>${state(a)}</td>
                  <td>
                    ${
                      a.disabledAt || a.id === agent.agentId
                        ? ''
                        : html`<form method="post" action="/console/agents/${a.id}/desactivation">
                            ${csrfField(agent)}<button
                              type="submit"
                              class="fr-btn fr-btn--sm fr-btn--tertiary"
                              aria-label="Désactiver ${a.login}"
                            >
                              Désactiver
                            </button>
                          </form>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <h2>Créer un agent</h2>
      <p>Le mot de passe provisoire et le secret du code à usage unique seront affichés une seule fois.</p>
      <form method="post" action="/console/agents">
        ${csrfField(agent)}
        <div class="fr-select-group">
          <label class="fr-label" for="partnerId">Organisation</label>
          <select class="fr-select" id="partnerId" name="partnerId" required>
            ${d.partners.map((p) => html`<option value="${p.id}">${p.name} (${KIND[p.kind] ?? p.kind}${p.organismeCode ? html` ${p.organismeCode}` : ''})</option>`)}
          </select>
        </div>
        <div class="fr-input-group">
          <label class="fr-label" for="login"
            >Identifiant
            <span class="fr-hint-text">3 à 64 caractères : lettres minuscules, chiffres, point, tiret.</span>
          </label>
          <input class="fr-input" id="login" name="login" type="text" required maxlength="64" autocomplete="off" />
        </div>
        <div class="fr-input-group">
          <label class="fr-label" for="displayName">Nom affiché</label>
          <input
            class="fr-input"
            id="displayName"
            name="displayName"
            type="text"
            required
            maxlength="120"
            autocomplete="off"
          />
        </div>
        <button class="fr-btn" type="submit">Créer l'agent</button>
      </form>`,
  });
}

/** What a new agent needs, shown once. */
export function agentCreatedPage(agent: ConsolePrincipal, c: CreatedAgent): SafeHtml {
  return layout({
    title: 'Agent créé',
    agent,
    current: '/console/agents',
    main: html`<h1>Agent créé : ${c.login}</h1>
      <div class="fr-alert fr-alert--warning fr-mb-3w">
        <h2 class="fr-alert__title">Affiché une seule fois</h2>
        <p>Transmettez ces informations à ${c.displayName} par un canal sûr. Elles ne seront plus jamais affichées.</p>
      </div>
      <dl>
        <dt>Organisation</dt>
        <dd>${c.partnerName}</dd>
        <dt>Identifiant</dt>
        <dd><code id="created-login">${c.login}</code></dd>
        <dt>Mot de passe provisoire (à changer à la première connexion)</dt>
        <dd><code id="one-time-password">${c.oneTimePassword}</code></dd>
        <dt>Secret du code à usage unique (à saisir dans l'application d'authentification)</dt>
        <dd><code id="totp-secret">${c.totpSecret}</code></dd>
        <dt>Adresse d'enrôlement</dt>
        <dd><code id="otpauth-uri">${c.otpauthUri}</code></dd>
      </dl>
      <p><a class="fr-link" href="/console/agents">Retour à la liste des agents</a></p>`,
  });
}
