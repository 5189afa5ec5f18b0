import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { csrfField, layout } from '../ui/layout.js';
import { html, type SafeHtml } from '../ui/html.js';

/** The signed-in home, to become the dashboard. */
export function homePage(agent: ConsolePrincipal): SafeHtml {
  return layout({
    title: 'Tableau de bord',
    agent,
    current: '/console',
    main: html`<h1>Tableau de bord</h1>
      <p>Bienvenue, ${agent.displayName}. Le tableau de bord de la chaîne d'émission s'affichera ici.</p>
      <h2>Vos sessions</h2>
      <p>Un ordinateur partagé ou perdu ? Fermez toutes vos sessions ouvertes, celle-ci comprise.</p>
      <form method="post" action="/console/deconnexion-partout">
        ${csrfField(agent)}
        <button type="submit" class="fr-btn fr-btn--secondary">Se déconnecter partout</button>
      </form>`,
  });
}
