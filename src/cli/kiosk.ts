import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type SignedReceipt, verifyReceipt } from '../update/receipts.js';
import { parseArgs } from 'node:util';

/**
 * `KIOSK_API_KEY=vk_… npm run kiosk -- --url http://localhost:3000 --serial 100000000042 [--read-version N]
 * [--write-in-progress] [--pull-after K] [--ms-per-record 400]`: a pharmacy kiosk speaking kiosk/1 for real
 * (docs/formats/kiosk-protocol.md). It checks the card, "writes" each record (a delay per record, as the chip
 * would take), confirms — or, with --pull-after K, has the card pulled after K records and reports an abort —
 * then verifies the signed receipt against GET /v1/signing-keys. Prints one JSON line per step; exit 0 when the
 * exchange ended as the kiosk expected (updated, nothing_to_do, blocked, or failed after a pull), 1 otherwise.
 * The API key comes from KIOSK_API_KEY or --key-file, never the command line: npm prints the command line, and
 * any user of the machine can read it (ps).
 */
const USAGE = `KIOSK_API_KEY=<kiosk api key> npm run kiosk -- --serial <12 digits> [--url <base url>] [--read-version N] [--write-in-progress] [--pull-after K] [--ms-per-record MS]
  or: npm run kiosk -- --key-file <file holding the key> --serial <12 digits> [...]`;

/** The kiosk's API key: the file named by --key-file (first line), else KIOSK_API_KEY. */
function apiKey(keyFile: string | undefined): { key: string } | { error: string } {
  if (keyFile !== undefined) {
    let text: string;
    try {
      // npm runs scripts in the project folder; a relative path means the folder the user typed the command in.
      text = readFileSync(path.resolve(process.env.INIT_CWD ?? process.cwd(), keyFile), 'utf8');
    } catch (e) {
      return { error: `--key-file ${keyFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
    const key = text.split(/\r?\n/)[0].trim();
    return key ? { key } : { error: `--key-file ${keyFile} is empty` };
  }
  const key = process.env.KIOSK_API_KEY?.trim();
  return key ? { key } : { error: 'no API key: set KIOSK_API_KEY, or pass --key-file <file>' };
}

async function main(): Promise<number> {
  if (process.argv.slice(2).some((a) => a === '--key' || a.startsWith('--key='))) {
    process.stderr.write(`--key is not accepted: npm echoes the command line and other users can read it; set KIOSK_API_KEY or pass --key-file\n${USAGE}\n`);
    return 2;
  }
  let opts;
  try {
    opts = parseArgs({
      options: {
        url: { type: 'string', default: 'http://localhost:3000' }, 'key-file': { type: 'string' }, serial: { type: 'string' },
        'read-version': { type: 'string', default: '0' }, 'write-in-progress': { type: 'boolean', default: false },
        'pull-after': { type: 'string' }, 'ms-per-record': { type: 'string', default: '400' }, help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) { process.stdout.write(USAGE + '\n'); return 0; }
  if (!opts.serial || !/^\d{12}$/.test(opts.serial)) { process.stderr.write(`a 12-digit --serial is required\n${USAGE}\n`); return 2; }
  const credential = apiKey(opts['key-file']);
  if ('error' in credential) { process.stderr.write(`${credential.error}\n${USAGE}\n`); return 2; }
  const base = opts.url!.replace(/\/$/, '');
  const headers = { authorization: `Bearer ${credential.key}`, 'content-type': 'application/json' };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const post = async (path: string, body: unknown): Promise<any> => {
    const res = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
    if (!res.ok) throw new Error(`${path} answered ${res.status} ${json.code ?? ''}: ${json.detail ?? ''}`);
    return json;
  };
  const out = (step: string, data: Record<string, unknown>) => process.stdout.write(JSON.stringify({ step, ...data }) + '\n');
  const checkReceipt = async (receipt: SignedReceipt) => {
    const res = await fetch(`${base}/v1/signing-keys`, { headers });
    const keys = ((await res.json()) as { items: Array<{ keyId: string; publicKey: string }> }).items;
    const key = keys.find((k) => k.keyId === receipt.keyId);
    const content = key ? verifyReceipt(receipt, createPublicKey(key.publicKey)) : null;
    out('receipt', { verified: !!content, keyId: receipt.keyId, treeSize: receipt.tree?.size, ...JSON.parse(Buffer.from(receipt.payload, 'base64').toString('utf8')) });
    return !!content;
  };

  const check = await post('/v1/kiosk/check', { serial: opts.serial, readVersion: Number(opts['read-version']), writeInProgress: opts['write-in-progress'] });
  out('check', { action: check.action, fromVersion: check.fromVersion, targetVersion: check.targetVersion, records: check.records?.map((r: { recordType: string; version: number }) => `${r.recordType}@${r.version}`) });
  if (check.action !== 'update') return (await checkReceipt(check.receipt)) ? 0 : 1;

  const pullAfter = opts['pull-after'] !== undefined ? Number(opts['pull-after']) : Infinity;
  const written: string[] = [];
  for (const r of check.records as Array<{ recordType: string; version: number }>) {
    if (written.length >= pullAfter) break;
    await new Promise((res) => setTimeout(res, Number(opts['ms-per-record'])));
    written.push(`${r.recordType}@${r.version}`);
    out('write', { record: `${r.recordType}@${r.version}` });
  }
  const pulled = written.length < check.records.length;
  const confirm = pulled
    ? await post('/v1/kiosk/confirm', { exchangeId: check.exchangeId, serial: opts.serial, aborted: true, commandMayHaveReachedCard: written.length > 0 })
    : await post('/v1/kiosk/confirm', { exchangeId: check.exchangeId, serial: opts.serial, writtenRecords: written });
  out(pulled ? 'card pulled: abort' : 'confirm', { result: confirm.result, version: confirm.version, missingRecords: confirm.missingRecords });
  const verified = await checkReceipt(confirm.receipt);
  return verified && confirm.result === (pulled ? 'failed' : 'updated') ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { process.stderr.write(`kiosk: ${(e as Error).message}\n`); process.exit(1); });
