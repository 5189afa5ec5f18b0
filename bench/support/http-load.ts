import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import net from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ackMessage, openRecord, proofMessage, type SealedRecord } from '../../src/update/card-crypto.js';
import { CARD_KEY_BYTES } from './card-keys.js';

/**
 * An HTTP load generator for the request/response benchmarks: keeps `connections` kiosks busy over kept-alive
 * sockets (one request at a time per socket, like a fleet of kiosks) for `seconds`, each on a random card serial,
 * and records every latency. It runs in a worker thread so the requests are made on their own event loop, not on
 * the one of the server being measured (the product and its baselines are all served from the bench process); every
 * side of a comparison uses it alike.
 *
 * With `exchange`, a check that answers `update_available` for a card whose keys the generator holds goes on as a
 * kiosk with the card in its reader does (kiosk protocol 2): the card signs the proof over the challenge, the kiosk
 * fetches the sealed records, the card acknowledges the versions, the kiosk confirms. The card's side is
 * `cardSign`'s work with the card's own P-256 key; one exchange in `openEvery` also opens every envelope with the
 * card's enc key (`openRecord`) and counts a refused one as an error, which proves the records were sealed to that
 * card without spending the load generator's CPU (taken from the server under test on two cores) on every one.
 */
export interface LoadSpec {
  /** The check route (http://host:port/path); fetch and confirm routes are given in `exchange`. */
  url: string;
  seconds: number;
  connections: number;
  /** Serials are FIRST_SERIAL + a uniform random index in [0, cards). */
  firstSerial: string;
  cards: number;
  headers: Record<string, string>;
  /** The check body, with `{serial}` replaced by a 12-digit serial. */
  bodyTemplate: string;
  /** A response counts as `marked` when its body contains this text (e.g. the pending answers). */
  mark?: string;
  exchange?: ExchangeSpec;
}

export interface ExchangeSpec {
  fetchPath: string;
  confirmPath: string;
  /** The kiosk partner id the card signs (kiosk/2 proof). */
  kioskId: string;
  /** The pending cards' keys, CARD_KEY_BYTES each (the layout of card-keys.ts). */
  keys: SharedArrayBuffer;
  /** Pick only among the cards of `keys` (the exchange rounds) instead of among all `cards` (the mix). */
  pendingOnly: boolean;
  /** Open the records of one exchange in this many (1: every one). */
  openEvery: number;
}

export interface LoadResult {
  /** Every request, whichever route. */
  requests: number;
  /** Check requests (cards examined). */
  checks: number;
  errors: number;
  /** The first error status and body, to say why a run failed. */
  firstError?: string;
  marked: number;
  /** Complete check → fetch → confirm sequences. */
  exchanges: number;
  /** Exchanges whose records the generator opened with the card's key. */
  opened: number;
  /** Complete exchanges whose records included the holder's family (a `dependants` record). */
  families: number;
  seconds: number;
  /** Every request's latency, ms. */
  latencies: Float64Array;
  /** The same, by route: checks, fetches, confirms. */
  checkLatencies: Float64Array;
  fetchLatencies: Float64Array;
  confirmLatencies: Float64Array;
  /** Every complete exchange's latency (check sent → confirm answered), ms. */
  exchangeLatencies: Float64Array;
}

export interface LoadSummary {
  requests: number;
  checks: number;
  exchanges: number;
  opened: number;
  families: number;
  errors: number;
  firstError?: string;
  marked: number;
  perSecond: number;
  checksPerSecond: number;
  exchangesPerSecond: number;
  p50: number;
  p99: number;
  exchangeP50: number;
  exchangeP99: number;
  checkP99: number;
  fetchP99: number;
  confirmP99: number;
}

