export enum PhotoStatus {
  /** Received, checks not run yet. */
  Pending = 'pending',
  Accepted = 'accepted',
  Rejected = 'rejected',
}

export enum PhotoSource {
  DigitisationCentre = 'digitisation_centre',
  Online = 'online',
}
