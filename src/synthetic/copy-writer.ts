import { Readable } from 'node:stream';
import type pg from 'pg';
import { generateBeneficiaries, type SyntheticBeneficiary } from './generator.js';
import { formFamilies, type SyntheticAttachment } from './families.js';
import { nirSpace } from './nir-space.js';
import {
  activeOrganismes,
  begin,
  commit,
  copyAffiliations as copyAffiliationLines,
  copyAttachments,
  copyBeneficiaries,
  lockSeed,
  registerNirs,
  rollback,
  seedConnection,
} from './synthetic.repository.js';

export { activeOrganismes } from './synthetic.repository.js';

/**
 * Streams synthetic beneficiaries into the register with COPY ... FROM STDIN, one transaction per chunk: an
 * interrupted run leaves whole chunks only. A run takes the first range of slot-map indexes that no existing row
 * uses, so its NIRs collide neither with earlier runs nor with any other row already there.
 */
export interface WriteOptions {
  count: number;
  seed: number;
  /** Beneficiaries per transaction. */
  chunkSize?: number;
  /** Called as rows are streamed (beneficiaries so far, committed or in the open chunk). */
  onProgress?: (written: number) => void;
  /** Checked between chunks: return true to stop once the chunks in progress are committed. */
  shouldStop?: () => boolean;
  /** Called after each commit with the beneficiaries committed so far. */
  onCommit?: (committed: number) => void;
  /** Connections loading chunks side by side (the first also holds the seed lock). */
  connections?: number;
  /** Called once the set-up is done (lock taken, the register's NIRs read) and the loading begins. */
  onStart?: () => void;
  /**
   * Children under 16 attached to parents (default true). False: every person is an insured with an affiliation of
   * their own, as before families (the benchmarks of the card chains, which need N holders of cards).
   */
  families?: boolean;
}

export interface WriteResult {
  /** Beneficiaries committed. */
  beneficiaries: number;
  affiliations: number;
  /** Children attached to a parent (attachment rows; a child of two parents counts twice). */
  attachments: number;
  /** First slot-map index of the run. */
  offset: number;
  seconds: number;
  stopped: boolean;
}

export const DEFAULT_CHUNK_SIZE = 50_000;
export const DEFAULT_CONNECTIONS = 2;
const BATCH_ROWS = 500;

