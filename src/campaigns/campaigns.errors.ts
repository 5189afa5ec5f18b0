import { defineErrors } from '../platform/errors/catalogue.js';

/** The renewal campaigns' errors (docs/campaigns.md). */
export const CampaignsErrors = defineErrors('campaigns', {
  CAMPAIGN_NOT_FOUND: {
    status: 404,
    description: 'No campaign has this id; list them with GET /v1/campaigns.',
    message: 'No campaign has this id; list them with GET /v1/campaigns',
  },
  CAMPAIGN_REGIME_UNKNOWN: {
    status: 422,
    description:
      'A regime of the cohort (`regimeCodes`) is not in the reference data; send 2-digit regime codes it holds.',
    message: (unknown: number) => ({
      message:
        'The cohort names a regime the reference data does not hold; send 2-digit regime codes from GET /v1/regimes',
      details: { field: 'cohort.regimeCodes', unknown },
    }),
  },
  CAMPAIGN_SCOPE_OUTSIDE_REGIMES: {
    status: 422,
    description:
      'A fund or organisme of the cohort (`field`) is unknown or outside its regimes; name funds and organismes of the regimes listed.',
    message: (field: 'cohort.fundCodes' | 'cohort.organismeCodes', outside: number) => ({
      message: `Every code of ${field} must be a fund or organisme of the reference data within the cohort's regimeCodes`,
      details: { field, outside },
    }),
  },
  CAMPAIGN_COHORT_UNBOUNDED: {
    status: 422,
    description:
      'A cohort must say which cards need renewing: `generation` (1: without photo) or `notUpdatedForMonths`, or both.',
    message:
      'The cohort would renew every card of its regimes: give generation (1 for cards without photo) or notUpdatedForMonths, or both',
  },
  CAMPAIGN_STATE_CONFLICT: {
    status: 409,
    description:
      'The campaign cannot make this move in its status (`campaignStatus`, `allowedFrom`); see the state machine in docs/campaigns.md.',
    message: (action: string, status: string, allowedFrom: readonly string[]) => ({
      message: `A ${status} campaign cannot ${action}; only a campaign in ${allowedFrom.join(' or ')} can`,
      details: { campaignStatus: status, allowedFrom: [...allowedFrom] },
    }),
  },
});
