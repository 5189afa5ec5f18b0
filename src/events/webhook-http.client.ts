import { Injectable } from '@nestjs/common';
import http from 'node:http';
import https from 'node:https';
import { AppConfig } from '../config/app-config.js';
import { checkTarget, pinnedLookup, TARGET_REFUSALS } from './webhook-address.guard.js';

export interface WebhookCallResult {
  ok: boolean;
  /** HTTP status, null when no answer came (timeout, connection refused, DNS). */
  status: number | null;
  /** Short, for the delivery record: never the response body (it is the fund's, and may hold anything). */
  error: string | null;
}

class WebhookTimeout extends Error {}

/**
 * The outgoing HTTP call of a webhook delivery. The host is resolved once and checked (webhook-address.guard.ts);
 * the connection is made to those addresses only (a pinned lookup, a fresh connection per call: a pooled one could
 * lead elsewhere), TLS still verifying the certificate against the URL's host name. Redirects are not followed:
 * only a 2xx from the URL itself counts.
 */
@Injectable()
export class WebhookHttpClient {
  constructor(private readonly config: AppConfig) {}

  async post(
    url: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<WebhookCallResult> {
    const target = await checkTarget(url, this.config.webhookAllowPrivateTargets);
    if (!target.ok) return { ok: false, status: null, error: `not called: ${TARGET_REFUSALS[target.reason]}` };
    const u = new URL(url);
    const payload = Buffer.from(body, 'utf8');
    return new Promise<WebhookCallResult>((resolve) => {
      const req = (u.protocol === 'https:' ? https : http).request(
        u,
        {
          method: 'POST',
          agent: false,
          lookup: pinnedLookup(target.addresses),
          headers: {
            'content-type': 'application/json',
            'content-length': String(payload.length),
            'user-agent': 'vitale-webhooks/1',
            ...headers,
          },
        },
        (res) => {
          clearTimeout(timer);
          // The answer's body is not read (it is the fund's): the connection is closed once the status is known.
          res.destroy();
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          resolve({ ok, status, error: ok ? null : `HTTP ${status}` });
        },
      );
      // One deadline for the whole call (connection, TLS, sending, the answer's status line).
      const timer = setTimeout(() => req.destroy(new WebhookTimeout()), timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({
          ok: false,
          status: null,
          error:
            e instanceof WebhookTimeout ? `timeout after ${timeoutMs} ms` : `connection failed: ${e.code ?? e.name}`,
        });
      });
      req.end(payload);
    });
  }
}
