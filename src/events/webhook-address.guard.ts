import dns, { type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Webhook URLs are chosen by funds: without a check, a fund could make the system call its own internal
 * services (databases, metadata endpoints, admin ports). Unless private targets are allowed (tests, a
 * closed network), a URL is refused at registration when its host is or resolves to a private address, and every
 * call resolves the host once, checks every address, then connects only to those (pinned, see
 * WebhookHttpClient): a second DNS answer, which could point elsewhere (DNS rebinding), is never asked for.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export type TargetCheck = { ok: true; addresses: LookupAddress[] } | { ok: false; reason: 'unresolved' | 'private' };

export const TARGET_REFUSALS: Record<'unresolved' | 'private', string> = {
  unresolved: 'host does not resolve',
  private: 'target is a private or local address',
};

/**
 * Resolves the URL's host once (an IP literal as it is) and, unless private targets are allowed, refuses it when
 * any of its addresses is private: a name with one public and one private address could be made to use either.
 */
export async function checkTarget(url: string, allowPrivate: boolean): Promise<TargetCheck> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  const addresses: LookupAddress[] = family
    ? [{ address: host, family }]
    : // Through the module object at call time, like net's own lookups (one mechanism, whatever the caller).
      await dns.promises.lookup(host, { all: true, verbatim: true }).catch(() => []);
  if (addresses.length === 0) return { ok: false, reason: 'unresolved' };
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) return { ok: false, reason: 'private' };
  return { ok: true, addresses };
}

/** null when the host resolves only to public addresses; else a short reason. */
export async function refusedTarget(url: string): Promise<string | null> {
  const check = await checkTarget(url, false);
  return check.ok ? null : TARGET_REFUSALS[check.reason];
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request/net.connect that answers with the addresses already checked, and never asks DNS:
 * the connection goes to an address that was checked, whatever the name resolves to by then. Honours `all` (Node's
 * happy-eyeballs connect asks for every address) and `family`.
 */
export function pinnedLookup(addresses: LookupAddress[]) {
  return (_hostname: string, options: dns.LookupOptions | number | LookupCallback, callback?: LookupCallback): void => {
    const cb = (typeof options === 'function' ? options : callback)!;
    const opts: dns.LookupOptions =
      typeof options === 'object' ? options : typeof options === 'number' ? { family: options } : {};
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : opts.family;
    const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    if (usable.length === 0) {
      process.nextTick(() =>
        cb(Object.assign(new Error('no checked address of that family'), { code: 'ENOTFOUND' }), opts.all ? [] : ''),
      );
      return;
    }
    process.nextTick(() => (opts.all ? cb(null, usable) : cb(null, usable[0].address, usable[0].family)));
  };
}
