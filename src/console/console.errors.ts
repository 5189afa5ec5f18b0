import { defineErrors } from '../platform/errors/catalogue.js';

/** The console's errors: agents and their passwords (sign-in refusals are shown in the sign-in form, not raised). */
export const ConsoleErrors = defineErrors('console', {
  AGENT_NOT_FOUND: {
    status: 404,
    description: 'No console agent has this id (or login); the operator list of agents shows them.',
    message: 'Aucun agent ne correspond : la liste des agents les montre tous.',
  },
  AGENT_LOGIN_TAKEN: {
    status: 409,
    description: 'Another console agent already has this login (logins are unique, whatever the case); choose another.',
    message: 'Cet identifiant est déjà pris : choisissez-en un autre.',
  },
  AGENT_LOGIN_INVALID: {
    status: 400,
    description:
      'A console login is 3 to 64 characters: lower-case letters, digits, dot, dash or underscore, starting with a letter or digit.',
    message:
      "L'identifiant doit compter 3 à 64 caractères : lettres minuscules, chiffres, point, tiret ou tiret bas, en commençant par une lettre ou un chiffre.",
  },
  AGENT_NAME_INVALID: {
    status: 400,
    description: "An agent's display name is 1 to 120 printable characters.",
    message: 'Le nom affiché doit compter 1 à 120 caractères imprimables.',
  },
  AGENT_PARTNER_INVALID: {
    status: 422,
    description:
      'Console agents belong to an active partner of kind operator or fund; list partners with GET /v1/partners.',
    message: 'Un agent appartient à un partenaire actif de type opérateur ou caisse.',
  },
  PASSWORD_TOO_WEAK: {
    status: 400,
    description: 'A console password is 12 to 200 printable characters and differs from the one-time password.',
    message: 'Le mot de passe doit compter 12 à 200 caractères imprimables et différer du mot de passe provisoire.',
  },
  PASSWORD_WRONG: {
    status: 400,
    description: 'The current password given to change it is wrong.',
    message: 'Le mot de passe actuel est incorrect.',
  },
});
