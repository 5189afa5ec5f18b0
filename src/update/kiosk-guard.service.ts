import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Counter } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { FundEventType } from '../events/event-types.js';
import { FundEventsService } from '../events/fund-events.service.js';
import { KeySuspensionsService, UNPROVEN_CARDS_REASON } from '../partners/key-suspensions.service.js';
import type { Actor } from '../platform/auth/actor.js';
import { UpdateErrors } from './update.errors.js';
import { MetricsService } from '../platform/metrics/metrics.service.js';
import type { IssuedChallenge } from './kiosk-challenges.service.js';
import { KioskRepository } from './kiosk.repository.js';

/** The guard's sliding window. */
export const UNPROVEN_WINDOW_MS = 3_600_000;
/** Longest wait a slowed-down key is told (Retry-After). */
const MAX_DELAY_SECONDS = 60;
/** A challenge is judged unredeemed this long after its expiry (a fetch may still be in flight). */
const EXPIRY_GRACE_MS = 2_000;
/** Challenges one key may have outstanding on this instance; beyond, the oldest is judged at once. */
const OUTSTANDING_CAP = 20_000;
/** How long after a suspension attempt the guard leaves a key alone (the verifier refuses it meanwhile). */
const SUSPEND_RETRY_MS = 5_000;

export type UnprovenCause = 'challenge_expired' | 'challenge_invalid' | 'proof_invalid';

interface Outstanding {
  issuedAt: number;
  expiresAt: number;
  digest: Buffer;
}
interface KeyState {
  partnerId: string;
  /** Challenges answered and not yet redeemed here, by serial (the latest per card), oldest first. */
  outstanding: Map<string, Outstanding>;
  /** Unproven cards: serial → when (a refused fetch: its time; an unredeemed challenge: when it was issued). */
  unproven: Map<string, number>;
  nextAllowedAt: number;
  prunedAt: number;
  suspendCheckAt: number;
}

export const keySuspended = UpdateErrors.API_KEY_SUSPENDED;

/**
 * The kiosk/2 enumeration guard, per API key, in this instance's memory (like the rate limiter: with N instances
 * each counts what it sees). An "unproven card" is a distinct serial, within the last hour, for which the key
 * received a challenge that expired unredeemed, or sent a fetch refused for its challenge or proof. Redemptions
 * are read from the database (the exchanges' challenge digests), so a fetch answered by another instance counts
 * as redeemed. Above KIOSK_UNPROVEN_SLOWDOWN the key may make one check or fetch per (count − threshold) seconds
 * (at most 60): others are answered 429 KIOSK_SLOWED_DOWN with Retry-After. Above KIOSK_UNPROVEN_SUSPEND the key is
 * suspended in the database (KeySuspensionsService: audit entry, listed for operators, metric). What was counted
 * before an operator lifted a suspension no longer counts, on every instance.
 *
 * The common check (nothing to do) costs one Map read here; an `update_available` one Map write.
 */
