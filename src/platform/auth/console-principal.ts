import type { PartnerKind } from '../../partners/partner-kind.enum.js';

/** A console agent as its live session shows them (the request gate resolves it from the session cookie). */
export interface ConsolePrincipal {
  agentId: string;
  sessionId: string;
  login: string;
  displayName: string;
  partnerId: string;
  partnerName: string;
  kind: PartnerKind;
  organismeCode: string | null;
  /** The session's anti-forgery token, put in every form (field `_csrf`). */
  csrfToken: string;
  /** Signed in with a one-time password: every page leads to the password change until it is done. */
  mustChangePassword: boolean;
}

/** What the request gate needs from the console (src/console/auth), without the platform depending on it. */
export interface ConsoleGate {
  /** The live session a cookie's token names (its last use recorded: idle expiry), or null. */
  authenticate(token: string): Promise<ConsolePrincipal | null>;
  /** Renders an error as the console's HTML error page. */
  renderError(error: { status: number; code: string; detail: string } & Record<string, unknown>, req: unknown): string;
}

/** The session cookie (path /console) and the sign-in form's pre-session cookie (double-submit CSRF token). */
export const SESSION_COOKIE = 'vitale_console';
export const PRE_SESSION_COOKIE = 'vitale_console_pre';
/** The form field that carries the CSRF token. */
export const CSRF_FIELD = '_csrf';
/** Largest console form body: forms are small; a file never goes through them. */
export const CONSOLE_FORM_MAX_BYTES = 16 * 1024;
/** Every console URL starts with it. */
export const CONSOLE_PREFIX = '/console';
/** Where a browser without a session is sent. */
export const CONSOLE_SIGN_IN_PATH = '/console/connexion';
/** The password change page: until an agent replaces their one-time password, every other page leads there. */
export const CONSOLE_PASSWORD_PATH = '/console/mot-de-passe';
/** Routes open before the password change (besides it): signing out. */
export const CONSOLE_SIGN_OUT_PATHS = ['/console/deconnexion', '/console/deconnexion-partout'];
/** The DSFR's files, served as they are: the only console URLs open to anyone. */
export const CONSOLE_ASSETS_PREFIX = '/console/dsfr/';

/** A cookie's value from the Cookie header (first occurrence), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
