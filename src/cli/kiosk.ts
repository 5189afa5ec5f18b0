import { createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  ackMessage,
  cardSign,
  type CardKeys,
  openRecord,
  proofMessage,
  type SealedRecord,
} from '../update/card-crypto.js';
import { type SignedReceipt, verifyReceipt } from '../update/receipts.js';
import { readVirtualCards, type VirtualCard, writeToVirtualChip } from './virtual-cards.js';
import { cliOptions, usageError } from './cli-args.js';
import { UpdateErrors } from '../update/update.errors.js';

/**
 * `KIOSK_API_KEY=vk_… npm run kiosk -- --url http://localhost:3000 --serial 100000000042 [--cards-file cards.json]
 * [--without-card] [--read-version N] [--write-in-progress] [--pull-after K] [--ms-per-record 400]`: a pharmacy kiosk
 * for real. A card found in the virtual cards file (its chip's private keys, as the demo's simulated vendor made
 * them) is updated with kiosk/2 (docs/formats/kiosk-protocol-2.md): check, the card signs the challenge, fetch, the
 * card opens each sealed record and "writes" it, then signs its acknowledgement, confirm. `--without-card` plays a
 * kiosk that has no card in its reader: the check works, the fetch without the card's proof is refused, nothing is
 * disclosed. Any other card (no keys) is updated with kiosk/1 (docs/formats/kiosk-protocol.md). --pull-after K has
 * the card pulled after K records (an abort). Each receipt is verified against GET /v1/signing-keys. One JSON line
 * per step; exit 0 when the exchange ended as the kiosk expected, 1 otherwise, 2 on a usage error.
 * The API key comes from KIOSK_API_KEY or --key-file, never the command line: npm prints the command line, and
 * any user of the machine can read it (ps).
 */
const USAGE = `KIOSK_API_KEY=<kiosk api key> npm run kiosk -- --serial <12 digits> [--url <base url>] [--cards-file <virtual cards file>] [--without-card]
                                      [--read-version N] [--write-in-progress] [--pull-after K] [--ms-per-record MS]
  or: npm run kiosk -- --key-file <file holding the key> --serial <12 digits> [...]
  A card in --cards-file is updated with kiosk/2 (its virtual chip signs and opens); --without-card shows a kiosk
  without the card refused; any other card uses kiosk/1.`;

/** npm runs scripts in the project folder; a relative path means the folder the user typed the command in. */
const userPath = (p: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), p);

