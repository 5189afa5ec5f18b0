import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, type Stats, type WriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppConfig } from '../../config/app-config.js';
import { isIncompleteName } from './sftp-account.js';
import { SFTP_FILE_NAME } from './sftp-paths.js';

/** SFTP user names (vendor logins, concentrators): also the folder name under DATA_DIR/sftp. */
export const SFTP_LOGIN = /^[a-z][a-z0-9_-]{2,31}$/;
const FOLDER = /^[a-z][a-z0-9_-]{0,31}$/;
/** Work areas of the system beside the user's folders; their leading dot keeps them out of every SFTP path. */
const STAGING = '.staging';

export interface FileFacts {
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * Every file the system itself reads or writes in the SFTP tree `<DATA_DIR>/sftp/<login>/<folder>/<name>`:
 * publishing is atomic (written under the user's hidden `.staging`, then renamed into the folder, same file
 * system), so a partner never sees half a file. Logins, folders and names are checked here too, so no caller
 * can reach outside the tree.
 */
@Injectable()
export class SftpFolders {
  readonly base: string;

  constructor(config: AppConfig) {
    this.base = path.resolve(config.dataDir, 'sftp');
  }

  root(login: string): string {
    if (!SFTP_LOGIN.test(login)) throw new Error('invalid SFTP login');
    return path.join(this.base, login);
  }

  folder(login: string, folder: string): string {
    if (!FOLDER.test(folder)) throw new Error('invalid SFTP folder');
    return path.join(this.root(login), folder);
  }

  file(login: string, folder: string, name: string): string {
    if (!SFTP_FILE_NAME.test(name)) throw new Error('invalid SFTP file name');
    return path.join(this.folder(login, folder), name);
  }

  async ensure(login: string, folders: string[]): Promise<void> {
    for (const f of folders) await mkdir(this.folder(login, f), { recursive: true, mode: 0o750 });
    await mkdir(path.join(this.root(login), STAGING), { recursive: true, mode: 0o700 });
  }

  /**
   * The real directory of a user's folder, or null when it is missing, not a plain directory (a symbolic link
   * planted there) or resolves outside the SFTP tree.
   */
  async realFolder(login: string, folder: string): Promise<string | null> {
    const dir = this.folder(login, folder);
    try {
      const st = await lstat(dir);
      if (!st.isDirectory()) return null;
      const [real, base] = await Promise.all([realpath(dir), realpath(this.base)]);
      return real.startsWith(base + path.sep) ? real : null;
    } catch {
      return null;
    }
  }

  /** Writes a whole file into a folder atomically. */
  async publish(login: string, folder: string, name: string, data: Buffer | string): Promise<void> {
    const staged = await this.stagingPath(login, name);
    try {
      await writeFile(staged, data, { mode: 0o640 });
      await this.publishStaged(login, folder, name, staged);
    } finally {
      await rm(staged, { force: true });
    }
  }

  /** A fresh temporary path in the user's hidden staging area, for a file written in pieces. */
  async stagingPath(login: string, name: string): Promise<string> {
    const dir = path.join(this.root(login), STAGING);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return path.join(dir, `${name}.${randomBytes(6).toString('hex')}.tmp`);
  }

  openStagingStream(file: string): WriteStream {
    return createWriteStream(file, { mode: 0o640, flags: 'wx' });
  }

  /** Moves a staged file into a folder in one rename (replacing an older file of that name). */
  async publishStaged(login: string, folder: string, name: string, staged: string): Promise<void> {
    const target = this.file(login, folder, name);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o750 });
    await rename(staged, target);
  }

  /** Plain files of a folder with a valid name (incomplete uploads included; the caller filters). */
  async list(login: string, folder: string): Promise<Array<{ name: string } & FileFacts>> {
    const dir = await this.realFolder(login, folder);
    if (!dir) return [];
    const out: Array<{ name: string } & FileFacts> = [];
    for (const name of await readdir(dir)) {
      if (!SFTP_FILE_NAME.test(name)) continue;
      try {
        const st = await lstat(path.join(dir, name));
        if (st.isFile()) out.push({ name, ...facts(st) });
      } catch {
        /* gone meanwhile */
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Reads a plain file (never through a symbolic link), at most `maxBytes`; null when missing or too big. */
  async read(
    login: string,
    folder: string,
    name: string,
    maxBytes: number,
  ): Promise<{ data: Buffer; facts: FileFacts } | null> {
    return readNoFollow(this.file(login, folder, name), maxBytes);
  }

  /** Removes a file unless it changed since it was read (a newer upload under the same name stays). */
  async removeIfUnchanged(login: string, folder: string, name: string, seen: FileFacts): Promise<void> {
    const file = this.file(login, folder, name);
    try {
      const st = await lstat(file);
      if (st.isFile() && st.size === seen.size && st.mtimeMs === seen.mtimeMs && st.ino === seen.ino)
        await unlink(file);
    } catch {
      /* already gone */
    }
  }

  /**
   * Deletes the unfinished uploads (`*.part`, `*.tmp`) of a folder last written before `cutoffMs`: plain files
   * only, each checked again just before it goes (one written meanwhile stays). Returns how many went.
   */
  async removeIncompleteBefore(login: string, folder: string, cutoffMs: number): Promise<number> {
    let removed = 0;
    for (const f of await this.list(login, folder)) {
      if (!isIncompleteName(f.name) || f.mtimeMs >= cutoffMs) continue;
      const file = this.file(login, folder, f.name);
      try {
        const st = await lstat(file);
        if (!st.isFile() || st.mtimeMs >= cutoffMs) continue;
        await unlink(file);
        removed += 1;
      } catch {
        /* gone meanwhile */
      }
    }
    return removed;
  }

  /** Keeps a copy in a hidden area of the user (content-addressed received files); written once, atomically. */
  async keep(login: string, area: string, name: string, data: Buffer): Promise<void> {
    const file = this.keptPath(login, area, name);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      await lstat(file);
      return; // already kept: same name, same content
    } catch {
      /* not yet */
    }
    const staged = await this.stagingPath(login, name);
    await writeFile(staged, data, { mode: 0o600 });
    await rename(staged, file);
  }

  async readKept(login: string, area: string, name: string, maxBytes: number): Promise<Buffer | null> {
    return (await readNoFollow(this.keptPath(login, area, name), maxBytes))?.data ?? null;
  }

  private keptPath(login: string, area: string, name: string): string {
    if (!FOLDER.test(area) || !SFTP_FILE_NAME.test(name)) throw new Error('invalid kept file');
    return path.join(this.root(login), `.${area}`, name);
  }
}

function facts(st: Stats): FileFacts {
  return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

async function readNoFollow(file: string, maxBytes: number): Promise<{ data: Buffer; facts: FileFacts } | null> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > maxBytes) return null;
    return { data: await fh.readFile(), facts: facts(st) };
  } finally {
    await fh.close();
  }
}
