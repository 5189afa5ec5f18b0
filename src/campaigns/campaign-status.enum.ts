/** Where a renewal campaign stands (the database refuses any other move: trigger campaign_status_transition). */
export enum CampaignStatus {
  /** Defined, its cohort sized; no wave yet. */
  Ready = 'ready',
  /** Waves are sent, one a day. */
  Running = 'running',
  /** No wave is sent (a wave in progress stops after its current chunk); resume carries on where it stopped. */
  Paused = 'paused',
  /** Every holder of the cohort was reached. */
  Completed = 'completed',
  /** Stopped for good; the forms already sent follow their course. */
  Cancelled = 'cancelled',
}

/** The moves the state machine allows, the same pairs the database trigger checks. */
export const CAMPAIGN_TRANSITIONS = {
  start: { from: [CampaignStatus.Ready], to: CampaignStatus.Running },
  pause: { from: [CampaignStatus.Running], to: CampaignStatus.Paused },
  resume: { from: [CampaignStatus.Paused], to: CampaignStatus.Running },
  cancel: { from: [CampaignStatus.Ready, CampaignStatus.Running, CampaignStatus.Paused], to: CampaignStatus.Cancelled },
} as const;

export type CampaignAction = keyof typeof CAMPAIGN_TRANSITIONS;

export enum CampaignWaveStatus {
  /** Being sent (or stopped by a pause, to be finished on resume the same day). */
  Open = 'open',
  Done = 'done',
}

/** What a wave did for one holder of the cohort. */
export enum CampaignMemberOutcome {
  /** A card request was opened (step 1, form sent). */
  Sent = 'sent',
  /** The holder already had an open request: left alone, counted. */
  SkippedOpenRequest = 'skipped_open_request',
}
