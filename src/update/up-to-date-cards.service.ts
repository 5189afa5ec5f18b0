import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../platform/metrics/metrics.service.js';
import { type CardChangeListener, UpToDateCardsRepository } from './up-to-date-cards.repository.js';

/** How often the listening connection is pinged; the index is trusted only this long after a ping was answered. */
export const UP_TO_DATE_PING_MS = 250;
/**
 * The staleness bound: a change committed to the database is applied here within this time, or the index is no
 * longer used (every check reads the database) until it is reloaded.
 */
export const UP_TO_DATE_STALE_MS = 1_000;
/** Cards found up to date after the load that are remembered beside the loaded arrays, at most. */
const EXTRA_CAP = 65_536;
const PAGE = 50_000;
const RETRY_MS = 1_000;

/**
 * The cards a kiosk/2 check may answer `nothing_to_do` for without a database round trip: every card usable (shipped
 * or active), with keys, and whose target version is not above its confirmed version, with that confirmed version.
 * Loaded at start (sorted typed arrays, 12 bytes a card, outside the JavaScript heap the garbage collector walks) and
 * kept fresh by the database's notifications (migration KioskUpToDateNotify): whoever writes, on whatever
 * instance, every change that can make such a card no longer up to date removes it from every instance's index.
 *
 * Staleness is bounded: the index answers only while its listening connection answered a ping sent less than
 * UP_TO_DATE_STALE_MS ago (a notification committed before a ping is delivered before its answer). A lost
 * connection stops its use at once; it is reopened and everything reloaded (changes made meanwhile were not heard).
 * A card missing from the index (pending, blocked, without keys, new, changed since) is answered from the database,
 * which puts it back once found up to date, unless a change was heard meanwhile (it may be that card's).
 */
