import { createECDH } from 'node:crypto';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * Real card keys for the kiosk benchmark, made as a chip makes them (two P-256 pairs per card, `auth` and `enc`,
 * what `generateCardKeys` of src/update/card-crypto.ts does) on worker threads, one per core: ~45,000 pairs/s per
 * core here, so the 2,000,000 pairs of a million cards take ~25 s on two cores. Each card comes back as one
 * CARD_KEY_BYTES record (serial ‖ auth private ‖ auth public ‖ enc private ‖ enc public), in chunks handed to
 * `onChunk` as they are made (the caller writes the public halves to card_key and keeps the private ones of the
 * cards it needs).
 */
export const CARD_KEY_BYTES = 8 + 32 + 65 + 32 + 65;
const CHUNK = 10_000;

interface Job {
  firstSerial: string;
  from: number;
  to: number;
}

/** Keys for the cards of serials firstSerial + [0, count), `workers` at once; chunks arrive in any order. */
export async function generateCardKeyChunks(
  firstSerial: bigint,
  count: number,
  workers: number,
  onChunk: (chunk: Buffer, cards: number) => Promise<void>,
): Promise<void> {
  const per = Math.ceil(count / workers);
  let pending = Promise.resolve();
  const runs = Array.from(
    { length: workers },
    (_, w) =>
      new Promise<void>((resolve, reject) => {
        const job: Job = { firstSerial: firstSerial.toString(), from: w * per, to: Math.min(count, (w + 1) * per) };
        if (job.from >= job.to) {
          resolve();
          return;
        }
        const worker = new Worker(new URL(import.meta.url), { workerData: job });
        worker.on('message', (m: { chunk: ArrayBuffer; cards: number }) => {
          // Written one chunk at a time, in arrival order (one database connection).
          pending = pending.then(() => onChunk(Buffer.from(m.chunk), m.cards));
          pending.catch(reject);
        });
        worker.once('error', reject);
        worker.once('exit', (code) =>
          code === 0 ? resolve() : reject(new Error(`card key worker exited with ${code}`)),
        );
      }),
  );
  await Promise.all(runs);
  await pending;
}

function generate(job: Job): void {
  const first = BigInt(job.firstSerial);
  for (let from = job.from; from < job.to; from += CHUNK) {
    const n = Math.min(CHUNK, job.to - from);
    const chunk = Buffer.alloc(n * CARD_KEY_BYTES);
    for (let i = 0; i < n; i++) {
      const at = i * CARD_KEY_BYTES;
      chunk.writeBigUInt64BE(first + BigInt(from + i), at);
      const auth = createECDH('prime256v1');
      auth.generateKeys().copy(chunk, at + 40);
      auth.getPrivateKey().copy(chunk, at + 8 + 32 - auth.getPrivateKey().length);
      const enc = createECDH('prime256v1');
      enc.generateKeys().copy(chunk, at + 137);
      enc.getPrivateKey().copy(chunk, at + 105 + 32 - enc.getPrivateKey().length);
    }
    parentPort!.postMessage({ chunk: chunk.buffer, cards: n }, [chunk.buffer as ArrayBuffer]);
  }
}

if (
  !isMainThread &&
  parentPort &&
  (workerData as Job | undefined)?.firstSerial !== undefined &&
  (workerData as Job).to !== undefined
) {
  generate(workerData as Job);
}
