import { defineErrors } from '../platform/errors/catalogue.js';

/** The partners module's errors: partners and their API keys. */
export const PartnersErrors = defineErrors('partners', {
  PARTNER_NOT_FOUND: {
    status: 404,
    description: 'No partner has this id; list them with GET /v1/partners.',
    message: 'No partner has this id; GET /v1/partners lists them',
  },
  PARTNER_INACTIVE: {
    status: 409,
    description: 'The partner is deactivated: it gets no new key.',
    message: 'The partner is deactivated',
  },
  ORGANISME_REQUIRED: {
    status: 422,
    description: 'A fund partner is registered with its 9-digit organisme code; send `organismeCode`.',
    message: 'A fund partner needs its 9-digit organisme code',
  },
  ORGANISME_NOT_ALLOWED: {
    status: 422,
    description: 'Only fund partners carry an organisme code; send none for this kind.',
    message: 'Only fund partners carry an organisme code',
  },
  API_KEY_NOT_FOUND: {
    status: 404,
    description: 'This partner has no API key with this id; read the partner to see its keys.',
    message: 'This partner has no API key with this id; GET /v1/partners/{id} lists its keys',
  },
  API_KEY_NOT_SUSPENDED: {
    status: 409,
    description: 'The API key is not suspended: there is nothing to lift.',
    message: 'This API key is not suspended',
  },
});
