import type { ConsolePrincipal, ConsoleGate } from '../../platform/auth/console-principal.js';
import type { ConsoleRole } from '../../platform/auth/auth.decorators.js';
import { CSRF_FIELD } from '../../platform/auth/console-principal.js';
import { html, type SafeHtml } from './html.js';
import { consoleMessage } from './messages.js';

/** The pinned DSFR version (package.json): in the asset URLs, so a new version is never served from a stale cache. */
export const DSFR_VERSION = '1.15.3';
const asset = (path: string) => `/console/dsfr/${path}?v=${DSFR_VERSION}`;

/**
 * Entries grouped under one menu of the navigation (DSFR's fr-nav__btn and fr-menu): twelve entries side by side do
 * not fit a 1024 to 1280 px screen (they wrapped inside their box and the page scrolled sideways).
 */
export const NAV_GROUPS = { emission: 'Émission et mises à jour', administration: 'Administration' } as const;
export type NavGroup = keyof typeof NAV_GROUPS;

/**
 * The main navigation: each entry with the partner kinds that see it. A new page adds its entry here (the page
 * itself is protected by its route's decorator, not by being hidden).
 */
export const CONSOLE_NAV: { href: string; label: string; roles: ConsoleRole[]; group?: NavGroup }[] = [
  { href: '/console', label: 'Tableau de bord', roles: ['operator', 'fund'] },
  // h/pages-a: search (the insured's and photo pages are reached from it).
  { href: '/console/recherche', label: 'Recherche', roles: ['operator', 'fund'] },
  { group: 'administration', href: '/console/agents', label: 'Agents', roles: ['operator'] },
  // h/pages-b: operators' pages (the actions are reached from the pages of a card, a request or an insured).
  { group: 'administration', href: '/console/partenaires', label: 'Partenaires', roles: ['operator'] },
  { group: 'administration', href: '/console/fabricants', label: 'Fabricants', roles: ['operator'] },
  { group: 'administration', href: '/console/journal', label: "Journal d'audit", roles: ['operator'] },
  // h/pages-c: the operators' pages of the emission and update chain.
  { group: 'emission', href: '/console/lots', label: 'Lots', roles: ['operator'] },
  { group: 'emission', href: '/console/fichiers-retour', label: 'Fichiers retour', roles: ['operator'] },
  { group: 'emission', href: '/console/listes-opposition', label: "Listes d'opposition", roles: ['operator'] },
  { group: 'emission', href: '/console/cles-de-signature', label: 'Clés de signature', roles: ['operator'] },
  { group: 'emission', href: '/console/transferts', label: 'Transferts de régime', roles: ['operator'] },
  { href: '/console/rapprochement', label: 'Rapprochement', roles: ['operator', 'fund'] },
  { group: 'emission', href: '/console/campagnes', label: 'Campagnes', roles: ['operator'] },
];

const KIND_LABEL: Record<string, string> = { operator: 'Opérateur', fund: 'Caisse' };

/** The hidden field that carries the session's anti-forgery token: put in every post form. */
export const csrfField = (agent: Pick<ConsolePrincipal, 'csrfToken'>): SafeHtml =>
  html`<input type="hidden" name="${CSRF_FIELD}" value="${agent.csrfToken}" />`;

type NavEntry = (typeof CONSOLE_NAV)[number];

const navLink = (e: NavEntry, current: string | undefined) =>
  html`<a class="fr-nav__link" href="${e.href}" target="_self" ${e.href === current ? html` aria-current="page"` : ''}
    >${e.label}</a
  >`;

/**
 * The navigation's items: an entry alone, or a group's menu (a button that opens its list; marked current when one
 * of its pages is), at the place of its first entry. A group of one entry is shown as the entry itself.
 */
function navItems(nav: NavEntry[], current: string | undefined): SafeHtml[] {
  const items: SafeHtml[] = [];
  const seen = new Set<string>();
  for (const e of nav) {
    const members = e.group ? nav.filter((x) => x.group === e.group) : [e];
    if (e.group && seen.has(e.group)) continue;
    if (e.group) seen.add(e.group);
    if (members.length === 1) {
      items.push(html`<li class="fr-nav__item">${navLink(e, current)}</li>`);
      continue;
    }
    const id = `menu-${e.group!}`;
    items.push(
      html`<li class="fr-nav__item">
        <button
          type="button"
          class="fr-nav__btn"
          aria-expanded="false"
          aria-controls="${id}"
          ${members.some((m) => m.href === current) ? html` aria-current="true"` : ''}
        >
          ${NAV_GROUPS[e.group!]}
        </button>
        <div class="fr-collapse fr-menu" id="${id}">
          <ul class="fr-menu__list">
            ${members.map((m) => html`<li>${navLink(m, current)}</li>`)}
          </ul>
        </div>
      </li>`,
    );
  }
  return items;
}

export interface PageShell {
  /** The page's own title (the document title adds the console's name). */
  title: string;
  /** The signed-in agent (null on the sign-in page and errors before sign-in). */
  agent: ConsolePrincipal | null;
  /** The navigation entry to mark as current (its href). */
  current?: string;
  main: SafeHtml;
}

