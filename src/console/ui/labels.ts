/** French labels of the states and steps the console shows (the codes stay visible beside them where useful). */
export const CARD_STATE_LABEL: Record<string, string> = {
  ordered: 'Commandée',
  in_personalisation: 'En personnalisation',
  shipped: 'Expédiée',
  active: 'Active',
  opposed: 'En opposition',
  returned_undeliverable: 'Retournée (NPAI)',
  cancelled: 'Annulée',
  destroyed: 'Détruite',
};

export const REQUEST_STATUS_LABEL: Record<string, string> = {
  form_sent: 'Formulaire envoyé',
  photo_received: 'Photo reçue',
  photo_rejected: 'Photo refusée',
  photo_available: 'Photo disponible',
  ordered: 'Carte commandée',
  in_personalisation: 'En personnalisation',
  completed: 'Terminée',
  expired: 'Expirée',
  cancelled: 'Annulée',
};

/** Every opposition reason (declared by an agent, or set by the system). */
export const OPPOSITION_REASON_LABEL: Record<string, string> = {
  lost: 'Perte',
  stolen: 'Vol',
  fraud: 'Fraude',
  invalidated_by_regime: 'Invalidée par le régime',
  holder_deceased: 'Décès du titulaire',
  replaced: 'Remplacée',
  destroyed: 'Détruite',
  undeliverable: 'Non distribuable',
  surplus: 'Carte en surnombre',
};

export const WAITING_ON_LABEL: Record<string, string> = {
  system: 'le système',
  insured: "l'assuré",
  fund: 'la caisse',
  vendor: "l'encarteur",
};

export const label = (map: Record<string, string>, code: string | null | undefined): string =>
  code === null || code === undefined ? '—' : (map[code] ?? code);

/** Paris time, as agents read it. */
export const dateTime = (d: Date | string | null | undefined): string =>
  d === null || d === undefined
    ? '—'
    : new Date(d).toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });

export const dateOnly = (d: string | null | undefined): string => {
  if (!d) return '—';
  const [y, m, day] = d.slice(0, 10).split('-');
  return `${day}/${m}/${y}`;
};

export const number = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined
    ? '—'
    : n.toLocaleString('fr-FR', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * A noun agreeing with a count, as French does: singular below 2 (0, 1, 1,5), plural from 2. Give both forms (the
 * plural is not always the singular and an s: « bloquée » / « bloquées », « jour » / « jours »).
 */
export const plural = (n: number, one: string, many: string): string => (Math.abs(n) < 2 ? one : many);

/** A count and its noun, agreeing (« 0 demande », « 1 demande », « 2 demandes »), French digit grouping. */
export const counted = (n: number, one: string, many: string, digits = 0): string =>
  `${number(n, digits)} ${plural(n, one, many)}`;
