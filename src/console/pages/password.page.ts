import type { ConsolePrincipal } from '../../platform/auth/console-principal.js';
import { PASSWORD_MIN_LENGTH } from '../auth/passwords.js';
import { csrfField, layout } from '../ui/layout.js';
import { html, type SafeHtml } from '../ui/html.js';

/** The agent's own password change (compulsory after a one-time password). */
export function passwordPage(agent: ConsolePrincipal, refusal?: string): SafeHtml {
  return layout({
    title: 'Mot de passe',
    agent,
    main: html`<h1>Changer de mot de passe</h1>
      ${
        agent.mustChangePassword
          ? html`<div class="fr-alert fr-alert--info fr-mb-3w">
              <p>Votre mot de passe est provisoire : choisissez le vôtre pour continuer.</p>
            </div>`
          : ''
      }
      ${refusal ? html`<div class="fr-alert fr-alert--error fr-mb-3w" role="alert"><p>${refusal}</p></div>` : ''}
      <form method="post" action="/console/mot-de-passe">
        ${csrfField(agent)}
        <div class="fr-input-group">
          <label class="fr-label" for="current">Mot de passe actuel</label>
          <input
            class="fr-input"
            id="current"
            name="current"
            type="password"
            autocomplete="current-password"
            required
            maxlength="200"
          />
        </div>
        <div class="fr-input-group">
          <label class="fr-label" for="next"
            >Nouveau mot de passe
            <span class="fr-hint-text">Au moins ${PASSWORD_MIN_LENGTH} caractères.</span>
          </label>
          <input
            class="fr-input"
            id="next"
            name="next"
            type="password"
            autocomplete="new-password"
            required
            minlength="${PASSWORD_MIN_LENGTH}"
            maxlength="200"
          />
        </div>
        <button class="fr-btn" type="submit">Enregistrer</button>
      </form>`,
  });
}
