import { PartnerKind } from '../../partners/partner-kind.enum.js';

/** Who acts: an authenticated partner (HTTP), or the system itself (jobs, crons) or an operator's CLI command. */
export interface Actor {
  kind: PartnerKind | 'system' | 'cli';
  partnerId: string | null;
  /** Set for fund partners: the one organisme whose insured and cards they reach. */
  organismeCode: string | null;
  apiKeyId: string | null;
  requestId: string | null;
}

export const systemActor = (requestId: string | null = null): Actor => ({
  kind: 'system', partnerId: null, organismeCode: null, apiKeyId: null, requestId,
});

export const cliActor = (): Actor => ({ kind: 'cli', partnerId: null, organismeCode: null, apiKeyId: null, requestId: null });
