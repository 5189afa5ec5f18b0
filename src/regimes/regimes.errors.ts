import { defineErrors } from '../platform/errors/catalogue.js';

/** The reference data's errors: regimes, funds (organismes) and centres. */
export const RegimesErrors = defineErrors('regimes', {
  ORGANISME_NOT_FOUND: {
    status: 404,
    description: 'No organisme has this code in the reference data; check the 9 digits.',
    message: 'No organisme has this code in the reference data; GET /v1/organismes lists them',
  },
  ORGANISME_CODE_INVALID: {
    status: 400,
    description: 'An organisme code is 9 digits; send it as such.',
    message: 'An organisme code is 9 digits',
  },
  ORGANISME_UNKNOWN: {
    status: 422,
    description:
      'An organisme code sent (`field`, `organismeCodes`) is not in the reference data; check it, or load the reference data first.',
    message: (where?: { field: string; organismeCodes?: string[] }) => ({
      message: 'The organisme is not in the reference data; check its 9-digit code',
      details: where ?? {},
    }),
  },
  REGIME_UNKNOWN: {
    status: 422,
    description: 'Regime codes sent (`regimeCodes`) are not in the reference data; check them.',
    message: (regimeCodes: string[]) => ({
      message: 'Unknown regime codes; check them against GET /v1/regimes',
      details: { regimeCodes },
    }),
  },
  CONTENT_TYPE_CSV: {
    status: 400,
    description: 'A reference data file is sent as text/csv.',
    message: 'Send the file as text/csv',
  },
  REFERENCE_FILE_INVALID: {
    status: 422,
    description:
      'The reference file has bad lines (`errors`: line and reason); nothing was loaded, correct them and send the whole file again.',
    message: (errors: unknown[]) => ({
      message: `The reference file has ${errors.length} bad line(s); nothing was loaded`,
      details: { errors },
    }),
  },
});
