import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Each file counts at least this much: empty files are not free (an inode, a directory entry, a scan). */
export const QUOTA_MIN_FILE_BYTES = 4096;

const cost = (bytes: number) => Math.max(bytes, QUOTA_MIN_FILE_BYTES);

/**
 * The byte quota of one account's write folders (a vendor's /inbox), shared by all its sessions on this
 * instance. The folder is measured on disk each time a file is opened for writing (so files written through
 * other instances count too); between two measures every write that makes a file longer reserves its growth
 * first, synchronously, so pipelined writes of parallel sessions cannot overshoot together.
 */
export class SftpWriteQuota {
  private readonly used = new Map<string, number>();

  constructor(readonly limitBytes: number) {}

  /** Measures a folder: the plain files in it (uploads in progress included), each at least QUOTA_MIN_FILE_BYTES. */
  async measure(folder: string, dir: string): Promise<number> {
    let total = 0;
    for (const name of await readdir(dir)) {
      const st = await lstat(path.join(dir, name)).catch(() => null);
      if (st?.isFile()) total += cost(st.size);
    }
    this.used.set(folder, total);
    return total;
  }

  /**
   * Whether a file may be opened for writing: what the folder holds, minus what a truncation frees, plus the
   * least a file counts, stays within the limit. `existingBytes` is the file's size when it exists.
   */
  async mayOpen(folder: string, dir: string, existingBytes: number | null, truncates: boolean): Promise<boolean> {
    const used = await this.measure(folder, dir);
    const after =
      existingBytes === null
        ? used + QUOTA_MIN_FILE_BYTES
        : truncates
          ? used - cost(existingBytes) + QUOTA_MIN_FILE_BYTES
          : used;
    return after <= this.limitBytes;
  }

  /** Reserves the growth of a file from `fromBytes` to `toBytes`; false (nothing reserved) when it would go over. */
  grow(folder: string, fromBytes: number, toBytes: number): boolean {
    const more = cost(toBytes) - cost(fromBytes);
    if (more <= 0) return true;
    const used = this.used.get(folder) ?? 0;
    if (used + more > this.limitBytes) return false;
    this.used.set(folder, used + more);
    return true;
  }
}
