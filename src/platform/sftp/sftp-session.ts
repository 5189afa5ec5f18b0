import { constants, type Stats } from 'node:fs';
import { lstat, link, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import ssh2, { type Attributes, type FileEntry, type SFTPWrapper } from 'ssh2';
import { isIncompleteName, type SftpAccount } from './sftp-account.js';
import { SftpFolderAccess } from './sftp-folder-access.enum.js';
import { resolveSftpPath, SFTP_FILE_NAME, virtualPath, type SftpTarget } from './sftp-paths.js';
import type { SftpWriteQuota } from './sftp-write-quota.js';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

/** Largest file a partner may upload, and the most handles one session may hold open. */
export const SFTP_MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
const MAX_HANDLES = 64;
const MAX_READ = 256 * 1024;
/** Names per READDIR answer: one SFTP packet must stay well under the protocol's size limit. */
const NAMES_PER_READ = 100;

type Handle =
  // size: the file's length as far as this handle knows (written files: what the quota has reserved).
  | {
      kind: 'file';
      fh: FileHandle;
      folder: string;
      name: string;
      writing: boolean;
      append: boolean;
      size: number;
      inflight: Set<Promise<unknown>>;
    }
  | { kind: 'dir'; entries: FileEntry[]; next: number };

class SftpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
const denied = (m = 'Permission denied') => new SftpRefusal(STATUS_CODE.PERMISSION_DENIED, m);
const noSuchFile = () => new SftpRefusal(STATUS_CODE.NO_SUCH_FILE, 'No such file');
const failure = (m: string) => new SftpRefusal(STATUS_CODE.FAILURE, m);

export interface SftpSessionContext {
  account: SftpAccount;
  /** Real directory of each folder, checked at log-in (a plain directory inside the SFTP tree). */
  folderDirs: Record<string, string>;
  /** The account's byte quota on its write folders (shared by its sessions). */
  quota: SftpWriteQuota;
  /** A complete file arrived in a write folder. */
  onFileReceived: (folder: string, name: string) => Promise<void>;
  /** A file is opened for reading (a download): audited before the client gets its handle; a throw refuses it. */
  onDownload: (folder: string, name: string, bytes: number) => Promise<void>;
  onError: (op: string, err: unknown) => void;
  /** The client asked something: the connection is not idle. */
  onActivity: () => void;
}

/**
 * One SFTP channel of one user: every path goes through resolveSftpPath (the jail), every folder through its
 * access (read folders: list, stat, read; write folders: create, write, close, rename inside; nothing else),
 * every file is opened without following symbolic links. Refusals are PERMISSION_DENIED / NO_SUCH_FILE; a write
 * folder over its quota answers FAILURE saying so. When the client ends its side (`bye`, the end of a batch
 * file) the answers still due are sent, then the channel is closed: a client waits for that close to exit.
 */
export class SftpSession {
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  /** Requests being answered: the channel closes only after them. */
  private readonly pending = new Set<Promise<void>>();
  private ended = false;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly ctx: SftpSessionContext,
  ) {
    const on = (event: string, op: (reqId: number, ...args: never[]) => Promise<void>) =>
      sftp.on(event, (reqId: number, ...args: never[]) => {
        this.ctx.onActivity();
        const p = op.call(this, reqId, ...args).catch((err: unknown) => this.fail(event, reqId, err));
        this.pending.add(p);
        void p.finally(() => this.pending.delete(p));
      });
    on('REALPATH', this.realpath);
    on('STAT', this.stat);
    on('LSTAT', this.stat);
    on('OPEN', this.open);
    on('READ', this.read);
    on('WRITE', this.write);
    on('FSTAT', this.fstat);
    on('CLOSE', this.close);
    on('OPENDIR', this.opendir);
    on('READDIR', this.readdir);
    on('RENAME', this.rename);
    for (const op of ['REMOVE', 'RMDIR', 'MKDIR', 'SETSTAT', 'FSETSTAT', 'SYMLINK', 'READLINK']) {
      sftp.on(op, (reqId: number) => {
        this.ctx.onActivity();
        this.fail(op, reqId, denied());
      });
    }
    sftp.on('EXTENDED', (reqId: number) => {
      this.ctx.onActivity();
      this.fail('EXTENDED', reqId, new SftpRefusal(STATUS_CODE.OP_UNSUPPORTED, 'Unsupported'));
    });
    sftp.on('close', () => {
      this.ended = true;
      void this.releaseAll();
    });
    sftp.on('end', () => void this.finish());
  }

  /** The client sent EOF: answer what is still due, release the handles, then close the channel. */
  private async finish(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.releaseAll();
    try {
      this.sftp.end();
    } catch {
      /* already closed */
    }
  }

  /** Answers a failed request; never throws (the channel may be gone: nothing left to answer). */
  private fail(op: string, reqId: number, err: unknown): void {
    try {
      if (err instanceof SftpRefusal) return this.sftp.status(reqId, err.status, err.message);
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR')
        return this.sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
      this.ctx.onError(op, err);
      this.sftp.status(reqId, STATUS_CODE.FAILURE, 'Failure');
    } catch {
      /* channel closed */
    }
  }

  private target(raw: string): SftpTarget {
    const t = resolveSftpPath(this.ctx.account, raw);
    if (!t || (t.kind !== 'root' && !this.ctx.folderDirs[t.folder])) throw noSuchFile();
    return t;
  }

  private access(folder: string): SftpFolderAccess {
    return this.ctx.account.folders[folder];
  }

  private realFile(t: { folder: string; name: string }): string {
    return path.join(this.ctx.folderDirs[t.folder], t.name);
  }

  private async realpath(reqId: number, raw: string): Promise<void> {
    const shown = virtualPath(this.target(raw));
    this.sftp.name(reqId, [{ filename: shown, longname: shown, attrs: {} as Attributes }]);
  }

  private async stat(reqId: number, raw: string): Promise<void> {
    const t = this.target(raw);
    if (t.kind !== 'file')
      return this.sftp.attrs(
        reqId,
        dirAttrs(t.kind === 'root' ? 0o755 : this.access(t.folder) === SftpFolderAccess.Read ? 0o555 : 0o333),
      );
    const st = await lstat(this.realFile(t));
    if (!st.isFile()) throw noSuchFile();
    this.sftp.attrs(reqId, fileAttrs(st));
  }

  private async open(reqId: number, raw: string, flags: number): Promise<void> {
    const t = this.target(raw);
    if (t.kind !== 'file') throw failure('Not a file');
    if (this.handles.size >= MAX_HANDLES) throw failure('Too many open files');
    const wantsRead = (flags & OPEN_MODE.READ) !== 0;
    const wantsWrite = (flags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC)) !== 0;
    const access = this.access(t.folder);
    let fh: FileHandle;
    if (wantsRead && !wantsWrite) {
      if (access !== SftpFolderAccess.Read) throw denied();
      fh = await open(this.realFile(t), constants.O_RDONLY | constants.O_NOFOLLOW);
      const st = await fh.stat();
      if (!st.isFile()) {
        await fh.close();
        throw noSuchFile();
      }
      // No handle, so no byte, before the download is in the audit trail.
      await this.ctx.onDownload(t.folder, t.name, st.size).catch(async (e: unknown) => {
        await fh.close();
        throw e;
      });
    } else if (wantsWrite && !wantsRead) {
      if (access !== SftpFolderAccess.Write) throw denied();
      const existing = await lstat(this.realFile(t)).catch(() => null);
      if (
        !(await this.ctx.quota.mayOpen(
          t.folder,
          this.ctx.folderDirs[t.folder],
          existing?.isFile() ? existing.size : null,
          (flags & OPEN_MODE.TRUNC) !== 0,
        ))
      ) {
        throw this.quotaExceeded(t.folder);
      }
      let mode = constants.O_WRONLY | constants.O_NOFOLLOW;
      if (flags & OPEN_MODE.CREAT) mode |= constants.O_CREAT;
      if (flags & OPEN_MODE.TRUNC) mode |= constants.O_TRUNC;
      if (flags & OPEN_MODE.EXCL) mode |= constants.O_EXCL;
      if (flags & OPEN_MODE.APPEND) mode |= constants.O_APPEND;
      fh = await open(this.realFile(t), mode, 0o640);
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        throw noSuchFile();
      }
      // Measured again with this file in it (created, or truncated): the reservations start from the disk.
      await this.ctx.quota.measure(t.folder, this.ctx.folderDirs[t.folder]);
    } else {
      throw denied();
    }
    const size = (await fh.stat()).size;
    this.sftp.handle(
      reqId,
      this.newHandle({
        kind: 'file',
        fh,
        folder: t.folder,
        name: t.name,
        writing: !wantsRead,
        append: (flags & OPEN_MODE.APPEND) !== 0,
        size,
        inflight: new Set(),
      }),
    );
  }

  private async read(reqId: number, raw: Buffer, offset: number, length: number): Promise<void> {
    const h = this.fileHandle(raw);
    if (h.writing) throw denied();
    const buf = Buffer.alloc(Math.min(length, MAX_READ));
    const { bytesRead } = await this.track(h, h.fh.read(buf, 0, buf.length, offset));
    if (bytesRead === 0) return this.sftp.status(reqId, STATUS_CODE.EOF);
    this.sftp.data(reqId, buf.subarray(0, bytesRead));
  }

  private async write(reqId: number, raw: Buffer, offset: number, data: Buffer): Promise<void> {
    const h = this.fileHandle(raw);
    if (!h.writing) throw denied();
    // O_APPEND writes at the end whatever the offset says.
    const end = (h.append ? h.size : offset) + data.length;
    if (end > SFTP_MAX_UPLOAD_BYTES) throw failure(`Files are limited to ${SFTP_MAX_UPLOAD_BYTES} bytes`);
    if (end > h.size) {
      // Reserved before the write, synchronously: parallel writes of this account cannot overshoot together.
      if (!this.ctx.quota.grow(h.folder, h.size, end)) throw this.quotaExceeded(h.folder);
      h.size = end;
    }
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.track(h, h.fh.write(data, done, data.length - done, offset + done));
      done += bytesWritten;
    }
    this.sftp.status(reqId, STATUS_CODE.OK);
  }

  private async fstat(reqId: number, raw: Buffer): Promise<void> {
    const h = this.fileHandle(raw);
    this.sftp.attrs(reqId, fileAttrs(await h.fh.stat()));
  }

  private async close(reqId: number, raw: Buffer): Promise<void> {
    const id = handleId(raw);
    const h = this.handles.get(id);
    if (!h) throw failure('Invalid handle');
    this.handles.delete(id);
    if (h.kind === 'dir') return this.sftp.status(reqId, STATUS_CODE.OK);
    await Promise.allSettled([...h.inflight]);
    await h.fh.close();
    // Registered before the answer, so a client that saw its close succeed knows the file was taken in.
    if (h.writing && !isIncompleteName(h.name)) await this.notify(h.folder, h.name);
    this.sftp.status(reqId, STATUS_CODE.OK);
  }

  private async opendir(reqId: number, raw: string): Promise<void> {
    const t = this.target(raw);
    if (t.kind === 'file') throw failure('Not a directory');
    let entries: FileEntry[];
    if (t.kind === 'root') {
      entries = Object.keys(this.ctx.account.folders)
        .filter((f) => this.ctx.folderDirs[f])
        .map((f) => {
          const attrs = dirAttrs(this.access(f) === SftpFolderAccess.Read ? 0o555 : 0o333);
          return { filename: f, longname: longname(f, attrs), attrs };
        });
    } else {
      if (this.access(t.folder) !== SftpFolderAccess.Read) throw denied();
      entries = [];
      const dir = this.ctx.folderDirs[t.folder];
      for (const name of (await readdir(dir)).sort()) {
        if (!SFTP_FILE_NAME.test(name)) continue;
        const st = await lstat(path.join(dir, name)).catch(() => null);
        if (!st?.isFile()) continue;
        const attrs = fileAttrs(st);
        entries.push({ filename: name, longname: longname(name, attrs), attrs });
      }
    }
    if (this.handles.size >= MAX_HANDLES) throw failure('Too many open handles');
    this.sftp.handle(reqId, this.newHandle({ kind: 'dir', entries, next: 0 }));
  }

  private async readdir(reqId: number, raw: Buffer): Promise<void> {
    const h = this.handles.get(handleId(raw));
    if (!h || h.kind !== 'dir') throw failure('Invalid handle');
    if (h.next >= h.entries.length) return this.sftp.status(reqId, STATUS_CODE.EOF);
    const page = h.entries.slice(h.next, h.next + NAMES_PER_READ);
    h.next += page.length;
    this.sftp.name(reqId, page);
  }

  private async rename(reqId: number, rawFrom: string, rawTo: string): Promise<void> {
    const from = this.target(rawFrom);
    const to = this.target(rawTo);
    if (
      from.kind !== 'file' ||
      to.kind !== 'file' ||
      from.folder !== to.folder ||
      this.access(from.folder) !== SftpFolderAccess.Write
    )
      throw denied();
    const source = this.realFile(from);
    if (!(await lstat(source)).isFile()) throw noSuchFile();
    // SFTP v3: renaming onto an existing name fails. link() refuses atomically; then the old name goes.
    try {
      await link(source, this.realFile(to));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw failure('Target exists');
      throw e;
    }
    await unlink(source);
    if (!isIncompleteName(to.name)) await this.notify(to.folder, to.name);
    this.sftp.status(reqId, STATUS_CODE.OK);
  }

  private quotaExceeded(folder: string): SftpRefusal {
    return failure(
      `Quota exceeded: /${folder} holds at most ${this.ctx.quota.limitBytes} bytes at once, unfinished uploads included ` +
        '(each file counts at least 4096 bytes). Files leave it once taken in; unfinished .part/.tmp files are deleted after a while, or replaced by uploading again under the same name.',
    );
  }

  private async notify(folder: string, name: string): Promise<void> {
    try {
      await this.ctx.onFileReceived(folder, name);
    } catch (e) {
      // The file is safely on disk; the inbox scan takes it in later.
      this.ctx.onError('file-received', e);
    }
  }

  private newHandle(h: Handle): Buffer {
    const id = this.nextHandle++;
    this.handles.set(id, h);
    const buf = Buffer.alloc(4);
    buf.writeUInt32BE(id);
    return buf;
  }

  private fileHandle(raw: Buffer): Extract<Handle, { kind: 'file' }> {
    const h = this.handles.get(handleId(raw));
    if (!h || h.kind !== 'file') throw failure('Invalid handle');
    return h;
  }

  private track<T>(h: Extract<Handle, { kind: 'file' }>, p: Promise<T>): Promise<T> {
    h.inflight.add(p);
    return p.finally(() => h.inflight.delete(p));
  }

  private async releaseAll(): Promise<void> {
    const open = [...this.handles.values()];
    this.handles.clear();
    for (const h of open) if (h.kind === 'file') await h.fh.close().catch(() => undefined);
  }
}

function handleId(raw: Buffer): number {
  return Buffer.isBuffer(raw) && raw.length === 4 ? raw.readUInt32BE(0) : -1;
}

function fileAttrs(st: Stats): Attributes {
  return {
    mode: constants.S_IFREG | 0o440,
    uid: 0,
    gid: 0,
    size: st.size,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

function dirAttrs(perm: number): Attributes {
  const now = Math.floor(Date.now() / 1000);
  return { mode: constants.S_IFDIR | perm, uid: 0, gid: 0, size: 0, atime: now, mtime: now };
}

function longname(name: string, attrs: Attributes): string {
  const dir = (attrs.mode & constants.S_IFMT) === constants.S_IFDIR;
  const date = new Date(attrs.mtime * 1000).toISOString().slice(0, 16).replace('T', ' ');
  return `${dir ? 'd' : '-'}r--r-----    1 0        0        ${String(attrs.size).padStart(10)} ${date} ${name}`;
}
