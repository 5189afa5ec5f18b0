import { readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { TestApp } from './test-app.js';

/** One request of a hostile sweep: its label in failure messages, the path, and the body as sent. */
export interface HostileCase {
  label: string;
  path: string;
  contentType?: string;
  body?: string | Buffer;
}

/** What came back, whole. */
export interface RawAnswer {
  status: number;
  contentType: string;
  location: string;
  text: string;
}

/**
 * Sends one case over a plain socket (node:http, not supertest: the bytes as written, a declared length, no client
 * that fixes a body up), with the given headers. The server may answer (403, 413, 415) and close before the whole
 * body is sent: that is an answer, not an error.
 */
export function sendRaw(
  port: number,
  method: string,
  c: HostileCase,
  headers: Record<string, string | number> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string | number> = { ...headers };
    if (c.contentType) all['content-type'] = c.contentType;
    const body = c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body);
    if (body) all['content-length'] = body.length;
    const req = http.request({ host: '127.0.0.1', port, method, path: c.path, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          location: String(res.headers.location ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e),
    );
    req.end(body);
  });
}

/**
 * The state a refused request must leave as it was: each table's row count and checksum, the job queue and the data
 * folder's files. A key's or a session's last use (refreshed by any authenticated call) is not a change the request
 * made, so those columns are left out.
 */
export async function stateDigest(t: TestApp): Promise<string> {
  const tables: { name: string }[] = await t.dataSource.query(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n, coalesce(md5(string_agg(h, '' ORDER BY h)), '') AS h
         FROM (SELECT md5((to_jsonb(x) - 'last_used_at' - 'last_seen_at')::text) AS h FROM "${name}" x) s`,
    );
    parts.push(`${name}:${row.n}:${row.h}`);
  }
  const [jobs] = await t.dataSource.query(
    `SELECT count(*)::int AS n, coalesce(md5(string_agg(id::text || name, ',' ORDER BY id)), '') AS h FROM pgboss.job`,
  );
  parts.push(`pgboss.job:${jobs.n}:${jobs.h}`);
  parts.push(`files:${listFiles(t.config.dataDir).join(',')}`);
  return parts.join('\n');
}

function listFiles(dir: string, base = dir): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.sort().flatMap((name) => {
    const full = path.join(dir, name);
    const st = statSync(full);
    return st.isDirectory() ? listFiles(full, base) : [`${path.relative(base, full)}=${st.size}`];
  });
}