@Injectable()
export class UpToDateCards implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('update');
  private readonly enabled: boolean;
  private serials = new Float64Array(0);
  private versions = new Int32Array(0);
  private readonly extra = new Map<number, number>();
  /** Changes heard since start: a read started before one must not put a card back. */
  private changes = 0;
  private ready = false;
  private trustedUntil = 0;
  private listener: CardChangeListener | undefined;
  private heardWhileLoading: string[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Bumped when the listening connection is lost: what an older connection or load reports is ignored. */
  private generation = 0;
  private pingSentAt = 0;
  private warned = false;
  private closed = false;
  private starting: Promise<void> | undefined;
  private readonly fromMemory: Counter;
  private readonly reloads: Counter;

  constructor(
    private readonly repo: UpToDateCardsRepository,
    config: AppConfig,
    metrics: MetricsService,
  ) {
    this.enabled = config.kioskUpToDateInMemory;
    this.fromMemory = new Counter({
      name: 'kiosk_checks_from_memory_total',
      help: 'kiosk/2 checks answered nothing_to_do from the in-memory index of up-to-date cards (this instance)',
      registers: [metrics.registry],
    });
    this.reloads = new Counter({
      name: 'kiosk_up_to_date_loads_total',
      help: 'Loads of the in-memory index of up-to-date cards (start, and after each lost listening connection)',
      registers: [metrics.registry],
    });
  }

  onApplicationBootstrap(): void {
    if (this.enabled) this.starting = this.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.generation++;
    clearInterval(this.timer);
    clearTimeout(this.timer);
    await this.starting;
    this.ready = false;
    await this.listener?.close();
  }

  /** Resolves once the index is in use (or at once when it is switched off): for benchmarks and tests. */
  async whenReady(timeoutMs = 60_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.enabled && !this.usable(Date.now())) {
      if (Date.now() > until || this.closed) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.enabled;
  }

  /** The confirmed version of an up-to-date card, or undefined: ask the database. */
  version(serial: string): number | undefined {
    if (!this.usable(Date.now())) return undefined;
    const key = Number(serial);
    const i = this.indexOf(key);
    const v = i >= 0 ? this.versions[i] : (this.extra.get(key) ?? -1);
    return v >= 0 ? v : undefined;
  }

  /** Taken before reading a card from the database, given back to `remember`. */
  mark(): number {
    return this.changes;
  }

  /** The database found this card up to date (read after `mark`): remembered, unless a change was heard since. */
  remember(serial: string, version: number, mark: number): void {
    if (!this.ready || mark !== this.changes) return;
    const key = Number(serial);
    const i = this.indexOf(key);
    if (i >= 0) this.versions[i] = version;
    else if (this.extra.size < EXTRA_CAP || this.extra.has(key)) this.extra.set(key, version);
  }

  /** A hit this instance answered from memory (a metric). */
  answered(): void {
    this.fromMemory.inc();
  }

  private usable(now: number): boolean {
    return this.ready && now < this.trustedUntil;
  }

  private changed(serial: string): void {
    this.changes++;
    if (this.heardWhileLoading) {
      this.heardWhileLoading.push(serial);
      return;
    }
    this.forget(Number(serial));
  }

  private forget(key: number): void {
    const i = this.indexOf(key);
    if (i >= 0) this.versions[i] = -1;
    this.extra.delete(key);
  }

  private indexOf(key: number): number {
    const s = this.serials;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = s[mid];
      if (v < key) lo = mid + 1;
      else if (v > key) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /** Listen first, then load: a change committed after the load's snapshot is heard, and applied after it. */
  private async start(): Promise<void> {
    const generation = this.generation;
    const current = () => generation === this.generation && !this.closed;
    try {
      this.heardWhileLoading = [];
      const listener = await this.repo.listen(
        (serial) => {
          if (generation === this.generation) this.changed(serial);
        },
        (err) => {
          if (generation === this.generation) this.lost(err);
        },
      );
      if (!current()) return void (await listener.close());
      this.listener = listener;
      const serials: number[] = [];
      const versions: number[] = [];
      for (let after = 0; ;) {
        const page = await this.repo.upToDatePage(after, PAGE);
        if (!current()) return;
        for (let i = 0; i < page.serials.length; i++) {
          serials.push(page.serials[i]);
          versions.push(page.versions[i]);
        }
        if (page.serials.length < PAGE) break;
        after = page.serials[page.serials.length - 1];
      }
      this.serials = Float64Array.from(serials);
      this.versions = Int32Array.from(versions);
      this.extra.clear();
      for (const s of this.heardWhileLoading ?? []) this.forget(Number(s));
      this.heardWhileLoading = undefined;
      const sent = Date.now();
      await listener.ping();
      if (!current()) return;
      this.trustedUntil = sent + UP_TO_DATE_STALE_MS;
      // A read started before this load (maybe while nothing was listening) must not put a card back.
      this.changes++;
      this.ready = true;
      this.warned = false;
      this.reloads.inc();
      this.timer = setInterval(() => this.tick(listener, generation), UP_TO_DATE_PING_MS);
      this.timer.unref();
    } catch (e) {
      if (generation === this.generation && !this.closed) this.lost(e as Error);
    }
  }

  /** One ping at a time; one unanswered for longer than the staleness bound counts as a lost connection. */
  private tick(listener: CardChangeListener, generation: number): void {
    const now = Date.now();
    if (this.pingSentAt !== 0) {
      if (now - this.pingSentAt > UP_TO_DATE_STALE_MS && generation === this.generation)
        this.lost(new Error('the listening connection stopped answering'));
      return;
    }
    this.pingSentAt = now;
    listener.ping().then(
      () => {
        if (generation === this.generation) this.trustedUntil = now + UP_TO_DATE_STALE_MS;
        this.pingSentAt = 0;
      },
      () => (this.pingSentAt = 0), // the listener reported the loss
    );
  }

  /** The listening connection is gone: stop answering from memory now, reopen and reload everything. */
  private lost(err: Error): void {
    this.generation++;
    this.ready = false;
    this.pingSentAt = 0;
    this.heardWhileLoading = undefined;
    clearInterval(this.timer);
    clearTimeout(this.timer);
    void this.listener?.close();
    this.listener = undefined;
    if (this.closed) return;
    // Once per outage: the retries of a database that stays away say nothing new.
    if (this.warned) return this.retry();
    this.warned = true;
    this.logger.warn({
      msg: 'kiosk/2 up-to-date index: listening connection lost; checks read the database until it is reloaded',
      err: err.message,
    });
    this.retry();
  }

  private retry(): void {
    this.timer = setTimeout(() => {
      if (!this.closed) this.starting = this.start();
    }, RETRY_MS);
    this.timer.unref();
  }
}
