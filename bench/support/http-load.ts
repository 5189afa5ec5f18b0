import net from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * An HTTP load generator for the request/response benchmarks: keeps `connections` POST requests in flight over
 * kept-alive sockets (one request at a time per socket, like a fleet of kiosks) for `seconds`, each on a random card serial, and records every latency. It runs in a worker
 * thread so the requests are made on their own event loop, not on the one of the server being measured (the
 * product and its baseline are both served from the bench process); both sides of a comparison use it alike.
 */
export interface LoadSpec {
  url: string;
  seconds: number;
  connections: number;
  /** Serials are FIRST_SERIAL + a uniform random index in [0, cards). */
  firstSerial: string;
  cards: number;
  headers: Record<string, string>;
  /** The body, with `{serial}` replaced by a 12-digit serial. */
  bodyTemplate: string;
  /** A response counts as `marked` when its body contains this text (e.g. the pending answers). */
  mark?: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** The first error status and body, to say why a run failed. */
  firstError?: string;
  marked: number;
  seconds: number;
  /** Every request's latency, ms. */
  latencies: Float64Array;
}

/** Several rounds of one side taken together: rate over their summed time, percentiles over all their latencies. */
export function summarize(rounds: readonly LoadResult[]): { requests: number; errors: number; firstError?: string; marked: number; perSecond: number; p50: number; p99: number } {
  const all = new Float64Array(rounds.reduce((n, r) => n + r.latencies.length, 0));
  let at = 0;
  for (const r of rounds) { all.set(r.latencies, at); at += r.latencies.length; }
  all.sort();
  const pct = (p: number) => all[Math.min(all.length - 1, Math.floor(p * all.length))] ?? 0;
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  return {
    requests, errors: rounds.reduce((n, r) => n + r.errors, 0), firstError: rounds.find((r) => r.firstError)?.firstError,
    marked: rounds.reduce((n, r) => n + r.marked, 0), perSecond: requests / seconds, p50: pct(0.5), p99: pct(0.99),
  };
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: spec });
    worker.once('message', (r: LoadResult) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`load worker exited with ${code}`)); });
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

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const target = new URL(spec.url);
  const first = BigInt(spec.firstSerial);
  const latencies: number[] = [];
  let errors = 0;
  let marked = 0;
  let firstError: string | undefined;
  const head = [`POST ${target.pathname} HTTP/1.1`, `host: ${target.host}`, 'connection: keep-alive',
    ...Object.entries(spec.headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  const requestBytes = (serial: string) => {
    const body = spec.bodyTemplate.replace('{serial}', serial);
    return Buffer.from(`${head}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  const started = performance.now();
  const end = started + spec.seconds * 1000;
  const worker = async () => {
    const conn = new RawConnection(target.hostname, Number(target.port));
    try {
      while (performance.now() < end) {
        const serial = (first + BigInt(Math.floor(Math.random() * spec.cards))).toString().padStart(12, '0');
        const bytes = requestBytes(serial);
        const t0 = performance.now();
        const res = await conn.request(bytes);
        latencies.push(performance.now() - t0);
        if (res.status < 200 || res.status >= 300) {
          errors++;
          firstError ??= `${res.status} ${res.body.slice(0, 300)}`;
        } else if (spec.mark && res.body.includes(spec.mark)) marked++;
      }
    } finally {
      conn.close();
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { requests: latencies.length, errors, firstError, marked, seconds, latencies: Float64Array.from(latencies) };
}

if (!isMainThread && parentPort && (workerData as LoadSpec | undefined)?.bodyTemplate !== undefined) {
  const port = parentPort;
  generate(workerData as LoadSpec).then((r) => port.postMessage(r, [r.latencies.buffer as ArrayBuffer]), (e: unknown) => { throw e; });
}
