import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import {
  BitWriter,
  compactHeader,
  encodeCompact,
  encodeText,
  type ListKind,
  type ListMeta,
  RiceSetEncoder,
  SERIAL_DIGITS,
  setCountBytes,
  sha256,
  signedStatement,
  textHeader,
  textTrailer,
} from './list-codec.js';
import { ListProductionStatements, type OppositionListRow } from './opposition.repository.js';

export interface ListSigner {
  sign(data: Buffer): { keyId: string; algorithm: 'Ed25519'; signature: string };
}

export interface ProduceRequest {
  kind: ListKind;
  period: string;
  /** Where the files go (DATA_DIR/opposition). */
  dir: string;
  signer: ListSigner;
  /** Opens a second connection to count the opposed cards beside the COPY (full lists); without it, counted first. */
  sideConnection?: () => Promise<pg.Client>;
}

export const fileNameOf = (kind: ListKind, number: number, ext: 'txt' | 'bin') =>
  `${kind === 'full' ? 'loe' : 'loi'}-${String(number).padStart(8, '0')}.${ext}`;

/**
 * Produces one list, or returns the one already produced for (kind, period): idempotent across instances.
 * Runs on a dedicated connection: advisory lock, then one REPEATABLE READ transaction in which the pending
 * changes are stamped with the new number and (full list) every opposed serial is streamed with COPY, so the
 * list and its stamped changes describe the same snapshot.
 */
export async function produceOppositionList(
  client: pg.Client,
  req: ProduceRequest,
): Promise<{ list: OppositionListRow; created: boolean }> {
  await mkdir(req.dir, { recursive: true });
  const db = new ListProductionStatements(client);
  await db.lock();
  const written: string[] = [];
  try {
    await db.begin();
    try {
      const existing = await db.existing(req.kind, req.period);
      if (existing) {
        await db.rollback();
        return { list: existing, created: false };
      }
      const n = await db.numbering();
      const meta: ListMeta = {
        kind: req.kind,
        number: n.next,
        baseNumber: req.kind === 'full' ? null : n.full,
        producedAt: new Date(n.now),
      };
      const textFile = fileNameOf(req.kind, meta.number, 'txt');
      const compactFile = fileNameOf(req.kind, meta.number, 'bin');
      // Every pending change goes with this list (a full list includes their effect, an incremental lists them).
      await db.stampPendingChanges(meta.number);
      const out =
        req.kind === 'full'
          ? await writeFull(db, meta, req.dir, textFile, compactFile, written, req.sideConnection)
          : await writeIncremental(db, meta, req.dir, textFile, compactFile, written);
      const textSig = req.signer.sign(
        Buffer.from(signedStatement(meta.kind, meta.number, 'text', out.textSha256), 'utf8'),
      );
      const compactSig = req.signer.sign(
        Buffer.from(signedStatement(meta.kind, meta.number, 'compact', out.compactSha256), 'utf8'),
      );
      const row = await db.insert({
        number: meta.number,
        kind: meta.kind,
        period: req.period,
        baseNumber: meta.baseNumber,
        producedAt: meta.producedAt,
        entryCount: out.entries,
        additions: out.additions,
        removals: out.removals,
        textSha256: out.textSha256,
        textBytes: out.textBytes,
        textFile,
        textSignature: textSig.signature,
        compactSha256: out.compactSha256,
        compactBytes: out.compactBytes,
        compactFile,
        compactSignature: compactSig.signature,
        keyId: textSig.keyId,
      });
      await db.commit();
      written.length = 0;
      return { list: row, created: true };
    } catch (e) {
      await db.rollback().catch(() => {});
      throw e;
    }
  } finally {
    for (const f of written) await unlink(f).catch(() => {});
    await db.unlock().catch(() => {});
  }
}

interface Written {
  entries: number;
  additions: number;
  removals: number;
  textSha256: string;
  textBytes: number;
  compactSha256: string;
  compactBytes: number;
}

async function writeIncremental(
  db: ListProductionStatements,
  meta: ListMeta,
  dir: string,
  textFile: string,
  compactFile: string,
  written: string[],
): Promise<Written> {
  // Net effect per serial since the previous list: added then removed (or the reverse) cancels out.
  const rows = await db.changesOf(meta.number);
  const additions: number[] = [];
  const removals: number[] = [];
  for (const r of rows) {
    if (r.firstOp !== r.lastOp) continue;
    (r.lastOp === 'add' ? additions : removals).push(Number(r.serial));
  }
  const list = { ...meta, kind: 'incremental' as const, additions, removals };
  const text = encodeText(list);
  const compact = encodeCompact(list);
  await writeWhole(path.join(dir, textFile), text, written);
  await writeWhole(path.join(dir, compactFile), compact, written);
  return {
    entries: additions.length + removals.length,
    additions: additions.length,
    removals: removals.length,
    textSha256: sha256(text),
    textBytes: text.length,
    compactSha256: sha256(compact),
    compactBytes: compact.length,
  };
}

