import { CSRF_FIELD } from '../../platform/auth/console-principal.js';
import { html, type SafeHtml } from '../ui/html.js';
import { layout } from '../ui/layout.js';

export interface SignInPage {
  /** The pre-session CSRF token (the same value as the pre-session cookie). */
  csrf: string;
  /** Why the last attempt was refused. */
  refusal?: { reason: 'invalid' } | { reason: 'locked'; until: Date } | { reason: 'expired' };
  login?: string;
}

const time = (d: Date) =>
  d.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris' });

export function signInPage(d: SignInPage): SafeHtml {
  const r = d.refusal;
  const alert = !r
    ? ''
    : r.reason === 'locked'
      ? html`<div class="fr-alert fr-alert--error fr-mb-3w" role="alert">
          <h2 class="fr-alert__title">Compte verrouillé</h2>
          <p>
            Trop d'essais ont échoué : ce compte est verrouillé jusqu'à ${time(r.until)} (heure de Paris). Réessayez
            ensuite, ou demandez à un opérateur.
          </p>
        </div>`
      : r.reason === 'expired'
        ? html`<div class="fr-alert fr-alert--info fr-mb-3w" role="alert">
            <h2 class="fr-alert__title">Session terminée</h2>
            <p>Votre session a pris fin. Connectez-vous à nouveau.</p>
          </div>`
        : html`<div class="fr-alert fr-alert--error fr-mb-3w" role="alert">
            <h2 class="fr-alert__title">Connexion refusée</h2>
            <p>
              L'identifiant, le mot de passe ou le code à usage unique est incorrect. Après plusieurs échecs, le compte
              est verrouillé un moment.
            </p>
          </div>`;
  return layout({
    title: 'Connexion',
    agent: null,
    main: html`<div class="fr-grid-row fr-grid-row--center">
      <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <h1>Connexion à la console</h1>
        ${alert}
        <form method="post" action="/console/connexion">
          <input type="hidden" name="${CSRF_FIELD}" value="${d.csrf}" />
          <fieldset class="fr-fieldset" aria-labelledby="connexion-legende">
            <legend class="fr-fieldset__legend" id="connexion-legende">Vos identifiants d'agent</legend>
            <div class="fr-fieldset__element">
              <div class="fr-input-group">
                <label class="fr-label" for="login">Identifiant</label>
                <input
                  class="fr-input"
                  id="login"
                  name="login"
                  type="text"
                  autocomplete="username"
                  required
                  maxlength="64"
                  value="${d.login ?? ''}"
                />
              </div>
            </div>
            <div class="fr-fieldset__element">
              <div class="fr-input-group">
                <label class="fr-label" for="password">Mot de passe</label>
                <input
                  class="fr-input"
                  id="password"
                  name="password"
                  type="password"
                  autocomplete="current-password"
                  required
                  maxlength="200"
                />
              </div>
            </div>
            <div class="fr-fieldset__element">
              <div class="fr-input-group">
                <label class="fr-label" for="code"
                  >Code à usage unique
                  <span class="fr-hint-text">Les 6 chiffres affichés par votre application d'authentification.</span>
                </label>
                <input
                  class="fr-input"
                  id="code"
                  name="code"
                  type="text"
                  inputmode="numeric"
                  pattern="[0-9]{6}"
                  autocomplete="one-time-code"
                  required
                  maxlength="6"
                />
              </div>
            </div>
            <div class="fr-fieldset__element">
              <button class="fr-btn" type="submit">Se connecter</button>
            </div>
          </fieldset>
        </form>
      </div>
    </div>`,
  });
}