@Injectable()
export class KioskGuard implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('update');
  private readonly keys = new Map<string, KeyState>();
  private readonly slowdown: number;
  private readonly suspend: number;
  private readonly sweepMs: number;
  private readonly unprovenTotal: Counter<'cause'>;
  private readonly slowedTotal: Counter;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    config: AppConfig,
    private readonly suspensions: KeySuspensionsService,
    private readonly repo: KioskRepository,
    private readonly events: FundEventsService,
    metrics: MetricsService,
  ) {
    this.slowdown = config.kioskUnprovenSlowdown;
    this.suspend = config.kioskUnprovenSuspend;
    this.sweepMs = Math.min(5_000, Math.max(250, (config.kioskChallengeSeconds * 1000) / 4));
    this.unprovenTotal = new Counter({
      name: 'kiosk_unproven_cards_total',
      help: "kiosk/2 cards asked about without the card's proof, by cause (this instance)",
      labelNames: ['cause'],
      registers: [metrics.registry],
    });
    this.slowedTotal = new Counter({
      name: 'kiosk_slowed_down_total',
      help: 'kiosk/2 requests refused 429 KIOSK_SLOWED_DOWN (this instance)',
      registers: [metrics.registry],
    });
  }

  onModuleInit(): void {
    this.suspensions.onLift((apiKeyId) => this.keys.delete(apiKeyId));
    this.timer = setInterval(() => void this.sweep(), this.sweepMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** Before a kiosk/2 check or fetch: 429 KIOSK_SLOWED_DOWN while the key is slowed down and must wait. */
  admit(actor: Actor, now = Date.now()): void {
    const s = this.keys.get(actor.apiKeyId ?? '');
    if (!s) return;
    const n = this.count(s, now);
    if (n <= this.slowdown) return;
    if (now < s.nextAllowedAt) {
      this.slowedTotal.inc();
      throw UpdateErrors.KIOSK_SLOWED_DOWN(Math.max(1, Math.ceil((s.nextAllowedAt - now) / 1000)));
    }
    s.nextAllowedAt = now + Math.min(MAX_DELAY_SECONDS, n - this.slowdown) * 1000;
  }

  /** A check answered update_available with this challenge. */
  challengeIssued(actor: Actor, serial: string, c: IssuedChallenge, now = Date.now()): void {
    const s = this.state(actor);
    s.outstanding.delete(serial);
    s.outstanding.set(serial, { issuedAt: now, expiresAt: c.expiresAt, digest: c.digest });
    if (s.outstanding.size > OUTSTANDING_CAP) {
      const [oldest, o] = s.outstanding.entries().next().value as [string, Outstanding];
      s.outstanding.delete(oldest);
      s.outstanding.set(oldest, { ...o, expiresAt: 0 }); // judged at the next sweep
    }
  }

  /** A fetch carried the card's valid proof: the card was there. */
  proven(actor: Actor, serial: string): void {
    this.keys.get(actor.apiKeyId ?? '')?.outstanding.delete(serial);
  }

  /**
   * A fetch was refused for its challenge or proof: one more unproven card. Throws 403 API_KEY_SUSPENDED when this
   * one suspended the key (the caller throws its own refusal otherwise).
   */
  async refused(actor: Actor, serial: string, cause: UnprovenCause, now = Date.now()): Promise<void> {
    const s = this.state(actor);
    s.unproven.delete(serial);
    s.unproven.set(serial, now);
    this.unprovenTotal.inc({ cause });
    if (await this.enforce(actor.apiKeyId ?? '', s, actor.requestId, now)) throw keySuspended();
  }

  /**
   * Judges the expired challenges of every key (those no exchange redeemed become unproven cards), forgets what
   * an operator's lift on another instance voided, and suspends the keys above the threshold. Runs on a timer.
   */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce()
      .catch((e: unknown) => {
        this.logger.warn({ msg: 'kiosk guard sweep failed; retried at the next one', err: (e as Error).message });
      })
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async sweepOnce(now = Date.now()): Promise<void> {
    const expired: Array<{ id: string; s: KeyState; serial: string; o: Outstanding }> = [];
    for (const [id, s] of this.keys) {
      for (const [serial, o] of s.outstanding) {
        if (o.expiresAt + EXPIRY_GRACE_MS > now) continue;
        expired.push({ id, s, serial, o });
        s.outstanding.delete(serial);
      }
    }
    const touched = new Set<string>();
    if (expired.length > 0) {
      let redeemed: Set<string>;
      try {
        redeemed = new Set<string>();
        for (let i = 0; i < expired.length; i += 1000) {
          for (const d of await this.repo.redeemedChallenges(expired.slice(i, i + 1000).map((e) => e.o.digest)))
            redeemed.add(d);
        }
      } catch (e) {
        for (const { s, serial, o } of expired) if (!s.outstanding.has(serial)) s.outstanding.set(serial, o);
        throw e;
      }
      for (const { id, s, serial, o } of expired) {
        if (redeemed.has(o.digest.toString('hex'))) continue;
        s.unproven.delete(serial);
        s.unproven.set(serial, o.issuedAt);
        this.unprovenTotal.inc({ cause: 'challenge_expired' });
        touched.add(id);
      }
    }
    // A lift on another instance: what was counted before it no longer counts here either.
    const slowed = [...this.keys].filter(([, s]) => this.count(s, now) > this.slowdown).map(([id]) => id);
    if (slowed.length > 0) {
      const lifts = await this.suspensions.lastLifts(slowed);
      for (const [id, at] of lifts) this.forgetBefore(this.keys.get(id)!, at);
    }
    for (const id of touched) {
      const s = this.keys.get(id);
      if (s) await this.enforce(id, s, null, now);
    }
    for (const [id, s] of this.keys) {
      if (s.outstanding.size === 0 && this.count(s, now, true) === 0 && s.nextAllowedAt <= now) this.keys.delete(id);
    }
  }

  /** Suspends the key when above the threshold; true when it is (or already was) suspended. */
  private async enforce(apiKeyId: string, s: KeyState, requestId: string | null, now: number): Promise<boolean> {
    if (this.count(s, now) <= this.suspend || now < s.suspendCheckAt) return false;
    s.suspendCheckAt = now + SUSPEND_RETRY_MS;
    const lifted = (await this.suspensions.lastLifts([apiKeyId])).get(apiKeyId);
    if (lifted !== undefined) this.forgetBefore(s, lifted);
    const n = this.count(s, now, true);
    if (n <= this.suspend) return false;
    const serials = [...s.unproven.keys()];
    await this.suspensions.suspendForUnprovenCards(
      apiKeyId,
      s.partnerId,
      n,
      this.suspend,
      requestId,
      async (em, suspensionId) => {
        // Each fund whose insured's cards were asked about is told, with counts only (never a serial).
        const owners = await this.repo.organismesOfSerials(em, serials);
        await this.events.append(
          em,
          ...owners.map((o) => ({
            organismeCode: o.organismeCode,
            type: FundEventType.KioskKeySuspended,
            subjectType: 'api_key' as const,
            subjectId: apiKeyId,
            data: {
              apiKeyId,
              partnerId: s.partnerId,
              suspensionId,
              reason: UNPROVEN_CARDS_REASON,
              yourCards: o.cards,
              unprovenCards: n,
              threshold: this.suspend,
            },
          })),
        );
      },
    );
    return true;
  }

  private forgetBefore(s: KeyState, at: number): void {
    for (const [serial, when] of s.unproven) if (when <= at) s.unproven.delete(serial);
    for (const [serial, o] of s.outstanding) if (o.issuedAt <= at) s.outstanding.delete(serial);
    s.nextAllowedAt = 0;
  }

  /** Unproven cards within the window (pruned at most once a second per key, unless `exact`). */
  private count(s: KeyState, now: number, exact = false): number {
    if (exact || now - s.prunedAt >= 1000) {
      s.prunedAt = now;
      for (const [serial, when] of s.unproven) if (when < now - UNPROVEN_WINDOW_MS) s.unproven.delete(serial);
    }
    return s.unproven.size;
  }

  private state(actor: Actor): KeyState {
    const id = actor.apiKeyId ?? '';
    let s = this.keys.get(id);
    if (!s) {
      s = {
        partnerId: actor.partnerId ?? '',
        outstanding: new Map(),
        unproven: new Map(),
        nextAllowedAt: 0,
        prunedAt: 0,
        suspendCheckAt: 0,
      };
      this.keys.set(id, s);
    }
    return s;
  }
}
