/** Who may call the API. A fund partner acts for exactly one organisme. */
export enum PartnerKind {
  Fund = 'fund',
  DigitisationCentre = 'digitisation_centre',
  PersonalisationVendor = 'personalisation_vendor',
  Kiosk = 'kiosk',
  PharmacySoftware = 'pharmacy_software',
  Operator = 'operator',
}

export const ALL_PARTNER_KINDS = Object.values(PartnerKind);
