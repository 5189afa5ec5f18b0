import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  type CardBaseCounts,
  type CardBaseHolder,
  type CardBaseRegisterFacts,
  cardBaseLines,
  emptyCounts,
} from './card-base.js';
import { activeOrganismes, recordCardBaseFacts, registerHolders, seedConnection } from './synthetic.repository.js';

/** Lines of COPY text output, split as they stream. */
async function* holdersOf(copy: AsyncIterable<Buffer>): AsyncGenerator<CardBaseHolder> {
  let rest = '';
  for await (const b of copy) {
    const lines = (rest + b.toString('latin1')).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      const [id, nir, organismeCode] = l.split('\t');
      yield { id, nir, organismeCode };
    }
  }
}

/** Lines batched into larger writes (a write per line would cost more than the generation). */
async function* batched(lines: AsyncIterable<string>, size = 2000): AsyncGenerator<string> {
  let buf: string[] = [];
  for await (const l of lines) {
    buf.push(l);
    if (buf.length === size) {
      yield buf.join('');
      buf = [];
    }
  }
  if (buf.length) yield buf.join('');
}

/**
 * Writes the card base of the register at `url` to `path` (gzip when it ends in .gz), then records what the register
 * must know for it (dates of death, replaced temporary NIRs; docs in card-base.ts). Up to `totalCards`, cards of
 * holders unknown to the register are appended (a large file over a smaller register).
 */
export async function writeCardBaseFile(
  url: string,
  path: string,
  options: { seed: number; totalCards?: number; firstSerial?: number },
): Promise<CardBaseCounts> {
  const client = await seedConnection(url);
  const reader = await seedConnection(url);
  try {
    const organismes = await activeOrganismes(client);
    const facts: CardBaseRegisterFacts = { deceased: [], nirHistory: [] };
    const counts = emptyCounts();
    const lines = cardBaseLines(holdersOf(registerHolders(reader)), { ...options, organismes, facts, counts });
    const source = Readable.from(batched(lines));
    if (path.endsWith('.gz')) await pipeline(source, createGzip({ level: 1 }), createWriteStream(path));
    else await pipeline(source, createWriteStream(path));
    await recordCardBaseFacts(client, facts.deceased, facts.nirHistory);
    return counts;
  } finally {
    await reader.end();
    await client.end();
  }
}
