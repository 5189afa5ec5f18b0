import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OppositionErrors } from './opposition.errors.js';
import { PlatformErrors } from '../platform/errors/platform.errors.js';

export interface ServedFile {
  path: string;
  name: string;
  bytes: number;
  sha256: string;
  contentType: string;
  headers?: Record<string, string>;
}

/** A single byte range of a file of `size` bytes: the range, 'none' (serve the whole file) or 'unsatisfiable'. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'none' | 'unsatisfiable' {
  if (!header) return 'none';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return 'none'; // several ranges or another unit: the whole file (RFC 9110 allows ignoring Range)
  const [, a, b] = m;
  if (a === '' && b === '') return 'none';
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || (b !== '' && Number(b) < start)) return 'unsatisfiable';
  return { start, end };
}

const etagMatches = (header: string | undefined, etag: string) =>
  !!header &&
  header
    .split(',')
    .map((s) => s.trim().replace(/^W\//, ''))
    .some((t) => t === etag || t === '*');

/**
 * Sends a stored file with a strong ETag (its SHA-256): If-None-Match -> 304, one Range -> 206 (If-Range
 * honoured), an unsatisfiable range -> 416.
 */
export async function sendFile(req: FastifyRequest, reply: FastifyReply, f: ServedFile): Promise<FastifyReply> {
  try {
    await access(f.path);
  } catch {
    throw OppositionErrors.OPPOSITION_LIST_FILE_MISSING();
  }
  const etag = `"${f.sha256}"`;
  reply
    .header('ETag', etag)
    .header('Accept-Ranges', 'bytes')
    .header('Cache-Control', 'private, max-age=0, must-revalidate');
  for (const [k, v] of Object.entries(f.headers ?? {})) reply.header(k, v);
  if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
  const ifRange = req.headers['if-range'];
  const range = ifRange && ifRange !== etag ? 'none' : parseRange(req.headers.range, f.bytes);
  reply.header('Content-Disposition', `attachment; filename="${f.name}"`);
  if (range === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${f.bytes}`);
    throw PlatformErrors.RANGE_NOT_SATISFIABLE(f.bytes);
  }
  reply.type(f.contentType);
  if (range === 'none') {
    return reply.code(200).header('Content-Length', String(f.bytes)).send(createReadStream(f.path));
  }
  return reply
    .code(206)
    .header('Content-Range', `bytes ${range.start}-${range.end}/${f.bytes}`)
    .header('Content-Length', String(range.end - range.start + 1))
    .send(createReadStream(f.path, { start: range.start, end: range.end }));
}
