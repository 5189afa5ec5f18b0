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
