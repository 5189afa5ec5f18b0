import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { OrdersService } from '../../src/emission/orders/orders.service.js';
import { BatchBuilderService, type BuiltBatch } from '../../src/emission/personalisation/batch-builder.service.js';
import { BatchFileService } from '../../src/emission/personalisation/batch-file.service.js';
import { ReturnIngestService } from '../../src/emission/returns/return-ingest.service.js';
import { ReturnIntakeService } from '../../src/emission/returns/return-intake.service.js';
import { VENDOR_INBOX, VENDOR_OUTBOX } from '../../src/emission/vendors/vendor-folders.js';
import { systemActor } from '../../src/platform/auth/actor.js';
import { SigningService } from '../../src/platform/crypto/signing.service.js';
import { DomainError } from '../../src/platform/errors/domain-error.js';
import { generateCardKeys, type CardKeys } from '../../src/update/card-crypto.js';
import { JOB_SPECS, JobName } from '../../src/platform/jobs/job-catalogue.js';
import { SftpFolders } from '../../src/platform/sftp/sftp-folders.js';
import { RegisterClock } from '../../src/register/register-clock.js';
import { writeSynthetic } from '../../src/synthetic/copy-writer.js';
import { insertRows, readChainRows, type TableRows } from '../support/emission-baseline.js';
import {
  AGE_BINARY,
  allShippedReturnFile,
  createDefaultVendor,
  decryptPersoFile,
  insertReadyRequests,
  serialsOfPersoFile,
  startChainApp,
  storeSharedPhoto,
  type BenchVendor,
} from '../support/emission-fixtures.js';
import { type BenchContext, type Benchmark, positiveIntOption } from '../types.js';

const SEED = 1;
const VENDOR_LOGIN = 'bench_vendor';
const BATCH_SIZE = 5000;

const seconds = (from: number) => (performance.now() - from) / 1000;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

interface ChainTimes {
  order_s: number;
  /** The batch builder's time. */
  batch_s: number;
  /** The file writer's busy time, overlapping the builder's. */
  files_s: number;
  /** Wall time of the builder and the file writer running side by side (in the chain). */
  batch_files_s: number;
  /** The system's side of the returns: intake and ingestion. */
  returns_s: number;
  /**
   * Not the system's work, so not in the chain: the vendor's side (reading and decrypting its file, writing the
   * return file into its inbox), done on the vendor's machine with its own `age`.
   */
  vendor_s: number;
}

/**
 * Step 4 the way automatic orders run in the product: the EmissionAutoOrder job takes a fetch of up to its batch
 * size (500) and orders it in one set-based transaction (`OrdersService.autoOrderMany`); `concurrency` fetches
 * at once, as that many workers would.
 */
