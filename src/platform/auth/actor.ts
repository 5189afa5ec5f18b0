import { type PartnerKind } from '../../partners/partner-kind.enum.js';

/** Who acts: an authenticated partner (HTTP), or the system itself (jobs, crons) or an operator's CLI command. */
export interface Actor {
  kind: PartnerKind | 'system' | 'cli';
  partnerId: string | null;
  /** Set for fund partners: the one organisme whose insured and cards they reach. */
  organismeCode: string | null;
  apiKeyId: string | null;
  /** The console agent acting (a person signed in to the console); null or absent for API keys, jobs and the CLI. */
  agentId?: string | null;
  requestId: string | null;
}

export const systemActor = (requestId: string | null = null): Actor => ({
  kind: 'system',
  partnerId: null,
  organismeCode: null,
  apiKeyId: null,
  agentId: null,
  requestId,
});

export const cliActor = (): Actor => ({
  kind: 'cli',
  partnerId: null,
  organismeCode: null,
  apiKeyId: null,
  agentId: null,
  requestId: null,
});

/**
 * The one tenant rule: a fund reaches only its own organisme's data (filter the SQL by this code); every other
 * caller that the route lets in is not scoped (null). A fund without an organisme cannot exist (a database
 * check), but if it did, '' matches nothing: the caller gets its module's not-found, never someone else's data.
 */
export function tenantScope(actor: Actor): string | null {
  return actor.kind === 'fund' ? (actor.organismeCode ?? '') : null;
}
