import type { PartnerKind } from './partner-kind.enum.js';

/** Who an API key authenticates: the key, its partner and the partner's kind and fund. */
export interface KeyPrincipal {
  apiKeyId: string;
  secretHash: Buffer;
  partnerId: string;
  kind: PartnerKind;
  organismeCode: string | null;
}