async function orderAll(
  ctx: BenchContext,
  app: NestFastifyApplication,
  requestIds: readonly string[],
  concurrency: number,
): Promise<void> {
  const orders = app.get(OrdersService);
  const fetch = JOB_SPECS[JobName.EmissionAutoOrder].batchSize;
  const chunks: string[][] = [];
  for (let i = 0; i < requestIds.length; i += fetch) chunks.push(requestIds.slice(i, i + fetch));
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++];
      const outcomes = await orders.autoOrderMany(chunk);
      const refused = outcomes.filter((o) => o instanceof DomainError);
      if (refused.length)
        throw new Error(`emission: ${refused.length} automatic orders refused (${(refused[0] as DomainError).code})`);
      done += chunk.length;
      ctx.log(`emission:   ordered ${done} (${Math.round(done / seconds(started))}/s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
}

async function runChain(
  ctx: BenchContext,
  app: NestFastifyApplication,
  vendor: BenchVendor,
  requestIds: readonly string[],
  concurrency: number,
  chipKeys: readonly CardKeys[],
): Promise<{ times: ChainTimes; batches: BuiltBatch[]; files: Map<string, string> }> {
  const folders = app.get(SftpFolders);
  const n = requestIds.length;

  ctx.log(
    `emission: (1) ordering ${n} cards, set-based fetches of ${JOB_SPECS[JobName.EmissionAutoOrder].batchSize}, ${concurrency} at once`,
  );
  let t = performance.now();
  await orderAll(ctx, app, requestIds, concurrency);
  const order_s = seconds(t);

  // Steps 2 and 3 overlap as in the product, where they are two jobs with their own workers: the build job commits
  // one batch at a time, each with its file job queued; the file worker (one at a time, as the catalogue's batchSize
  // of 1 runs them) writes each committed batch's file while the builder picks the next (PostgreSQL's work beside
  // Node's). batch_s is the builder's time, files_s the writer's busy time, batch_files_s the wall time of both.
  ctx.log('emission: (2) building personalisation batches, (3) writing their files as each batch is committed');
  t = performance.now();
  const ds = app.get(DataSource);
  // What autovacuum does on a live database between the orders and the batch cron (5 minutes): without it the
  // planner still believes no request is ordered and picks each batch with a quadratic nested loop. Timed.
  await ds.query('ANALYZE card, card_request');
  const builder = app.get(BatchBuilderService);
  const batches: BuiltBatch[] = [];
  let building = true;
  const build = (async () => {
    try {
      for (;;) {
        const built = await builder.build(systemActor());
        if (built.waitingWithoutVendor || built.waitingWithoutRecipient)
          throw new Error(
            `${built.waitingWithoutVendor + built.waitingWithoutRecipient} ordered cards have no vendor to go to`,
          );
        if (built.batches.length === 0) break;
        batches.push(...built.batches);
      }
    } finally {
      building = false;
    }
    return seconds(t);
  })();
  const writer = app.get(BatchFileService);
  const files = new Map<string, string>();
  let files_s = 0;
  const write = (async () => {
    for (;;) {
      const wasBuilding = building;
      // The committed batches whose file is not written yet: what the file worker's queue holds.
      const pending: Array<{ id: string }> = await ds.query(
        `SELECT id FROM personalisation_batch WHERE status = 'allocated' ORDER BY batch_number`,
      );
      for (const { id } of pending) {
        const w = performance.now();
        const written = await writer.write(id);
        if (!written) throw new Error(`batch ${id} was not written`);
        files.set(id, written.fileName);
        files_s += seconds(w);
      }
      if (pending.length === 0) {
        if (!wasBuilding) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  })();
  const [batch_s] = await Promise.all([build, write]);
  const batch_files_s = seconds(t);
  if (files.size !== batches.length) throw new Error(`${files.size} files written for ${batches.length} batches`);
  ctx.log(
    `emission:   ${batches.length} batches in ${batch_s.toFixed(1)} s, their files in ${files_s.toFixed(1)} s, both in ${batch_files_s.toFixed(1)} s`,
  );

  ctx.log(
    'emission: (4) return files: vendor reports every card SHIPPED with its chip keys (ret/2), intake, ingestion',
  );
  t = performance.now();
  let vendor_s = 0;
  let keysUsed = 0;
  const intake = app.get(ReturnIntakeService);
  const ingest = app.get(ReturnIngestService);
  for (const b of batches) {
    // The vendor: downloads and decrypts its file, personalises, uploads its return file into the inbox.
    const v = performance.now();
    const serials = serialsOfPersoFile(
      await decryptPersoFile(vendor, await readFile(folders.file(vendor.login, VENDOR_OUTBOX, files.get(b.id)!))),
    );
    if (serials.length !== b.cardCount)
      throw new Error(`batch ${b.batchNumber}: ${serials.length} records in the file, ${b.cardCount} cards`);
    const name = `RET_${b.batchNumber.padStart(8, '0')}.txt`;
    await folders.publish(
      vendor.login,
      VENDOR_INBOX,
      name,
      allShippedReturnFile(vendor.login, serials, chipKeys.slice(keysUsed, keysUsed + serials.length)),
    );
    keysUsed += serials.length;
    vendor_s += seconds(v);
    // The system: what the SFTP server calls when a file lands in an inbox, then the ingestion job's work.
    const returnFileId = await intake.register(vendor, name);
    if (!returnFileId) throw new Error(`return file ${name} was not registered`);
    const outcome = await ingest.ingest(returnFileId);
    if (!outcome || outcome.applied !== serials.length || outcome.rejected !== 0) {
      throw new Error(`return file ${name}: ${JSON.stringify(outcome)} for ${serials.length} lines`);
    }
  }
  const returns_s = seconds(t) - vendor_s;
  ctx.log(
    `emission:   ${batches.length} return files in ${returns_s.toFixed(1)} s (and the vendor's side ${vendor_s.toFixed(1)} s)`,
  );
  return { times: { order_s, batch_s, files_s, batch_files_s, returns_s, vendor_s }, batches, files };
}

