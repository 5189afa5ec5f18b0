import { CARD_STATE_LABEL, dateTime, label, REQUEST_STATUS_LABEL } from './labels.js';

/** A problem as the console's error page receives it: its code, status, message and members (bounded, scrubbed). */
export type ShownProblem = { status: number; code: string; detail: string } & Record<string, unknown>;

/** A French message: fixed, or built from the problem's members (never from the request: they are the catalogue's). */
export type ConsoleMessage = string | ((p: ShownProblem) => string);

const str = (v: unknown): string | null =>
  typeof v === 'string' || typeof v === 'number' ? String(v) : v instanceof Date ? v.toISOString() : null;

/**
 * What an agent reads, in French, for every error a console page or form may answer whose catalogue message speaks
 * to programs in English (the API's messages name routes and fields). The console's own errors (its module's
 * catalogue, CONSOLE_*) are written in French where they are declared. A test walks every console route's declared
 * answers and fails on a code that has neither: a new page cannot show an English message.
 */
export const CONSOLE_MESSAGES: Record<string, ConsoleMessage> = {
  // The request checks the console shares with the API: an address or a form the console never makes.
  NOT_FOUND: "Cette page n'existe pas : revenez au tableau de bord ou utilisez le menu.",
  BAD_REQUEST: 'Cette adresse ne désigne aucune page de la console : revenez à la page précédente et suivez ses liens.',
  URL_INVALID: 'Cette adresse est mal formée : revenez à la page précédente et suivez ses liens.',
  URI_TOO_LONG: 'Cette adresse est trop longue : revenez à la page précédente et suivez ses liens.',
  PATH_PARAMETER_INVALID: 'Cette adresse contient des caractères non imprimables : revenez à la page précédente.',
  QUERY_NOT_ACCEPTED: 'Cette page ne prend pas ces critères dans son adresse : utilisez son formulaire.',
  QUERY_RESERVED_KEY: 'Cette page ne prend pas ces critères dans son adresse : utilisez son formulaire.',
  UNSUPPORTED_MEDIA_TYPE: "Le formulaire n'a pas été envoyé par la console : rechargez la page et renvoyez-le.",
  PAYLOAD_TOO_LARGE: 'Le formulaire envoyé est trop volumineux : raccourcissez les champs et renvoyez-le.',
  INVALID_INPUT: 'Une valeur saisie ne peut pas être enregistrée : vérifiez le formulaire et renvoyez-le.',
  BODY_NOT_ACCEPTED: 'Cette page ne reçoit pas de formulaire : revenez à la page précédente et suivez ses liens.',
  VALIDATION_FAILED:
    'Une valeur du formulaire est invalide : vérifiez les champs et renvoyez-le. Rien n’a été modifié.',
  DATABASE_UNAVAILABLE: (p) =>
    `La base de données ne répond pas pour le moment : réessayez dans ${str(p.retryAfterSeconds) ?? 'quelques'} secondes. Rien n’a été modifié.`,
  FUND_ONLY: 'Seul un agent de caisse, pour son organisme, peut faire cette action.',

  // Cards and oppositions.
  CARD_NOT_FOUND: 'Aucune carte de ce numéro de série parmi celles que vous pouvez voir : vérifiez les 12 chiffres.',
  CARD_TRANSITION_NOT_ALLOWED: (p) =>
    str(p.state)
      ? `Une carte à l'état « ${label(CARD_STATE_LABEL, str(p.state))} » ne permet pas cette action. Rien n’a été modifié.`
      : 'Ces cartes ne permettent pas cette action dans leur état actuel. Rien n’a été modifié.',
  CARD_HOLDER_HAS_USABLE_CARD:
    'Le titulaire a déjà une autre carte utilisable (expédiée ou active) : mettez-la en opposition avant (une seule carte utilisable par personne).',
  CARD_NOT_OPPOSED: "La carte n'est pas en opposition.",
  OPPOSITION_NOT_FOUND: "La carte n'est pas en opposition.",
  OPPOSITION_NOT_WITHDRAWABLE:
    "Cette opposition a été posée par le système (et non déclarée par l'assuré ou la caisse) : elle ne peut pas être levée.",
  OPPOSITION_WITHDRAWAL_TOO_LATE: (p) =>
    str(p.withdrawableUntil)
      ? `Le délai pour lever cette opposition est dépassé (il courait jusqu'au ${dateTime(str(p.withdrawableUntil))}).`
      : 'Le délai pour lever cette opposition est dépassé.',
  OPPOSITION_CARD_REPLACED:
    "Une carte de remplacement a déjà été commandée pour ce titulaire : l'opposition reste en place.",
  OPPOSITION_LIST_NOT_FOUND: "Aucune liste d'opposition ne porte ce numéro : la page des listes les montre toutes.",

  // Card requests and the emission chain.
  REQUEST_NOT_FOUND: 'Aucune demande de carte ne correspond parmi celles de votre organisme.',
  PIPELINE_REQUEST_NOT_FOUND: 'Aucune demande de carte ne correspond : vérifiez-la depuis la fiche de l’assuré.',
  REQUEST_ALREADY_OPEN: "L'assuré a déjà une demande de carte en cours : annulez-la ou attendez qu'elle aboutisse.",
  REQUEST_ACTIVE_CARD_EXISTS:
    'Le titulaire a déjà une carte en service (expédiée ou active) : choisissez le motif de son remplacement.',
  REQUEST_TOO_YOUNG: (p) =>
    str(p.minAge)
      ? `Une carte personnelle est possible à partir de ${str(p.minAge)} ans pour cette personne ; avant, l'enfant figure sur la carte d'un parent.`
      : "Cette personne est trop jeune pour une carte personnelle ; l'enfant figure sur la carte d'un parent.",
  REQUEST_NOT_CANCELLABLE: (p) =>
    `Une demande au statut « ${label(REQUEST_STATUS_LABEL, str(p.requestStatus))} » ne peut plus être annulée.`,
  PIPELINE_CANNOT_CANCEL: (p) =>
    `Une demande au statut « ${label(REQUEST_STATUS_LABEL, str(p.requestStatus))} » ne peut plus être annulée ici.`,
  PIPELINE_NOTHING_TO_RETRY: (p) =>
    `Rien à relancer pour une demande au statut « ${label(REQUEST_STATUS_LABEL, str(p.requestStatus))} ».`,
  FORM_NUMBERS_EXHAUSTED:
    "Tous les numéros de formulaire sont pris par des demandes en cours ou closes récemment : réessayez plus tard. Rien n'a été modifié.",
  PHOTO_NOT_FOUND: "Cette photo n'existe pas ou n'est plus conservée.",

  // Partners, vendors and their keys.
  PARTNER_NOT_FOUND: 'Aucun partenaire ne correspond : la liste des partenaires les montre tous.',
  PARTNER_INACTIVE: 'Ce partenaire est désactivé.',
  API_KEY_NOT_FOUND: "Ce partenaire n'a pas de clé d'API de cet identifiant : sa fiche liste ses clés.",
  VENDOR_NOT_FOUND: "Ce partenaire n'a pas de profil d'encarteur.",
  SSH_KEY_NOT_FOUND: "Cet encarteur n'a pas de clé SSH de cet identifiant : sa fiche liste ses clés.",
  SSH_KEY_INVALID:
    'La clé SSH attendue est une ligne de clé publique OpenSSH (« type base64 [commentaire] ») d’un type accepté (ssh-ed25519, ecdsa ou rsa).',
  SSH_KEY_TOO_WEAK:
    'Cette clé RSA est trop courte (2048 bits au moins) : utilisez une clé ed25519 ou une clé RSA plus longue.',
  SSH_KEY_EXISTS: 'Cette clé SSH est déjà enregistrée.',
  AGE_RECIPIENT_INVALID:
    'Le destinataire age attendu commence par « age1 » suivi de 58 caractères, tel que `age-keygen -y` l’affiche.',
  AGE_RECIPIENT_TAKEN: 'Un autre encarteur a déjà ce destinataire age : chaque encarteur a sa propre paire de clés.',

  // Campaigns.
  CAMPAIGN_NOT_FOUND: 'Aucune campagne ne correspond : la liste des campagnes les montre toutes.',
  CAMPAIGN_COHORT_UNBOUNDED:
    'La cohorte renouvellerait toutes les cartes de ses régimes : précisez la génération, ou une durée sans mise à jour, ou les deux.',
  CAMPAIGN_REGIME_UNKNOWN: 'La cohorte nomme un régime absent du référentiel : choisissez les régimes dans la liste.',
  CAMPAIGN_SCOPE_OUTSIDE_REGIMES:
    'Chaque caisse ou organisme de la cohorte doit appartenir à l’un de ses régimes : vérifiez les codes.',
  CAMPAIGN_STATE_CONFLICT: 'La campagne ne permet pas cette action dans son état actuel : rechargez sa page.',

  // Reconciliation.
  RECONCILIATION_RUN_IN_PROGRESS:
    'Un rapprochement est déjà en attente ou en cours : attendez sa fin (la page le montre) et relancez.',
  RECONCILIATION_RUN_NOT_DONE: "Ce rapprochement n'est pas terminé : son rapport existe une fois qu'il l'est.",
  RECONCILIATION_RUN_NOT_FOUND: 'Aucun rapprochement ne correspond : la page les liste tous.',

  // The register and changes of fund.
  BENEFICIARY_NOT_FOUND: 'Aucun assuré ne correspond parmi ceux que vous gérez.',
  ORGANISME_UNKNOWN: "Cet organisme n'est pas au référentiel : vérifiez son code à 9 chiffres.",
  AFFILIATION_OVERLAP:
    "La nouvelle affiliation chevauche une autre affiliation de l'assuré : rechargez sa fiche et recommencez.",
  BENEFICIARY_NOT_AFFILIATED: "L'assuré n'a pas d'affiliation en cours à changer.",
  MUTATION_DATE_INVALID:
    "La date d'effet n'est pas valable : une date réelle, au plus tôt le début de l'affiliation en cours.",
  MUTATION_PENDING: "L'affiliation en cours a déjà une fin : un changement de caisse est en attente.",
  MUTATION_SAME_ORGANISME: "L'assuré est déjà affilié à cet organisme.",
  REGIME_TRANSFER_NOT_FOUND: 'Aucun transfert de régime ne correspond : la page les liste tous.',
  REGIME_TRANSFER_NOT_FAILED: 'Seul un transfert en échec peut être repris.',
  NIR_FORMAT: 'Le NIR doit compter 13 caractères (chiffres, 2A ou 2B) et une clé de 2 chiffres.',
  NIR_SEX_INVALID: 'Le premier chiffre du NIR doit être 1 ou 2 (7 ou 8 pour un numéro provisoire).',
  NIR_MONTH_INVALID: 'Le mois de naissance du NIR (caractères 4 et 5) doit être 01 à 12, 20 à 42 ou 50 à 99.',
  NIR_KEY_MISMATCH: 'La clé du NIR ne correspond pas à ses 13 premiers caractères : vérifiez le numéro.',
  NAME_EMPTY: 'Un nom est manquant.',
  NAME_TOO_LONG: "Un nom dépasse la longueur de l'état civil (prénom 45, nom de naissance 63, nom d'usage 42).",
  NAME_INVALID_CHARACTERS:
    'Un nom ne peut contenir que des capitales (accentuées aussi), des traits d’union, des apostrophes et des espaces.',
  DATE_INVALID: 'Une date est invalide ou hors de sa plage (dans le futur, avant la naissance).',

  // Insight pages.
  TIMELINE_CURSOR_INVALID: "Cette page de l'historique n'existe pas : revenez au début de l'historique.",
};

/** The French message of a problem shown on a console page: the console catalogue's, else the problem's own. */
export function consoleMessage(p: ShownProblem): string {
  const m = Object.hasOwn(CONSOLE_MESSAGES, p.code) ? CONSOLE_MESSAGES[p.code] : undefined;
  return m === undefined ? p.detail : typeof m === 'string' ? m : m(p);
}
