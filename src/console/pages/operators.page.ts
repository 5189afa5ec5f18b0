import type { SshKeyView, VendorView } from '../../emission/vendors/dto/vendor.dto.js';
import type { ApiKeyView, CreatedApiKeyView, PartnerView } from '../../partners/dto/partner.dto.js';
import type { AuditEntryView } from '../../platform/audit/audit.dto.js';
import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import type { AgentListItem } from '../agents/console-agent.repository.js';
import { html, type SafeHtml } from '../ui/html.js';
import { csrfField, layout } from '../ui/layout.js';
import { dateTime } from './actions.page.js';

export const PARTNER_KINDS: Record<string, string> = {
  operator: 'Opérateur',
  fund: 'Caisse',
  digitisation_centre: 'Centre de numérisation',
  personalisation_vendor: 'Fabricant',
  kiosk: 'Borne',
  pharmacy_software: 'Logiciel de pharmacie',
};
const kind = (k: string) => PARTNER_KINDS[k] ?? k;
const when = (d: Date | null | undefined) => (d ? dateTime(d) : '—');

/** Every partner, with a link to its keys. */
export function partnersPage(agent: ConsolePrincipal, partners: PartnerView[]): SafeHtml {
  return layout({
    title: 'Partenaires',
    agent,
    current: '/console/partenaires',
    main: html`<h1>Partenaires</h1>
      <div class="fr-table">
        <table>
          <caption>
            Partenaires (${partners.length})
          </caption>
          <thead>
            <tr>
              <th scope="col">Nom</th>
              <th scope="col">Type</th>
              <th scope="col">Organisme</th>
              <th scope="col">Créé le</th>
              <th scope="col">État</th>
            </tr>
          </thead>
          <tbody>
            ${partners.map(
              (p) =>
                html`<tr>
                  <td><a href="/console/partenaires/${p.id}">${p.name}</a></td>
                  <td>${kind(p.kind)}</td>
                  <td>${p.organismeCode ?? '—'}</td>
                  <td>${when(p.createdAt)}</td>
                  <td>
                    ${
                      p.active
                        ? html`<p class="fr-badge fr-badge--success">Actif</p>`
                        : html`<p class="fr-badge fr-badge--error">Désactivé</p>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`,
  });
}

const keyState = (k: ApiKeyView) =>
  k.revokedAt
    ? html`<p class="fr-badge fr-badge--error">Révoquée</p>`
    : k.suspendedAt
      ? html`<p class="fr-badge fr-badge--warning">Suspendue</p>`
      : html`<p class="fr-badge fr-badge--success">Active</p>`;

/** One partner and its API keys (prefixes only: a key is shown once, when made), with the forms. */
export function partnerPage(agent: ConsolePrincipal, p: PartnerView & { apiKeys: ApiKeyView[] }): SafeHtml {
  return layout({
    title: `Partenaire ${p.name}`,
    agent,
    current: '/console/partenaires',
    main: html`<h1>${p.name}</h1>
      <p>
        ${kind(p.kind)}${p.organismeCode ? html` — organisme ${p.organismeCode}` : ''}${p.active ? '' : ' — désactivé'}
      </p>
      <div class="fr-table">
        <table>
          <caption>
            Clés d'API (${p.apiKeys.length})
          </caption>
          <thead>
            <tr>
              <th scope="col">Préfixe</th>
              <th scope="col">Libellé</th>
              <th scope="col">Créée le</th>
              <th scope="col">Dernier usage</th>
              <th scope="col">État</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            ${p.apiKeys.map(
              (k) =>
                html`<tr>
                  <td><code>${k.prefix}</code></td>
                  <td>${k.label ?? '—'}</td>
                  <td>${when(k.createdAt)}</td>
                  <td>${when(k.lastUsedAt)}</td>
                  <td>${keyState(k)}</td>
                  <td>
                    ${
                      k.revokedAt
                        ? ''
                        : html`<a
                            class="fr-btn fr-btn--sm fr-btn--tertiary"
                            href="/console/partenaires/${p.id}/cles/${k.id}/revocation"
                            aria-label="Révoquer la clé ${k.prefix}"
                            >Révoquer</a
                          >`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${
        p.active
          ? html`<h2>Créer une clé d'API</h2>
              <p>La clé sera affichée une seule fois, à la page suivante ; seule son empreinte est conservée.</p>
              <form method="post" action="/console/partenaires/${p.id}/cles">
                ${csrfField(agent)}
                <div class="fr-input-group">
                  <label class="fr-label" for="label"
                    >Libellé <span class="fr-hint-text">Facultatif, 120 caractères au plus.</span></label
                  >
                  <input class="fr-input" id="label" name="label" type="text" maxlength="120" autocomplete="off" />
                </div>
                <button class="fr-btn" type="submit">Créer la clé</button>
              </form>`
          : ''
      }
      <p class="fr-mt-3w"><a class="fr-link" href="/console/partenaires">Retour aux partenaires</a></p>`,
  });
}

/** A new key, shown this once. */
export function keyCreatedPage(agent: ConsolePrincipal, p: PartnerView, k: CreatedApiKeyView): SafeHtml {
  return layout({
    title: "Clé d'API créée",
    agent,
    current: '/console/partenaires',
    main: html`<h1>Clé d'API créée pour ${p.name}</h1>
      <div class="fr-alert fr-alert--warning fr-mb-3w">
        <h2 class="fr-alert__title">Affichée une seule fois</h2>
        <p>Copiez la clé et transmettez-la par un canal sûr : elle ne sera plus jamais affichée.</p>
      </div>
      <dl>
        <dt>Préfixe</dt>
        <dd><code>${k.prefix}</code></dd>
        <dt>Clé</dt>
        <dd><code id="api-key">${k.key}</code></dd>
      </dl>
      <p><a class="fr-link" href="/console/partenaires/${p.id}">Retour au partenaire</a></p>`,
  });
}

/** What revoking a key does, then the form. */
export function revokeKeyPage(agent: ConsolePrincipal, p: PartnerView, k: ApiKeyView): SafeHtml {
  return layout({
    title: "Révoquer une clé d'API",
    agent,
    current: '/console/partenaires',
    main: html`<h1>Révoquer la clé ${k.prefix}</h1>
      <p>Partenaire : ${p.name}${k.label ? html` — clé « ${k.label} »` : ''}</p>
      ${
        k.revokedAt
          ? html`<div class="fr-alert fr-alert--info">
              <p>Cette clé est révoquée depuis le ${when(k.revokedAt)}.</p>
            </div>`
          : html`<div class="fr-callout fr-mb-3w">
                <p class="fr-callout__text">
                  La clé cessera de fonctionner tout de suite : les appels du partenaire qui l'utilisent seront refusés.
                  Cela ne peut pas être annulé ; il faudra créer une nouvelle clé.
                </p>
              </div>
              <form method="post" action="/console/partenaires/${p.id}/cles/${k.id}/revocation">
                ${csrfField(agent)}
                <button class="fr-btn" type="submit">Confirmer la révocation</button>
              </form>`
      }
      <p class="fr-mt-3w"><a class="fr-link" href="/console/partenaires/${p.id}">Retour au partenaire</a></p>`,
  });
}

const sshKeyRow = (agent: ConsolePrincipal, v: VendorView, k: SshKeyView) =>
  html`<tr>
    <td>${k.algorithm}</td>
    <td><code>${k.fingerprint}</code></td>
    <td>${when(k.createdAt)}</td>
    <td>
      ${
        k.revokedAt
          ? html`<p class="fr-badge fr-badge--error">Révoquée le ${when(k.revokedAt)}</p>`
          : html`<form method="post" action="/console/fabricants/${v.partnerId}/cles-ssh/${k.id}/revocation">
              ${csrfField(agent)}
              <button
                class="fr-btn fr-btn--sm fr-btn--tertiary"
                type="submit"
                aria-label="Révoquer la clé ${k.fingerprint}"
              >
                Révoquer
              </button>
            </form>`
      }
    </td>
  </tr>`;

/** Every vendor: its SFTP login and regimes, its SSH keys (fingerprints) and age recipient, with their forms. */
export function vendorsPage(agent: ConsolePrincipal, vendors: VendorView[]): SafeHtml {
  return layout({
    title: 'Fabricants',
    agent,
    current: '/console/fabricants',
    main: html`<h1>Fabricants de cartes</h1>
      ${vendors.length === 0 ? html`<p>Aucun fabricant n'est enregistré.</p>` : ''}
      ${vendors.map(
        (v) =>
          html`<section class="fr-mb-6w" aria-labelledby="fabricant-${v.partnerId}">
            <h2 id="fabricant-${v.partnerId}">${v.name}</h2>
            <p>
              Identifiant SFTP <code>${v.login}</code> — ${v.isDefault ? 'fabricant par défaut' : 'régimes'}
              ${v.regimeCodes.length ? v.regimeCodes.join(', ') : ''} ${v.active ? '' : ' — désactivé'}
            </p>
            <div class="fr-table">
              <table>
                <caption>
                  Clés SSH de ${v.name}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Algorithme</th>
                    <th scope="col">Empreinte</th>
                    <th scope="col">Ajoutée le</th>
                    <th scope="col">État</th>
                  </tr>
                </thead>
                <tbody>
                  ${v.sshKeys.map((k) => sshKeyRow(agent, v, k))}
                </tbody>
              </table>
            </div>
            <form method="post" action="/console/fabricants/${v.partnerId}/cles-ssh" class="fr-mb-3w">
              ${csrfField(agent)}
              <div class="fr-input-group">
                <label class="fr-label" for="publicKey-${v.partnerId}"
                  >Ajouter une clé SSH publique
                  <span class="fr-hint-text">Une ligne OpenSSH, par exemple « ssh-ed25519 AAAA… fabricant@hote ».</span>
                </label>
                <textarea class="fr-input" id="publicKey-${v.partnerId}" name="publicKey" rows="2" required></textarea>
              </div>
              <button class="fr-btn fr-btn--secondary" type="submit">Ajouter la clé</button>
            </form>
            <p>
              Destinataire age :
              ${
                v.ageRecipient
                  ? html`<code>${v.ageRecipient}</code> (depuis le ${when(v.ageRecipientSetAt)})`
                  : html`<strong>aucun</strong> — ce fabricant ne reçoit aucun lot tant qu'il n'en a pas`
              }
            </p>
            <form method="post" action="/console/fabricants/${v.partnerId}/destinataire-age">
              ${csrfField(agent)}
              <div class="fr-input-group">
                <label class="fr-label" for="recipient-${v.partnerId}"
                  >${v.ageRecipient ? 'Remplacer le destinataire age' : 'Enregistrer le destinataire age'}
                  <span class="fr-hint-text">La clé publique « age1… » que donne « age-keygen -y ».</span>
                </label>
                <input
                  class="fr-input"
                  id="recipient-${v.partnerId}"
                  name="recipient"
                  type="text"
                  maxlength="100"
                  required
                  autocomplete="off"
                />
              </div>
              <button class="fr-btn fr-btn--secondary" type="submit">Enregistrer</button>
            </form>
          </section>`,
      )}`,
  });
}

export interface AuditFilters {
  agent: string;
  partner: string;
  action: string;
  entityType: string;
  entityId: string;
  from: string;
  to: string;
}

/** The audit search: filters (a GET form: nothing personal goes in it), newest first, paged by a cursor. */
export function auditPage(
  agent: ConsolePrincipal,
  d: {
    filters: AuditFilters;
    agents: AgentListItem[];
    partners: PartnerView[];
    entries: AuditEntryView[];
    next: string | null;
  },
): SafeHtml {
  const f = d.filters;
  const agentName = new Map(d.agents.map((a) => [a.id, a.login]));
  const partnerName = new Map(d.partners.map((p) => [p.id, p.name]));
  const nextUrl = d.next
    ? `/console/journal?${new URLSearchParams({ ...Object.fromEntries(Object.entries(f).filter(([, v]) => v)), avant: d.next }).toString()}`
    : null;
  const input = (name: keyof AuditFilters, text: string, type = 'text', hint = '') =>
    html`<div class="fr-input-group fr-col-12 fr-col-md-4">
      <label class="fr-label" for="f-${name}"
        >${text}${hint ? html` <span class="fr-hint-text">${hint}</span>` : ''}</label
      >
      <input class="fr-input" id="f-${name}" name="${name}" type="${type}" value="${f[name]}" autocomplete="off" />
    </div>`;
  return layout({
    title: "Journal d'audit",
    agent,
    current: '/console/journal',
    main: html`<h1>Journal d'audit</h1>
      <form method="get" action="/console/journal" class="fr-mb-4w">
        <div class="fr-grid-row fr-grid-row--gutters">
          <div class="fr-select-group fr-col-12 fr-col-md-4">
            <label class="fr-label" for="f-agent">Agent</label>
            <select class="fr-select" id="f-agent" name="agent">
              <option value="">Tous</option>
              ${d.agents.map((a) => html`<option value="${a.id}" ${a.id === f.agent ? html`selected` : ''}>${a.login}</option>`)}
            </select>
          </div>
          <div class="fr-select-group fr-col-12 fr-col-md-4">
            <label class="fr-label" for="f-partner">Partenaire</label>
            <select class="fr-select" id="f-partner" name="partner">
              <option value="">Tous</option>
              ${d.partners.map((p) => html`<option value="${p.id}" ${p.id === f.partner ? html`selected` : ''}>${p.name}</option>`)}
            </select>
          </div>
          ${input('action', 'Action', 'text', 'Par exemple card.opposed.')}
          ${input('entityType', 'Type de cible', 'text', 'Par exemple card, card_request.')}
          ${input('entityId', 'Cible', 'text', "Identifiant de l'objet.")} ${input('from', 'Du', 'date')}
          ${input('to', 'Au (inclus)', 'date')}
        </div>
        <button class="fr-btn" type="submit">Rechercher</button>
      </form>
      <div class="fr-table">
        <table>
          <caption>
            Entrées, des plus récentes aux plus anciennes
          </caption>
          <thead>
            <tr>
              <th scope="col">N°</th>
              <th scope="col">Date</th>
              <th scope="col">Auteur</th>
              <th scope="col">Action</th>
              <th scope="col">Cible</th>
              <th scope="col">Organisme</th>
            </tr>
          </thead>
          <tbody>
            ${d.entries.map(
              (e) =>
                html`<tr>
                  <td>${e.id}</td>
                  <td>${dateTime(e.at)}</td>
                  <td>
                    ${e.actorAgentId ? html`${agentName.get(e.actorAgentId) ?? e.actorAgentId} — ` : ''}${
                      e.actorPartnerId ? (partnerName.get(e.actorPartnerId) ?? e.actorPartnerId) : e.actorKind
                    }
                  </td>
                  <td><code>${e.action}</code></td>
                  <td>${e.entityType} <code>${e.entityId}</code></td>
                  <td>${e.organismeCode ?? '—'}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${d.entries.length === 0 ? html`<p>Aucune entrée ne correspond.</p>` : ''}
      ${nextUrl ? html`<p><a class="fr-link" id="page-suivante" href="${nextUrl}">Entrées plus anciennes</a></p>` : ''}`,
  });
}