/** Step (5): every card active with its manufacturing facts, every request completed, every file sound. Throws otherwise. */
async function verifyChain(
  app: NestFastifyApplication,
  url: string,
  vendor: BenchVendor,
  n: number,
  batches: BuiltBatch[],
  files: Map<string, string>,
): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const q = async (sql: string) => (await c.query(sql)).rows[0] as Record<string, number>;
    const problems: string[] = [];
    const expect = (what: string, got: unknown, want: unknown) => {
      if (got !== want) problems.push(`${what}: ${String(got)}, expected ${String(want)}`);
    };
    expect('cards with their chip keys', (await q(`SELECT count(*)::int AS n FROM card_key`)).n, n);
    const cards = await q(`SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'active')::int AS active,
      count(*) FILTER (WHERE serial IS NOT NULL AND chip_id IS NOT NULL AND personalised_at IS NOT NULL AND shipped_at IS NOT NULL AND batch_id IS NOT NULL)::int AS facts,
      count(DISTINCT beneficiary_id)::int AS holders FROM card`);
    expect('cards', cards.total, n);
    expect('active cards', cards.active, n);
    expect('cards with serial, chip id, dates and batch', cards.facts, n);
    expect('card holders', cards.holders, n);
    const requests =
      await q(`SELECT count(*)::int AS total, count(*) FILTER (WHERE r.status = 'completed' AND c.state = 'active')::int AS completed
      FROM card_request r LEFT JOIN card c ON c.id = r.card_id`);
    expect('requests', requests.total, n);
    expect('requests completed with their card active', requests.completed, n);
    const steps = await q(`SELECT count(*)::int AS n FROM card_request_step`);
    expect('request step rows', steps.n, 4 * n); // photo_available, ordered, in_personalisation, completed
    const b = await q(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'returned')::int AS returned, coalesce(sum(card_count), 0)::int AS cards FROM personalisation_batch`,
    );
    expect('batches', b.total, batches.length);
    expect('batches returned', b.returned, batches.length);
    expect('cards in batches', b.cards, n);
    const f = await q(`SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'ingested')::int AS ingested,
      coalesce(sum(applied_count), 0)::int AS applied, coalesce(sum(rejected_count), 0)::int AS rejected FROM vendor_return_file`);
    expect('return files ingested', f.ingested, batches.length);
    expect('return lines applied', f.applied, n);
    expect('return lines rejected', f.rejected, 0);
    const { rows: events } = await c.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM fund_event GROUP BY type ORDER BY type`,
    );
    const byType = Object.fromEntries(events.map((e) => [e.type, e.n]));
    for (const type of ['card.ordered', 'card.in_personalisation', 'card.shipped'])
      expect(`${type} events`, byType[type], n);
    expect('event types', events.length, 3);
    // The files as the vendor checks them: detached signature over the encrypted bytes; once decrypted, the hash the
    // signature states, trailer count and hash.
    const signing = app.get(SigningService);
    const folders = app.get(SftpFolders);
    for (const batch of batches) {
      const name = files.get(batch.id)!;
      const encrypted = await readFile(folders.file(vendor.login, VENDOR_OUTBOX, name));
      const sig = JSON.parse(await readFile(folders.file(vendor.login, VENDOR_OUTBOX, `${name}.sig`), 'utf8'));
      if (!signing.verify(encrypted, sig)) problems.push(`${name}: signature does not verify`);
      const bytes = await decryptPersoFile(vendor, encrypted);
      if (createHash('sha256').update(bytes).digest('hex') !== sig.plaintextSha256)
        problems.push(`${name}: the clear file is not the one signed`);
      const trailerAt = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
      const [tag, count, digest] = bytes.toString('latin1', trailerAt, bytes.length - 1).split('|');
      if (
        tag !== 'T' ||
        Number(count) !== batch.cardCount ||
        createHash('sha256').update(bytes.subarray(0, trailerAt)).digest('hex') !== digest
      ) {
        problems.push(`${name}: bad trailer`);
      }
    }
    const rejects = (await folders.list(vendor.login, VENDOR_OUTBOX)).filter((x) => x.name.startsWith('REJ_'));
    expect('reject files', rejects.length, 0);
    const inbox = await folders.list(vendor.login, VENDOR_INBOX);
    expect('files left in the inbox', inbox.length, 0);
    if (problems.length) throw new Error(`the chain did not end where it should:\n  ${problems.join('\n  ')}`);
  } finally {
    await c.end();
  }
}

/**
 * Emission end to end: N cards on the synthetic register from photo_available (photos pre-accepted) to active,
 * through the real services (orders, batches, personalisation files, return files), as cards per second, beside
 * the same final card, fund event and audit rows written with plain 1,000-row INSERTs.
 */