/** The kiosk's API key: the file named by --key-file (first line), else KIOSK_API_KEY. */
function apiKey(keyFile: string | undefined): { key: string } | { error: string } {
  if (keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(userPath(keyFile), 'utf8');
    } catch (e) {
      return { error: `--key-file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    const key = text.split(/\r?\n/)[0].trim();
    return key ? { key } : { error: `--key-file ${keyFile} is empty` };
  }
  const key = process.env.KIOSK_API_KEY?.trim();
  return key ? { key } : { error: 'no API key: set KIOSK_API_KEY, or pass --key-file <file>' };
}

/** The virtual card of `serial` in a virtual cards file (docs/formats/virtual-cards.md), null when absent. */
function virtualCard(file: string, serial: string): { keys: CardKeys | null; warning?: string } | { error: string } {
  const full = userPath(file);
  let cards: VirtualCard[];
  let warning: string | undefined;
  try {
    if ((statSync(full).mode & 0o077) !== 0)
      warning = `${file} holds private keys and other users may read it: chmod 600 ${file}`;
    cards = readVirtualCards(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code ? `--cards-file ${file}: ${code}` : `--cards-file ${(e as Error).message}` };
  }
  return { keys: cards.find((c) => c.serial === serial)?.keys ?? null, warning };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function main(): Promise<number> {
  if (process.argv.slice(2).some((a) => a === '--key' || a.startsWith('--key='))) {
    return usageError(
      '--key is not accepted: npm echoes the command line and other users can read it; set KIOSK_API_KEY or pass --key-file',
      USAGE,
    );
  }
  const opts = cliOptions(
    {
      url: { type: 'string', default: 'http://localhost:3000' },
      'key-file': { type: 'string' },
      serial: { type: 'string' },
      'cards-file': { type: 'string' },
      'without-card': { type: 'boolean', default: false },
      'read-version': { type: 'string', default: '0' },
      'write-in-progress': { type: 'boolean', default: false },
      'pull-after': { type: 'string' },
      'ms-per-record': { type: 'string', default: '400' },
    },
    USAGE,
  );
  if (typeof opts === 'number') return opts;
  if (!opts.serial || !/^\d{12}$/.test(opts.serial)) return usageError('a 12-digit --serial is required', USAGE);
  const credential = apiKey(opts['key-file']);
  if ('error' in credential) return usageError(credential.error, USAGE);
  let keys: CardKeys | null = null;
  const cardsFile = opts['cards-file'];
  if (opts['cards-file'] !== undefined) {
    const found = virtualCard(opts['cards-file'], opts.serial);
    if ('error' in found) return usageError(found.error, USAGE);
    if (found.warning) process.stderr.write(`warning: ${found.warning}\n`);
    keys = found.keys;
  }

  const base = opts.url!.replace(/\/$/, '');
  const headers = { authorization: `Bearer ${credential.key}`, 'content-type': 'application/json' };
  const call = async (route: string, body: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(base + route, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: res.status, json: await res.json().catch(() => ({})) };
  };
  const post = async (route: string, body: unknown): Promise<Json> => {
    const { status, json } = await call(route, body);
    if (status >= 400) throw new Error(`${route} answered ${status} ${json.code ?? ''}: ${json.detail ?? ''}`);
    return json;
  };
  const out = (step: string, data: Record<string, unknown>) =>
    process.stdout.write(JSON.stringify({ step, ...data }) + '\n');
  const checkReceipt = async (receipt: SignedReceipt) => {
    const res = await fetch(`${base}/v1/signing-keys`, { headers });
    const published = ((await res.json()) as { items: Array<{ keyId: string; publicKey: string }> }).items;
    const key = published.find((k) => k.keyId === receipt.keyId);
    const content = key ? verifyReceipt(receipt, createPublicKey(key.publicKey)) : null;
    out('receipt', {
      verified: !!content,
      keyId: receipt.keyId,
      treeSize: receipt.tree?.size,
      ...JSON.parse(Buffer.from(receipt.payload, 'base64').toString('utf8')),
    });
    return !!content;
  };
  const chip = {
    serial: opts.serial,
    readVersion: Number(opts['read-version']),
    writeInProgress: opts['write-in-progress'],
  };
  const pullAfter = opts['pull-after'] !== undefined ? Number(opts['pull-after']) : Infinity;
  const writeDelay = () => new Promise((res) => setTimeout(res, Number(opts['ms-per-record'])));

  if (keys || opts['without-card']) return kiosk2(keys);
  return kiosk1();

  async function kiosk1(): Promise<number> {
    const { status, json: check } = await call('/v1/kiosk/check', chip);
    if (status === 409 && check.code === UpdateErrors.KIOSK_PROTOCOL_2_REQUIRED.code) {
      process.stderr.write(
        `kiosk: this card has its own keys and takes kiosk/2 only: pass --cards-file with its virtual card (the demo writes one)\n`,
      );
      return 1;
    }
    if (status >= 400) throw new Error(`/v1/kiosk/check answered ${status} ${check.code ?? ''}: ${check.detail ?? ''}`);
    out('check', {
      protocol: check.protocol,
      action: check.action,
      fromVersion: check.fromVersion,
      targetVersion: check.targetVersion,
      records: check.records?.map((r: { recordType: string; version: number }) => `${r.recordType}@${r.version}`),
    });
    if (check.action !== 'update') return (await checkReceipt(check.receipt)) ? 0 : 1;

    const written: string[] = [];
    for (const r of check.records as Array<{ recordType: string; version: number }>) {
      if (written.length >= pullAfter) break;
      await writeDelay();
      written.push(`${r.recordType}@${r.version}`);
      out('write', { record: `${r.recordType}@${r.version}` });
    }
    const pulled = written.length < check.records.length;
    const confirm = pulled
      ? await post('/v1/kiosk/confirm', {
          exchangeId: check.exchangeId,
          serial: chip.serial,
          aborted: true,
          commandMayHaveReachedCard: written.length > 0,
        })
      : await post('/v1/kiosk/confirm', { exchangeId: check.exchangeId, serial: chip.serial, writtenRecords: written });
    out(pulled ? 'card pulled: abort' : 'confirm', {
      result: confirm.result,
      version: confirm.version,
      missingRecords: confirm.missingRecords,
    });
    const verified = await checkReceipt(confirm.receipt);
    return verified && confirm.result === (pulled ? 'failed' : 'updated') ? 0 : 1;
  }

  /** kiosk/2: with the card's keys, the card signs and opens; without (`--without-card`), the kiosk is refused. */
  async function kiosk2(card: CardKeys | null): Promise<number> {
    const check = await post('/v2/kiosk/check', chip);
    out('check', {
      protocol: check.protocol,
      action: check.action,
      version: check.version,
      state: check.state,
      expiresAt: check.expiresAt,
    });
    if (check.action !== 'update_available') return (await checkReceipt(check.receipt)) ? 0 : 1;
    const signed = { challenge: check.challenge as string, ...chip, kioskId: check.kioskId as string };

    if (!card) {
      // No card in the reader: nothing can sign the challenge. A made-up signature is what such a kiosk can send.
      const { status, json } = await call('/v2/kiosk/fetch', {
        ...chip,
        challenge: signed.challenge,
        proof: randomBytes(64).toString('base64'),
      });
      const disclosed = Array.isArray(json.records) || json.exchangeId !== undefined;
      out('fetch without the card', { status, code: json.code, refused: status === 403, disclosed });
      return status === 403 && !disclosed ? 0 : 1;
    }

    const fetched = await post('/v2/kiosk/fetch', {
      ...chip,
      challenge: signed.challenge,
      proof: cardSign(card, proofMessage(signed)),
    });
    out('fetch', {
      action: fetched.action,
      exchangeId: fetched.exchangeId,
      fromVersion: fetched.fromVersion,
      targetVersion: fetched.targetVersion,
      records: fetched.records?.map((r: SealedRecord) => `${r.recordType}@${r.version}`),
    });
    if (fetched.action !== 'update') return (await checkReceipt(fetched.receipt)) ? 0 : 1;

    const ctx = {
      serial: chip.serial,
      exchangeId: fetched.exchangeId as string,
      ephemeralKey: fetched.ephemeralKey as string,
    };
    const written: string[] = [];
    const onChip: Array<{ recordType: string; version: number; content: unknown }> = [];
    let refusedByCard = false;
    for (const r of fetched.records as SealedRecord[]) {
      if (written.length >= pullAfter) break;
      // The chip opens the envelope (its private key never leaves it); the kiosk only relayed it.
      const opened = openRecord(card, ctx, r);
      if (!opened) {
        out('write', { record: `${r.recordType}@${r.version}`, opened: false });
        refusedByCard = true;
        break;
      }
      await writeDelay();
      written.push(`${r.recordType}@${r.version}`);
      onChip.push({ recordType: r.recordType, version: r.version, content: opened.content });
      out('write', {
        record: `${r.recordType}@${r.version}`,
        opened: true,
        ...chipSummary(r.recordType, opened.content),
      });
    }
    const pulled = written.length < fetched.records.length;
    const confirm = pulled
      ? await post('/v2/kiosk/confirm', {
          exchangeId: ctx.exchangeId,
          serial: chip.serial,
          aborted: true,
          commandMayHaveReachedCard: written.length > 0,
        })
      : await post('/v2/kiosk/confirm', {
          exchangeId: ctx.exchangeId,
          serial: chip.serial,
          writtenRecords: written,
          cardAck: cardSign(
            card,
            ackMessage({ exchangeId: ctx.exchangeId, serial: chip.serial, writtenRecords: written }),
          ),
        });
    out(pulled ? (refusedByCard ? 'card refused a record: abort' : 'card pulled: abort') : 'confirm', {
      result: confirm.result,
      version: confirm.version,
      missingRecords: confirm.missingRecords,
    });
    // The virtual chip keeps what it wrote once the system confirmed it (the demo and the tests read it back).
    if (!pulled && confirm.result === 'updated' && cardsFile !== undefined)
      writeToVirtualChip(userPath(cardsFile), chip.serial, confirm.version as number, onChip);
    const verified = await checkReceipt(confirm.receipt);
    return verified && !refusedByCard && confirm.result === (pulled ? 'failed' : 'updated') ? 0 : 1;
  }
}

/**
 * What a kiosk's screen may say about a record it wrote, without personal data: for the dependants record, how many
 * children the card now carries and their birth ranks (never names or NIRs).
 */
function chipSummary(recordType: string, content: unknown): Record<string, unknown> {
  if (recordType !== 'dependants' || !Array.isArray(content)) return {};
  return {
    dependants: content.length,
    birthRanks: content.map((d: { identity?: { birthRank?: unknown } }) => d?.identity?.birthRank ?? null),
  };
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`kiosk: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
