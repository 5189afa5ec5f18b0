import { Injectable } from '@nestjs/common';
import { readFile as readFileCallback, readFileSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';

const KEY = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_.-]*)*$/;

/**
 * The one place photo bytes are written and read: files under DATA_DIR/photos by default. Keys are relative
 * paths the code chooses (never user input); writes are atomic (temporary file, then rename).
 */
@Injectable()
export class PhotoStore {
  private readonly root: string;

  constructor(config: AppConfig) {
    this.root = path.resolve(config.dataDir, 'photos');
  }

  async put(key: string, data: Buffer): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, file);
  }

  /**
   * The callback form of readFile: half the cost of the promise form for a small file (one stat and one read; a
   * personalisation file reads 5,000 photos).
   */
  get(key: string): Promise<Buffer> {
    const file = this.file(key);
    return new Promise((resolve, reject) => readFileCallback(file, (err, data) => (err ? reject(err) : resolve(data))));
  }

  /**
   * The same read, synchronous: for a background job that reads thousands of photos in a row (a personalisation
   * file reads 5,000). A chip image is a small local file: reading it in place costs a fraction of the CPU of the
   * callback form (four thread-pool round trips per file), and blocks the event loop for tens of microseconds.
   */
  getSync(key: string): Buffer {
    return readFileSync(this.file(key));
  }

  /** Whether a non-empty file is stored under the key, without reading it. */
  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.file(key))).size > 0;
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  private file(key: string): string {
    if (!KEY.test(key)) throw new Error('invalid photo store key');
    return path.join(this.root, key);
  }
}