export const emissionBench: Benchmark = {
  name: 'emission',
  description:
    'cards/s from order to active (orders, batches, encrypted perso files, ret/2 return files) vs 1,000-row INSERTs of the same final rows',
  options: {
    cards: 'cards carried through the chain (default 100000)',
    concurrency: 'automatic-order fetches at once (default 2: one per core)',
  },
  async run(ctx: BenchContext) {
    const n = positiveIntOption(ctx, 'cards', 100_000);
    const concurrency = positiveIntOption(ctx, 'concurrency', 2);

    // --- the chain ---
    const db = await ctx.freshDatabase();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vitale-bench-emission-'));
    chmodSync(dataDir, 0o700);
    let app: NestFastifyApplication | undefined;
    let times: ChainTimes;
    let chainRows: TableRows[];
    let batchCount: number;
    let chipBytes: number;
    try {
      ctx.log(`emission: set-up: ${n} synthetic beneficiaries (COPY writer)`);
      const seeded = await writeSynthetic(db.url, { count: n, seed: SEED, families: false });
      if (seeded.beneficiaries !== n)
        throw new Error(`the register holds ${seeded.beneficiaries} beneficiaries, not ${n}`);
      app = await startChainApp(db.url, dataDir, BATCH_SIZE);
      const vendor = await createDefaultVendor(app, VENDOR_LOGIN, dataDir);
      const photo = await storeSharedPhoto(app);
      chipBytes = photo.chipBytes;
      ctx.log(
        `emission: set-up: ${n} card requests at photo_available with an accepted photo (shared chip image of ${photo.chipBytes} bytes)`,
      );
      const requestIds = await insertReadyRequests(db.url, app.get(RegisterClock).today(), photo);
      // Each chip generates its key pairs at personalisation: the chips' work, not the system's nor the vendor's
      // software's, so done before the timing starts.
      ctx.log(`emission: set-up: ${n} chips' key pairs`);
      const chipKeys = Array.from({ length: n }, () => generateCardKeys());
      const ds = app.get(DataSource);
      const [{ max: auditBefore }] = await ds.query(`SELECT coalesce(max(id), 0)::text AS max FROM audit_entry`);

      const started = performance.now();
      const chain = await runChain(ctx, app, vendor, requestIds, concurrency, chipKeys);
      const total = seconds(started) - chain.times.vendor_s;
      times = chain.times;
      batchCount = chain.batches.length;
      ctx.log(`emission: chain done in ${total.toFixed(1)} s (${Math.round(n / total)} cards/s); verifying`);
      await verifyChain(app, db.url, vendor, n, chain.batches, chain.files);
      chainRows = await readChainRows(db.url, auditBefore);
    } finally {
      await app?.close().catch(() => {});
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    const chainSeconds = times.order_s + times.batch_files_s + times.returns_s;
    const counts = Object.fromEntries(chainRows.map((t) => [t.table, t.rows.length]));
    ctx.log(
      `emission: the chain wrote ${counts.card} cards, ${counts.card_key} chip keys, ${counts.fund_event} fund events, ${counts.audit_entry} audit entries`,
    );

    // --- the baseline: the same final rows, plain multi-row INSERTs, on the same register ---
    const baseDb = await ctx.freshDatabase();
    let baselineSeconds: number;
    try {
      ctx.log(`emission: baseline set-up: the same ${n} beneficiaries`);
      await writeSynthetic(baseDb.url, { count: n, seed: SEED, families: false });
      ctx.log('emission: baseline: 1,000-row INSERTs of the same card, fund event and audit rows');
      baselineSeconds = await insertRows(baseDb.url, chainRows);
      const c = new pg.Client({ connectionString: baseDb.url });
      await c.connect();
      try {
        const {
          rows: [got],
        } = await c.query<{ card: number; card_key: number; fund_event: number; audit_entry: number }>(
          `SELECT (SELECT count(*) FROM card WHERE state = 'active')::int AS card, (SELECT count(*) FROM card_key)::int AS card_key,
                  (SELECT count(*) FROM fund_event)::int AS fund_event, (SELECT count(*) FROM audit_entry)::int AS audit_entry`,
        );
        for (const t of ['card', 'card_key', 'fund_event', 'audit_entry'] as const) {
          if (got[t] !== counts[t]) throw new Error(`baseline wrote ${got[t]} ${t} rows, the chain ${counts[t]}`);
        }
      } finally {
        await c.end();
      }
    } finally {
      await baseDb.drop();
    }

    const cardsPerS = n / chainSeconds;
    const baselineCardsPerS = n / baselineSeconds;
    ctx.log(`emission: chain ${Math.round(cardsPerS)} cards/s, baseline ${Math.round(baselineCardsPerS)} cards/s`);
    return {
      cards: n,
      cards_per_s: Math.round(cardsPerS),
      baseline_cards_per_s: Math.round(baselineCardsPerS),
      ratio: round(cardsPerS / baselineCardsPerS, 3),
      concurrency,
      batches: batchCount,
      chip_bytes: chipBytes,
      fund_events: counts.fund_event,
      audit_entries: counts.audit_entry,
      chain_s: round(chainSeconds),
      order_s: round(times.order_s),
      batch_s: round(times.batch_s),
      files_s: round(times.files_s),
      batch_files_s: round(times.batch_files_s),
      returns_s: round(times.returns_s),
      vendor_s: round(times.vendor_s),
      vendor_age_binary: AGE_BINARY ? 1 : 0,
      baseline_s: round(baselineSeconds),
    };
  },
};