async function writeWhole(file: string, data: Buffer, written: string[]): Promise<void> {
  const tmp = `${file}.tmp`;
  written.push(tmp);
  const fh = await open(tmp, 'w');
  try {
    await fh.write(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  written[written.indexOf(tmp)] = file;
}

/** A file written in large chunks, hashed as it goes. */
class HashedFile {
  private fh!: FileHandle;
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  constructor(readonly file: string) {}
  async open(written: string[]): Promise<void> {
    written.push(`${this.file}.tmp`);
    this.fh = await open(`${this.file}.tmp`, 'w');
  }
  async write(b: Buffer): Promise<void> {
    if (b.length === 0) return;
    this.hash.update(b);
    this.bytes += b.length;
    await this.fh.write(b);
  }
  async close(written: string[]): Promise<string> {
    await this.fh.sync();
    await this.fh.close();
    await rename(`${this.file}.tmp`, this.file);
    written[written.indexOf(`${this.file}.tmp`)] = this.file;
    return this.hash.digest('hex');
  }
}

const TEXT_CHUNK = 1 << 20;

/**
 * The number of opposed cards in the producing transaction's snapshot. With a side connection it runs beside the
 * COPY (same exported snapshot), else before it.
 */
async function startCount(
  db: ListProductionStatements,
  side: (() => Promise<pg.Client>) | undefined,
): Promise<{ counting: Promise<number> }> {
  if (!side) return { counting: Promise.resolve(await db.countOpposed()) };
  const snap = await db.exportSnapshot();
  const p = (async () => {
    const b = await side();
    try {
      return await ListProductionStatements.countOpposedIn(b, snap);
    } finally {
      await b.end().catch(() => {});
    }
  })();
  p.catch(() => {}); // awaited by the caller; never an unhandled rejection meanwhile
  return { counting: p };
}

/**
 * Streams the opposed serials (COPY TO STDOUT, by serial) and writes both formats as the rows arrive:
 * memory stays flat whatever the number of opposed cards. The headers announce the count, which is counted beside
 * the COPY: output made before the count is known waits in memory (a few seconds' worth at most).
 */
async function writeFull(
  db: ListProductionStatements,
  meta: ListMeta,
  dir: string,
  textFile: string,
  compactFile: string,
  written: string[],
  side?: () => Promise<pg.Client>,
): Promise<Written> {
  const { counting } = await startCount(db, side);
  let count: number | null = null;
  counting.then(
    (c) => {
      count = c;
    },
    () => {},
  );
  const text = new HashedFile(path.join(dir, textFile));
  const compact = new HashedFile(path.join(dir, compactFile));
  await text.open(written);
  await compact.open(written);

  let headersWritten = false;
  const pendingText: Buffer[] = [];
  const pendingCompact: Buffer[] = [];
  const writeHeaders = async (n: number) => {
    await text.write(Buffer.from(textHeader(meta, { count: n }), 'utf8'));
    await compact.write(Buffer.concat([compactHeader(meta), setCountBytes(n)]));
    for (const b of pendingText.splice(0)) await text.write(b);
    for (const b of pendingCompact.splice(0)) await compact.write(b);
    headersWritten = true;
  };
  const emit = async (t: Buffer[], c: Buffer[]) => {
    if (!headersWritten && count !== null) await writeHeaders(count);
    if (!headersWritten) {
      pendingText.push(...t);
      pendingCompact.push(...c);
      return;
    }
    for (const b of t) await text.write(b);
    for (const b of c) await compact.write(b);
  };

  const bits = new BitWriter(1 << 18);
  const enc = new RiceSetEncoder(bits, null);

  let out = Buffer.allocUnsafe(TEXT_CHUNK);
  let pos = 0;
  let value = 0;
  let digitsStart: number; // index in chunk of the current line's digits (or -1: carried in `carry`)
  let carry: number[] = [];
  let seen = 0;
  const flush = async () => {
    const t = out.subarray(0, pos);
    out = Buffer.allocUnsafe(TEXT_CHUNK);
    pos = 0;
    await emit([t], bits.take());
  };

  const stream = db.opposedSerials();
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    digitsStart = carry.length ? -1 : 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c !== 0x0a) {
        value = value * 10 + (c - 0x30);
        continue;
      }
      // end of line: digits are chunk[digitsStart..i) plus any carried from the previous chunk
      // Byte loops, not Buffer.copy: a dozen bytes per line, where a native call per line costs more than the copy.
      const from = Math.max(digitsStart, 0);
      const len = carry.length + (i - from);
      for (let z = len; z < SERIAL_DIGITS; z++) out[pos++] = 0x30;
      if (carry.length) {
        for (const d of carry) out[pos++] = d;
        carry = [];
      }
      for (let j = from; j < i; j++) out[pos++] = chunk[j];
      out[pos++] = 0x0a;
      enc.add(value);
      value = 0;
      seen++;
      digitsStart = i + 1;
      if (pos > TEXT_CHUNK - 64) await flush();
    }
    // a line cut by the chunk boundary
    const from = Math.max(digitsStart, 0);
    for (let i = from; i < chunk.length; i++) carry.push(chunk[i]);
  }
  const counted = await counting;
  if (seen !== counted)
    throw new Error(`opposed cards changed while the full list was read (${seen} rows, ${counted} counted)`);
  enc.end();
  const t = out.subarray(0, pos);
  if (!headersWritten) await writeHeaders(counted);
  await emit([t], bits.finish());
  // The trailer is the SHA-256 of everything before it: the file's running hash so far.
  const trailer = Buffer.from(textTrailer(text.hash.copy().digest('hex')), 'utf8');
  await text.write(trailer);
  const textSha256 = await text.close(written);
  const compactSha256 = await compact.close(written);
  return {
    entries: counted,
    additions: 0,
    removals: 0,
    textSha256,
    textBytes: text.bytes,
    compactSha256,
    compactBytes: compact.bytes,
  };
}
