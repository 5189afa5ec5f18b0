/** What a reconciliation run says of a usable card (docs/reconciliation.md). */
export enum ReconciliationClass {
  /** Its holder holds another usable card, which the rule keeps. */
  Surplus = 'surplus',
  /** The card the rule keeps among its holder's usable cards. */
  Kept = 'kept',
  /** Managed by an organisme its holder has no current affiliation to. */
  LeftOrganisme = 'left_organisme',
  /** Its holder is unknown to the register. */
  HolderUnknown = 'holder_unknown',
  /** Its holder has died. */
  HolderDeceased = 'holder_deceased',
}

export enum ReconciliationMode {
  DryRun = 'dry_run',
  Apply = 'apply',
}

export enum ReconciliationRunStatus {
  Pending = 'pending',
  Running = 'running',
  Done = 'done',
  Failed = 'failed',
}

export enum DecisionAction {
  Keep = 'keep',
  Oppose = 'oppose',
}

export enum DecisionOutcome {
  Opposed = 'opposed',
  /** The card had left the states an opposition starts from when its wave came (opposed meanwhile, destroyed). */
  Skipped = 'skipped',
}