export async function writeSynthetic(url: string, options: WriteOptions): Promise<WriteResult> {
  const started = performance.now();
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError('chunkSize must be a positive integer');
  if (!Number.isSafeInteger(connections) || connections < 1)
    throw new RangeError('connections must be a positive integer');
  const clients: pg.Client[] = [];
  const connect = async () => {
    const client = await seedConnection(url);
    clients.push(client);
    return client;
  };
  try {
    const control = await connect();
    await lockSeed(control);
    const organismes = await activeOrganismes(control);
    if (organismes.length === 0) throw new Error('the organisme table is empty: load the reference organismes first');
    const offset = firstFreeRange(await usedIndexes(control), options.count);
    const workers = [control];
    for (let i = 1; i < Math.min(connections, Math.ceil(options.count / chunkSize)); i++) workers.push(await connect());
    options.onStart?.();

    // Chunks are independent (row i is a pure function of seed and offset + i), so each connection takes the next one.
    const chunks = Math.ceil(options.count / chunkSize);
    const streamed = new Array<number>(chunks).fill(0);
    let nextChunk = 0;
    let beneficiaries = 0;
    let affiliations = 0;
    let attachments = 0;
    let stopped = false;
    let failed = false;
    const report = () => options.onProgress?.(streamed.reduce((a, b) => a + b, 0));
    const work = async (client: pg.Client) => {
      while (!failed && nextChunk < chunks) {
        if (options.shouldStop?.()) {
          stopped = true;
          return;
        }
        const chunk = nextChunk++;
        const n = Math.min(chunkSize, options.count - chunk * chunkSize);
        // A chunk is generated whole, then made into families (pure: the same chunk gives the same families).
        const people = [...generateBeneficiaries(n, options.seed, offset + chunk * chunkSize, { organismes })];
        const families = options.families === false ? [] : formFamilies(people, options.seed);
        const rows = people.values();
        await begin(client);
        try {
          // Progress counts a beneficiary half done once streamed, fully once its affiliations are streamed too.
          const affiliationBatches: string[] = [];
          const onBeneficiaries = (k: number) => {
            streamed[chunk] = k / 2;
            report();
          };
          await copyBeneficiaries(
            client,
            Readable.from(beneficiaryBatches(rows, n, affiliationBatches, onBeneficiaries)),
          );
          const onAffiliations = (k: number) => {
            streamed[chunk] = n / 2 + k / 2;
            report();
          };
          const copied = await copyAffiliations(client, affiliationBatches, n, onAffiliations);
          const attached = await copyAttachments(client, Readable.from(attachmentBatches(families)));
          await commit(client);
          beneficiaries += n;
          affiliations += copied;
          attachments += attached;
          options.onCommit?.(beneficiaries);
        } catch (e) {
          failed = true;
          streamed[chunk] = 0;
          await rollback(client).catch(() => {});
          throw e;
        }
      }
    };
    const outcomes = await Promise.allSettled(workers.map(work));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
    return {
      beneficiaries,
      affiliations,
      attachments,
      offset,
      seconds: (performance.now() - started) / 1000,
      stopped,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}

/** Pulls `n` rows, yields their COPY text in batches, and keeps their affiliation lines (same batches) for the second COPY. */
function* beneficiaryBatches(
  rows: Iterator<SyntheticBeneficiary>,
  n: number,
  affiliationBatches: string[],
  progress: (k: number) => void,
): Generator<string> {
  let done = 0;
  while (done < n) {
    const size = Math.min(BATCH_ROWS, n - done);
    let text = '';
    let affiliations = '';
    for (let i = 0; i < size; i++) {
      const next = rows.next();
      if (next.done) throw new Error('the generator ended early');
      text += beneficiaryLine(next.value);
      affiliations += affiliationCopyLines(next.value);
    }
    affiliationBatches.push(affiliations);
    done += size;
    if (done % (20 * BATCH_ROWS) === 0 || done === n) progress(done);
    yield text;
  }
}

/** Streams the affiliation batches (one per BATCH_ROWS beneficiaries); returns the rows copied. */
async function copyAffiliations(
  client: pg.ClientBase,
  batches: string[],
  beneficiaries: number,
  progress: (k: number) => void,
): Promise<number> {
  function* withProgress(): Generator<string> {
    for (let i = 0; i < batches.length; i++) {
      yield batches[i];
      if (i % 20 === 19) progress(Math.min(beneficiaries, (i + 1) * BATCH_ROWS));
    }
    progress(beneficiaries);
  }
  return copyAffiliationLines(client, Readable.from(withProgress()));
}

/** Attachment lines in COPY text format, BATCH_ROWS at a time. */
function* attachmentBatches(attachments: SyntheticAttachment[]): Generator<string> {
  for (let i = 0; i < attachments.length; i += BATCH_ROWS) {
    let text = '';
    for (const a of attachments.slice(i, i + BATCH_ROWS)) text += `${a.dependantId}\t${a.parentId}\t${a.validFrom}\n`;
    yield text;
  }
}

/** One COPY text-format line (tab-separated, \N for null). */
export function beneficiaryLine(b: SyntheticBeneficiary): string {
  return `${b.id}\t${b.nir}\t${b.nirTemporary ? 't' : 'f'}\t${copyText(b.firstName)}\t${copyText(b.birthName)}\t${b.usageName === null ? '\\N' : copyText(b.usageName)}\t${b.birthDate}\t${b.birthRank}\t${copyText(arrayLiteral(b.addressLines))}\n`;
}

function affiliationCopyLines(b: SyntheticBeneficiary): string {
  let out = '';
  for (const a of b.affiliations) out += `${b.id}\t${a.organismeCode}\t${a.validFrom}\t${a.validTo ?? '\\N'}\n`;
  return out;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
function copyText(s: string): string {
  return COPY_SPECIAL.test(s)
    ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : s;
}

/** A PostgreSQL array literal with every element quoted. */
function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** Slot-map indexes of the NIRs already in the register (rows the map cannot produce are skipped), sorted. */
export async function usedIndexes(client: pg.ClientBase): Promise<Uint32Array> {
  const space = nirSpace();
  const found: number[] = [];
  let rest = '';
  for await (const chunk of registerNirs(client)) {
    const text = rest + chunk.toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const index = space.indexOf(line.trimEnd());
      if (index !== null) found.push(index);
    }
  }
  if (rest) {
    const index = space.indexOf(rest.trimEnd());
    if (index !== null) found.push(index);
  }
  return Uint32Array.from(found).sort();
}

/** The lowest start of `count` consecutive indexes none of which is in `used` (sorted ascending). */
export function firstFreeRange(used: Uint32Array, count: number): number {
  let start = 0;
  for (const u of used) {
    if (u >= start + count) break;
    if (u >= start) start = u + 1;
  }
  if (start + count > nirSpace().size)
    throw new RangeError(
      `no room left for ${count} more synthetic beneficiaries (the slot map holds ${nirSpace().size})`,
    );
  return start;
}