/** The DSFR page: skip links, header (service name, the agent and their organisation, sign-out), navigation, footer. */
export function layout(p: PageShell): SafeHtml {
  const a = p.agent;
  const nav = a ? CONSOLE_NAV.filter((e) => (e.roles as string[]).includes(a.kind)) : [];
  return html`<!doctype html>
    <html lang="fr" data-fr-scheme="light">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no" />
        <title>${p.title} — Carte Vitale — console</title>
        <link rel="stylesheet" href="${asset('dsfr.min.css')}" />
        <link rel="icon" href="${asset('favicon/favicon.svg')}" type="image/svg+xml" />
        <script type="module" src="${asset('dsfr.module.min.js')}"></script>
      </head>
      <body>
        <div class="fr-skiplinks">
          <nav class="fr-container" aria-label="Accès rapide">
            <ul class="fr-skiplinks__list">
              <li><a class="fr-link" href="#contenu">Contenu</a></li>
              ${nav.length ? html`<li><a class="fr-link" href="#navigation">Menu</a></li>` : ''}
              <li><a class="fr-link" href="#pied-de-page">Pied de page</a></li>
            </ul>
          </nav>
        </div>
        <header role="banner" class="fr-header">
          <div class="fr-header__body">
            <div class="fr-container">
              <div class="fr-header__body-row">
                <div class="fr-header__brand fr-enlarge-link">
                  <div class="fr-header__brand-top">
                    <div class="fr-header__logo">
                      <p class="fr-logo">République<br />Française</p>
                    </div>
                    ${
                      nav.length
                        ? html`<div class="fr-header__navbar">
                            <button
                              type="button"
                              class="fr-btn--menu fr-btn"
                              data-fr-opened="false"
                              aria-controls="menu-principal"
                              aria-haspopup="menu"
                              id="bouton-menu"
                              title="Menu"
                            >
                              Menu
                            </button>
                          </div>`
                        : ''
                    }
                  </div>
                  <div class="fr-header__service">
                    <a href="/console" title="Accueil — Carte Vitale — console">
                      <p class="fr-header__service-title">Carte Vitale — console</p>
                    </a>
                    <p class="fr-header__service-tagline">Émission, mises à jour et oppositions</p>
                  </div>
                </div>
                ${
                  a
                    ? html`<div class="fr-header__tools">
                        <div class="fr-header__tools-links">
                          <ul class="fr-btns-group">
                            <li>
                              <p class="fr-btn fr-btn--tertiary-no-outline console-agent">
                                ${a.displayName} — ${a.partnerName} (${KIND_LABEL[a.kind] ?? a.kind})
                              </p>
                            </li>
                            <li>
                              <form method="post" action="/console/deconnexion">
                                ${csrfField(a)}
                                <button type="submit" class="fr-btn fr-btn--tertiary">Se déconnecter</button>
                              </form>
                            </li>
                          </ul>
                        </div>
                      </div>`
                    : ''
                }
              </div>
            </div>
          </div>
          ${
            nav.length
              ? html`<div class="fr-header__menu fr-modal" id="menu-principal" aria-labelledby="bouton-menu">
                  <div class="fr-container">
                    <button type="button" class="fr-btn--close fr-btn" aria-controls="menu-principal" title="Fermer">
                      Fermer
                    </button>
                    <div class="fr-header__menu-links"></div>
                    <nav class="fr-nav" id="navigation" aria-label="Menu principal">
                      <ul class="fr-nav__list">
                        ${navItems(nav, p.current)}
                      </ul>
                    </nav>
                  </div>
                </div>`
              : ''
          }
        </header>
        <main id="contenu" class="fr-container fr-py-5w" tabindex="-1">${p.main}</main>
        <footer class="fr-footer" role="contentinfo" id="pied-de-page">
          <div class="fr-container">
            <div class="fr-footer__body">
              <div class="fr-footer__brand fr-enlarge-link">
                <a href="/console" title="Accueil — Carte Vitale — console"
                  ><p class="fr-logo">République<br />Française</p></a
                >
              </div>
              <div class="fr-footer__content">
                <p class="fr-footer__content-desc">
                  Console de la Carte Vitale, réservée aux agents habilités des organismes d'assurance maladie. Chaque
                  action y est tracée au nom de l'agent.
                </p>
              </div>
            </div>
          </div>
        </footer>
      </body>
    </html> `;
}

const ERROR_TITLES: Record<number, string> = {
  400: 'Demande invalide',
  403: 'Accès refusé',
  404: 'Page introuvable',
  409: 'Action impossible',
  413: 'Formulaire trop volumineux',
  414: 'Adresse trop longue',
  415: 'Demande invalide',
  422: 'Action impossible',
  429: 'Trop de demandes',
  503: 'Service momentanément indisponible',
};

/**
 * The HTML error page of the console routes (same status and code as the API's problem document; the message in
 * French, from the console's catalogue: src/console/ui/messages.ts). A not-found is the same page whatever the reason, as in the API (the tenant
 * rule). Never the request's input: the message is the catalogue's, bounded and scrubbed of what was sent.
 */
export const renderErrorPage: ConsoleGate['renderError'] = (error, req) => {
  const agent = (req as { consoleAgent?: ConsolePrincipal } | undefined)?.consoleAgent ?? null;
  const title = ERROR_TITLES[error.status] ?? (error.status >= 500 ? 'Erreur du service' : 'Demande invalide');
  const detail = consoleMessage(error);
  return layout({
    title,
    agent,
    main: html`<h1>${title}</h1>
      <div class="fr-alert fr-alert--error fr-mb-3w">
        <p>${detail}</p>
      </div>
      <p class="fr-text--sm">Code : <code>${error.code}</code></p>
      <p>
        <a class="fr-link" href="${agent ? '/console' : '/console/connexion'}"
          >${agent ? 'Retour au tableau de bord' : 'Aller à la connexion'}</a
        >
      </p>`,
  }).value;
};
