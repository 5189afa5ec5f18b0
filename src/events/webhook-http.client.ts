import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { refusedTarget } from './webhook-address.guard.js';

export interface WebhookCallResult {
  ok: boolean;
  /** HTTP status, null when no answer came (timeout, connection refused, DNS). */
  status: number | null;
  /** Short, for the delivery record: never the response body (it is the fund's, and may hold anything). */
  error: string | null;
}

/** The outgoing HTTP call of a webhook delivery. Redirects are not followed: only a 2xx from the URL itself counts. */
@Injectable()
export class WebhookHttpClient {
  constructor(private readonly config: AppConfig) {}

  async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<WebhookCallResult> {
    if (!this.config.webhookAllowPrivateTargets) {
      const refused = await refusedTarget(url);
      if (refused) return { ok: false, status: null, error: `not called: ${refused}` };
    }
    try {
      const res = await fetch(url, {
        method: 'POST', body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs),
        headers: { 'content-type': 'application/json', 'user-agent': 'vitale-webhooks/1', ...headers },
      });
      // The answer's body is not read; cancelling it frees the connection.
      await res.body?.cancel().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      return { ok, status: res.status, error: ok ? null : `HTTP ${res.status}` };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') return { ok: false, status: null, error: `timeout after ${timeoutMs} ms` };
      return { ok: false, status: null, error: `connection failed: ${err.cause?.code ?? err.name}` };
    }
  }
}
