import { Logger } from '@nestjs/common';
import os from 'node:os';
import type pg from 'pg';
import { leaseConnection, touch } from '../database/job-connections.js';
import { type JobLeasesRepository } from './job-leases.repository.js';

const RECONNECT_MS = 1000;

/**
 * This instance's lease: a row in job_instance and a session advisory lock on a connection of its own, held for the
 * instance's whole life. The server frees the lock the moment the process dies (kill -9, crash, power cut) or the
 * connection drops, which is how other instances know, without any timeout, that the jobs it claimed run nowhere.
 *
 * While the connection is down the instance fetches nothing; it reconnects every second and takes its lock back.
 * If it was judged dead meanwhile (its jobs already re-queued elsewhere) it registers again under a new id, and
 * `onEvicted` is told how many of its jobs were still running here.
 */
export class JobLease {
  private readonly logger = new Logger('jobs');
  private client: pg.Client | null = null;
  private instanceId: number | null = null;
  private closed = false;
  private reconnecting: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly repo: JobLeasesRepository,
    private readonly onEvicted: (lostId: number) => void,
  ) {}

  /** The instance id while the lock is held, else null (then nothing may be fetched). */
  get heldId(): number | null {
    return this.client ? this.instanceId : null;
  }

  /** Registers the instance and takes its lock; throws when the database cannot be reached (start-up fails). */
  async acquire(): Promise<number> {
    const client = await this.connect();
    try {
      this.instanceId = await this.repo.register(client, os.hostname(), process.pid);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    this.adopt(client);
    return this.instanceId;
  }

  /** Keeps the connection busy now and then, so an idle-connection reaper never takes the lock away unnoticed. */
  async heartbeat(): Promise<void> {
    if (this.heldId === null) return;
    await touch(this.client!).catch(() => undefined);
  }

  /**
   * Ends the lease. `forget` when nothing runs here any more: the instance row goes, then the connection and its
   * lock. Otherwise jobs still run here, abandoned by a stop that timed out: the connection (and the lock) is left
   * to go with the process, so no other instance re-queues those jobs while they may still be running.
   */
  async release(forget: boolean): Promise<void> {
    this.closed = true;
    if (this.reconnecting) clearTimeout(this.reconnecting);
    this.reconnecting = null;
    const client = this.client;
    if (!client || !forget) return;
    this.client = null;
    if (this.instanceId !== null) await this.repo.forget(client, this.instanceId).catch(() => undefined);
    await client.end().catch(() => undefined);
  }

  private connect(): Promise<pg.Client> {
    return leaseConnection(this.url);
  }

  private adopt(client: pg.Client): void {
    this.client = client;
    client.once('end', () => {
      if (this.closed || this.client !== client) return;
      this.client = null;
      this.logger.warn({
        msg: 'job lease connection lost: fetching paused until the lock is taken back',
        instance: this.instanceId,
      });
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.reconnecting = setTimeout(() => void this.reconnect(), RECONNECT_MS);
  }

  private async reconnect(): Promise<void> {
    let client: pg.Client | null = null;
    try {
      client = await this.connect();
      const outcome = await this.repo.reacquire(client, this.instanceId!);
      if (outcome === 'busy') throw new Error('lock busy');
      if (outcome === 'evicted') {
        const lost = this.instanceId!;
        this.instanceId = await this.repo.register(client, os.hostname(), process.pid);
        this.logger.warn({
          msg: 'job lease lost while disconnected: registered again',
          previous: lost,
          instance: this.instanceId,
        });
        this.onEvicted(lost);
      } else {
        this.logger.log({ msg: 'job lease taken back', instance: this.instanceId });
      }
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.reconnecting = null;
      this.adopt(client);
    } catch {
      await client?.end().catch(() => undefined);
      this.scheduleReconnect();
    }
  }
}