/** Several rounds of one side taken together: rates over their summed time, percentiles over all their latencies. */
export function summarize(rounds: readonly LoadResult[]): LoadSummary {
  const pcts = (pick: (r: LoadResult) => Float64Array) => {
    const all = new Float64Array(rounds.reduce((n, r) => n + pick(r).length, 0));
    let at = 0;
    for (const r of rounds) {
      all.set(pick(r), at);
      at += pick(r).length;
    }
    all.sort();
    return (p: number) => all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? 0;
  };
  const sum = (f: (r: LoadResult) => number) => rounds.reduce((n, r) => n + f(r), 0);
  const seconds = sum((r) => r.seconds);
  const req = pcts((r) => r.latencies);
  const ex = pcts((r) => r.exchangeLatencies);
  return {
    requests: sum((r) => r.requests),
    checks: sum((r) => r.checks),
    exchanges: sum((r) => r.exchanges),
    opened: sum((r) => r.opened),
    families: sum((r) => r.families),
    errors: sum((r) => r.errors),
    firstError: rounds.find((r) => r.firstError)?.firstError,
    marked: sum((r) => r.marked),
    perSecond: sum((r) => r.requests) / seconds,
    checksPerSecond: sum((r) => r.checks) / seconds,
    exchangesPerSecond: sum((r) => r.exchanges) / seconds,
    p50: req(0.5),
    p99: req(0.99),
    exchangeP50: ex(0.5),
    exchangeP99: ex(0.99),
    checkP99: pcts((r) => r.checkLatencies)(0.99),
    fetchP99: pcts((r) => r.fetchLatencies)(0.99),
    confirmP99: pcts((r) => r.confirmLatencies)(0.99),
  };
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: spec });
    worker.once('message', (r: LoadResult) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load worker exited with ${code}`));
    });
  });
}

/**
 * One kept-alive HTTP/1.1 connection sending one request at a time, written as raw bytes and read back just
 * enough to find the status and the end of the body (Content-Length). Node's own http client costs more CPU per
 * request than a small server does; on a 2-core machine that CPU would be taken from the server under test.
 */
class RawConnection {
  private socket: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((r: { status: number; body: string }) => void) | null = null;
  private failed: ((e: Error) => void) | null = null;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => this.failed?.(e));
    this.socket.on('close', () => this.failed?.(new Error('connection closed')));
  }

  request(bytes: Buffer): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.buffer = this.buffer.length === 0 ? d : Buffer.concat([this.buffer, d]);
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = this.buffer.subarray(0, headEnd).toString('latin1');
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!m) throw new Error('http-load: responses must carry Content-Length');
    const total = headEnd + 4 + Number(m[1]);
    if (this.buffer.length < total) return;
    const status = Number(head.slice(9, 12));
    const body = this.buffer.subarray(headEnd + 4, total).toString('utf8');
    this.buffer = this.buffer.subarray(total);
    const done = this.waiting;
    this.waiting = null;
    this.failed = null;
    done?.({ status, body });
  }
}

/** A pending card as the generator holds it: its serial and keys, the signing key made once per round. */
interface Card {
  serial: string;
  at: number;
  signer?: KeyObject;
}

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const target = new URL(spec.url);
  const first = BigInt(spec.firstSerial);
  const latencies: number[] = [];
  const byRoute = { check: [] as number[], fetch: [] as number[], confirm: [] as number[] };
  const exchangeLatencies: number[] = [];
  let errors = 0;
  let marked = 0;
  let checks = 0;
  let exchanges = 0;
  let opened = 0;
  let families = 0;
  let firstError: string | undefined;
  const fail = (what: string) => {
    errors++;
    firstError ??= what.slice(0, 400);
  };
  const headOf = (pathname: string) =>
    [
      `POST ${pathname} HTTP/1.1`,
      `host: ${target.host}`,
      'connection: keep-alive',
      ...Object.entries(spec.headers).map(([k, v]) => `${k}: ${v}`),
    ].join('\r\n');
  const checkHead = headOf(target.pathname);
  const requestBytes = (head: string, body: string) =>
    Buffer.from(`${head}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

  // The pending cards whose keys this generator holds, by serial.
  const ex = spec.exchange;
  const keys = ex ? Buffer.from(ex.keys) : Buffer.alloc(0);
  const cards: Card[] = [];
  const bySerial = new Map<string, Card>();
  for (let at = 0; at + CARD_KEY_BYTES <= keys.length; at += CARD_KEY_BYTES) {
    const card = { serial: keys.readBigUInt64BE(at).toString().padStart(12, '0'), at };
    cards.push(card);
    bySerial.set(card.serial, card);
  }
  const b64url = (b: Buffer) => b.toString('base64url');
  const cardSign = (card: Card, message: Buffer): string => {
    card.signer ??= createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: b64url(keys.subarray(card.at + 8, card.at + 40)),
        x: b64url(keys.subarray(card.at + 41, card.at + 73)),
        y: b64url(keys.subarray(card.at + 73, card.at + 105)),
      },
    });
    return sign('sha256', message, { key: card.signer, dsaEncoding: 'ieee-p1363' }).toString('base64');
  };
  const fetchHead = ex ? headOf(ex.fetchPath) : '';
  const confirmHead = ex ? headOf(ex.confirmPath) : '';

  const timed = async (conn: RawConnection, bytes: Buffer, route: keyof typeof byRoute) => {
    const t0 = performance.now();
    const res = await conn.request(bytes);
    const ms = performance.now() - t0;
    latencies.push(ms);
    byRoute[route].push(ms);
    return res;
  };

  /** The rest of a kiosk/2 exchange once the check answered update_available; false (and an error) when it broke. */
  const exchange = async (conn: RawConnection, card: Card, checkBody: string): Promise<boolean> => {
    const check = JSON.parse(checkBody) as { challenge?: string; kioskId?: string };
    if (!check.challenge) {
      fail(`no challenge: ${checkBody}`);
      return false;
    }
    const kioskId = check.kioskId ?? ex!.kioskId;
    const proof = cardSign(
      card,
      proofMessage({
        challenge: check.challenge,
        serial: card.serial,
        readVersion: 1,
        writeInProgress: false,
        kioskId,
      }),
    );
    const fetched = await timed(
      conn,
      requestBytes(
        fetchHead,
        JSON.stringify({
          serial: card.serial,
          challenge: check.challenge,
          readVersion: 1,
          writeInProgress: false,
          proof,
        }),
      ),
      'fetch',
    );
    if (fetched.status !== 200) {
      fail(`fetch ${fetched.status} ${fetched.body}`);
      return false;
    }
    const f = JSON.parse(fetched.body) as {
      action: string;
      exchangeId: string;
      ephemeralKey: string;
      records: SealedRecord[];
    };
    if (f.action !== 'update') {
      fail(`fetch answered ${f.action}`);
      return false;
    }
    if ((exchanges + 1) % ex!.openEvery === 0) {
      const encKeys = {
        encPrivate: keys.subarray(card.at + 105, card.at + 137).toString('base64'),
        encPublic: keys.subarray(card.at + 137, card.at + 202).toString('base64'),
      };
      for (const r of f.records) {
        const open = openRecord(
          encKeys,
          { serial: card.serial, exchangeId: f.exchangeId, ephemeralKey: f.ephemeralKey },
          r,
        );
        if (!open) {
          fail(`the card could not open ${r.recordType}@${r.version}`);
          return false;
        }
        if (r.recordType === 'dependants' && !(Array.isArray(open.content) && open.content.length > 0)) {
          fail(`the dependants record opened to no child`);
          return false;
        }
      }
      opened++;
    }
    const writtenRecords = f.records.map((r) => `${r.recordType}@${r.version}`);
    const cardAck = cardSign(card, ackMessage({ exchangeId: f.exchangeId, serial: card.serial, writtenRecords }));
    const confirmed = await timed(
      conn,
      requestBytes(
        confirmHead,
        JSON.stringify({ exchangeId: f.exchangeId, serial: card.serial, writtenRecords, cardAck }),
      ),
      'confirm',
    );
    if (confirmed.status !== 200 || !confirmed.body.includes('"result":"updated"')) {
      fail(`confirm ${confirmed.status} ${confirmed.body}`);
      return false;
    }
    if (f.records.some((r) => r.recordType === 'dependants')) families++;
    return true;
  };

  const started = performance.now();
  const end = started + spec.seconds * 1000;
  const inReader = new Set<string>();
  const kiosk = async () => {
    const conn = new RawConnection(target.hostname, Number(target.port));
    try {
      while (performance.now() < end) {
        const card = ex?.pendingOnly ? cards[Math.floor(Math.random() * cards.length)] : undefined;
        const serial =
          card?.serial ?? (first + BigInt(Math.floor(Math.random() * spec.cards))).toString().padStart(12, '0');
        // A card is in one reader at a time: two kiosks on one card would supersede each other's exchange.
        if (inReader.has(serial)) continue;
        inReader.add(serial);
        const t0 = performance.now();
        const res = await timed(conn, requestBytes(checkHead, spec.bodyTemplate.replace('{serial}', serial)), 'check');
        checks++;
        if (res.status < 200 || res.status >= 300) {
          fail(`${res.status} ${res.body}`);
          inReader.delete(serial);
          continue;
        }
        if (spec.mark && res.body.includes(spec.mark)) marked++;
        const pending = ex ? (card ?? bySerial.get(serial)) : undefined;
        if (pending && res.body.includes('"update_available"') && (await exchange(conn, pending, res.body))) {
          exchanges++;
          exchangeLatencies.push(performance.now() - t0);
        }
        inReader.delete(serial);
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, kiosk));
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    checks,
    errors,
    firstError,
    marked,
    exchanges,
    opened,
    families,
    seconds,
    latencies: Float64Array.from(latencies),
    exchangeLatencies: Float64Array.from(exchangeLatencies),
    checkLatencies: Float64Array.from(byRoute.check),
    fetchLatencies: Float64Array.from(byRoute.fetch),
    confirmLatencies: Float64Array.from(byRoute.confirm),
  };
}

if (!isMainThread && parentPort && (workerData as LoadSpec | undefined)?.bodyTemplate !== undefined) {
  const port = parentPort;
  generate(workerData as LoadSpec).then(
    (r) =>
      port.postMessage(
        r,
        [r.latencies, r.exchangeLatencies, r.checkLatencies, r.fetchLatencies, r.confirmLatencies].map(
          (a) => a.buffer as ArrayBuffer,
        ),
      ),
    (e: unknown) => {
      throw e;
    },
  );
}
