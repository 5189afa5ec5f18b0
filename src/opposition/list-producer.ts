import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import {
  BitWriter, compactHeader, encodeCompact, encodeText, type ListKind, type ListMeta, RiceSetEncoder, SERIAL_DIGITS, setCountBytes,
  sha256, signedStatement, textHeader, textTrailer,
} from './list-codec.js';

/** Serialises list production across every instance sharing the database (session advisory lock). */
export const LIST_LOCK_KEY = 0x4c4f4549; // "LOEI"

export interface ListSigner {
  sign(data: Buffer): { keyId: string; algorithm: 'Ed25519'; signature: string };
}

export interface OppositionListRow {
  number: number;
  kind: ListKind;
  period: string;
  base_number: number | null;
  produced_at: Date;
  entry_count: number;
  additions: number;
  removals: number;
  text_sha256: string;
  text_bytes: string;
  text_file: string;
  text_signature: string;
  compact_sha256: string;
  compact_bytes: string;
  compact_file: string;
  compact_signature: string;
  key_id: string;
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

const OPPOSED_SERIALS_SQL = `SELECT serial FROM card WHERE state = 'opposed' ORDER BY serial`;

/**
 * Produces one list, or returns the one already produced for (kind, period): idempotent across instances.
 * Runs on a dedicated connection: advisory lock, then one REPEATABLE READ transaction in which the pending
 * changes are stamped with the new number and (full list) every opposed serial is streamed with COPY, so the
 * list and its stamped changes describe the same snapshot.
 */
export async function produceOppositionList(client: pg.Client, req: ProduceRequest): Promise<{ list: OppositionListRow; created: boolean }> {
  await mkdir(req.dir, { recursive: true });
  await client.query('SELECT pg_advisory_lock($1)', [LIST_LOCK_KEY]);
  const written: string[] = [];
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      const existing = await client.query<OppositionListRow>(`SELECT * FROM opposition_list WHERE kind = $1 AND period = $2`, [req.kind, req.period]);
      if (existing.rows.length) {
        await client.query('ROLLBACK');
        return { list: existing.rows[0], created: false };
      }
      const { rows: [n] } = await client.query<{ next: number; full: number | null; now: Date }>(
        `SELECT coalesce(max(number), 0) + 1 AS next, max(number) FILTER (WHERE kind = 'full') AS full, now() AS now FROM opposition_list`);
      const meta: ListMeta = { kind: req.kind, number: n.next, baseNumber: req.kind === 'full' ? null : n.full, producedAt: new Date(n.now) };
      const textFile = fileNameOf(req.kind, meta.number, 'txt');
      const compactFile = fileNameOf(req.kind, meta.number, 'bin');
      // Every pending change goes with this list (a full list includes their effect, an incremental lists them).
      await client.query(`UPDATE opposition_change SET list_number = $1 WHERE list_number IS NULL`, [meta.number]);
      const out = req.kind === 'full'
        ? await writeFull(client, meta, req.dir, textFile, compactFile, written, req.sideConnection)
        : await writeIncremental(client, meta, req.dir, textFile, compactFile, written);
      const textSig = req.signer.sign(Buffer.from(signedStatement(meta.kind, meta.number, 'text', out.textSha256), 'utf8'));
      const compactSig = req.signer.sign(Buffer.from(signedStatement(meta.kind, meta.number, 'compact', out.compactSha256), 'utf8'));
      const { rows: [row] } = await client.query<OppositionListRow>(
        `INSERT INTO opposition_list (number, kind, period, base_number, produced_at, entry_count, additions, removals, text_sha256, text_bytes,
           text_file, text_signature, compact_sha256, compact_bytes, compact_file, compact_signature, key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING *`,
        [meta.number, meta.kind, req.period, meta.baseNumber, meta.producedAt, out.entries, out.additions, out.removals, out.textSha256, out.textBytes,
          textFile, textSig.signature, out.compactSha256, out.compactBytes, compactFile, compactSig.signature, textSig.keyId],
      );
      await client.query('COMMIT');
      written.length = 0;
      return { list: row, created: true };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  } finally {
    for (const f of written) await unlink(f).catch(() => {});
    await client.query('SELECT pg_advisory_unlock($1)', [LIST_LOCK_KEY]).catch(() => {});
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

async function writeIncremental(client: pg.Client, meta: ListMeta, dir: string, textFile: string, compactFile: string, written: string[]): Promise<Written> {
  // Net effect per serial since the previous list: added then removed (or the reverse) cancels out.
  const { rows } = await client.query<{ serial: string; first_op: string; last_op: string }>(
    `SELECT serial, (array_agg(op ORDER BY id))[1] AS first_op, (array_agg(op ORDER BY id DESC))[1] AS last_op
       FROM opposition_change WHERE list_number = $1 GROUP BY serial ORDER BY serial`, [meta.number]);
  const additions: number[] = [];
  const removals: number[] = [];
  for (const r of rows) {
    if (r.first_op !== r.last_op) continue;
    (r.last_op === 'add' ? additions : removals).push(Number(r.serial));
  }
  const list = { ...meta, kind: 'incremental' as const, additions, removals };
  const text = encodeText(list);
  const compact = encodeCompact(list);
  await writeWhole(path.join(dir, textFile), text, written);
  await writeWhole(path.join(dir, compactFile), compact, written);
  return {
    entries: additions.length + removals.length, additions: additions.length, removals: removals.length,
    textSha256: sha256(text), textBytes: text.length, compactSha256: sha256(compact), compactBytes: compact.length,
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

const COUNT_SQL = `SELECT count(*)::text AS count FROM card WHERE state = 'opposed'`;

/**
 * The number of opposed cards in the producing transaction's snapshot. With a side connection it runs beside the
 * COPY (same exported snapshot), else before it.
 */
async function startCount(client: pg.Client, side: (() => Promise<pg.Client>) | undefined): Promise<{ counting: Promise<number> }> {
  if (!side) {
    const { rows: [r] } = await client.query<{ count: string }>(COUNT_SQL);
    return { counting: Promise.resolve(Number(r.count)) };
  }
  const { rows: [{ snap }] } = await client.query<{ snap: string }>('SELECT pg_export_snapshot() AS snap');
  const p = (async () => {
    const b = await side();
    try {
      await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await b.query(`SET TRANSACTION SNAPSHOT '${snap.replace(/'/g, "''")}'`);
      const { rows: [r] } = await b.query<{ count: string }>(COUNT_SQL);
      await b.query('COMMIT');
      return Number(r.count);
    } finally {
      await b.end().catch(() => {});
    }
  })();
  p.catch(() => {}); // awaited by the caller; never an unhandled rejection meanwhile
  return { counting: p };
}

/**
 * Streams `SELECT serial ... ORDER BY serial` with COPY TO STDOUT and writes both formats as the rows arrive:
 * memory stays flat whatever the number of opposed cards. The headers announce the count, which is counted beside
 * the COPY: output made before the count is known waits in memory (a few seconds' worth at most).
 */
async function writeFull(
  client: pg.Client, meta: ListMeta, dir: string, textFile: string, compactFile: string, written: string[], side?: () => Promise<pg.Client>,
): Promise<Written> {
  const { counting } = await startCount(client, side);
  let count: number | null = null;
  counting.then((c) => { count = c; }, () => {});
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
  let digitsStart = -1; // index in chunk of the current line's digits (or -1: carried in `carry`)
  let carry: number[] = [];
  let seen = 0;
  const flush = async () => {
    const t = out.subarray(0, pos);
    out = Buffer.allocUnsafe(TEXT_CHUNK);
    pos = 0;
    await emit([t], bits.take());
  };

  const stream = client.query(copyTo(`COPY (${OPPOSED_SERIALS_SQL}) TO STDOUT`));
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
  if (seen !== counted) throw new Error(`opposed cards changed while the full list was read (${seen} rows, ${counted} counted)`);
  enc.end();
  const t = out.subarray(0, pos);
  if (!headersWritten) await writeHeaders(counted);
  await emit([t], bits.finish());
  // The trailer is the SHA-256 of everything before it: the file's running hash so far.
  const trailer = Buffer.from(textTrailer(text.hash.copy().digest('hex')), 'utf8');
  await text.write(trailer);
  const textSha256 = await text.close(written);
  const compactSha256 = await compact.close(written);
  return { entries: counted, additions: 0, removals: 0, textSha256, textBytes: text.bytes, compactSha256, compactBytes: compact.bytes };
}
