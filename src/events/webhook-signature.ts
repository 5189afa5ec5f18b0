import { createHmac } from 'node:crypto';

/**
 * The webhook signature, version 1 (docs/formats/events-and-webhooks.md): HMAC-SHA256 keyed with the
 * subscription's secret (its UTF-8 text, `whsec_...`, as given to the fund) over `<t>.<body>`, hex encoded.
 * The timestamp is inside the signed text so a captured call cannot be replayed later under a new date.
 */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}
