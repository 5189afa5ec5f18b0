import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { CardState } from '../cards/card-state.enum.js';
import { USABLE_CARD_STATES } from '../cards/card-transitions.js';
import { run } from '../platform/database/sql.js';
import { pgError, PG_UNIQUE_VIOLATION } from '../platform/database/pg-error.js';
import { preparedQuery } from '../platform/database/prepared.js';
import { KioskExchangeStatus } from './card-update.entity.js';

export interface CheckRow {
  id: string;
  state: CardState;
  dataVersion: number;
  targetVersion: number;
  hasKey: boolean;
  /** The card's public keys (null without keys): a kiosk/2 fetch that follows may use them (Kiosk2Service). */
  authPublicKey: Buffer | null;
  encPublicKey: Buffer | null;
}

/** A card as a kiosk/2 fetch needs it: its public keys (null when it has none). */
export interface FetchCardRow {
  id: string;
  state: CardState;
  authPublicKey: Buffer | null;
  encPublicKey: Buffer | null;
}

export interface IssueRow {
  state: CardState;
  /** The card has keys (card_key): kiosk/1 issues nothing for it, kiosk/2 nothing for a card without. */
  hasKey: boolean;
  dataVersion: number;
  targetVersion: number;
  base: number;
  /** Null when nothing was issued: the card is blocked, or no record is newer than `base`. */
  exchangeId: string | null;
  records: Array<{ recordType: string; version: number; content: unknown }> | null;
}

export interface ExchangeRow {
  id: string;
  status: KioskExchangeStatus;
  targetVersion: number;
  records: string[];
  /** Opened by a kiosk/2 fetch (a card's proof), not a kiosk/1 check. */
  kiosk2: boolean;
}
/** A kiosk/2 confirm's first read (no lock): the exchange of this kiosk, its card's serial and auth key. */
export interface ConfirmReadRow {
  cardId: string;
  serial: string;
  status: KioskExchangeStatus;
  kiosk2: boolean;
  records: string[];
  authPublicKey: Buffer | null;
}
export interface ConfirmCardRow {
  id: string;
  serial: string;
  state: CardState;
  organismeCode: string;
  dataVersion: number;
  /** The card's auth key (kiosk/2 acknowledgements), null for a card without keys. */
  authPublicKey: Buffer | null;
}

const USABLE = USABLE_CARD_STATES.map((s) => `'${s}'`).join(', ');

/**
 * Issues an exchange in one statement (one round trip, its own transaction): locks the card, takes the records
 * newer than min(confirmed version, version read), supersedes the card's open exchange, inserts the new one and its
 * audit entry. The `superseded` count in the INSERT's condition makes the UPDATE run first, so the unique index "one
 * open exchange per card" never sees two. A blocked card, or no record to write, issues nothing; nor does kiosk/1
 * ($6 null) for a card with keys, or kiosk/2 ($6: the SHA-256 of the challenge the card signed) for a card without:
 * checked here, under the card's lock, whatever the service read before. A kiosk/2 exchange stores its challenge's
 * digest under a unique index: a challenge opens one exchange at most. A kiosk/2 issue also names the card keys the
 * proof was verified with and the records will be sealed to ($7, $8), and the serial it proved ($9): keys that are no
 * longer the card's count as none, a serial no longer the card's as no card, so the service may use what it read
 * earlier (at the check) and never opens an exchange on stale keys.
 *
 * The answer discloses the holder's records (NIR, names...) to the kiosk: the audit entry `card.data_sent` (who,
 * which card, which records and versions; never their content) is written by the same statement, so a disclosure
 * without its entry cannot happen, and the common check (nothing to do) still writes nothing. Its columns are those
 * AuditService writes.
 */
const ISSUE_SQL = `
WITH c AS (
  SELECT c.id, c.serial, c.organisme_code, c.state, c.data_version, coalesce(u.target_version, 0) AS target_version,
         least(c.data_version, $3::int) AS base,
         EXISTS (SELECT 1 FROM card_key k WHERE k.card_id = c.id
                    AND ($7::bytea IS NULL OR (k.auth_public_key = $7::bytea AND k.enc_public_key = $8::bytea))) AS has_key
    FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id
   WHERE c.id = $1 AND ($9::bigint IS NULL OR c.serial = $9::bigint)
     FOR UPDATE OF c
), recs AS (
  SELECT r.record_type, r.version, r.content
    FROM card_data_record r JOIN c ON r.card_id = c.id
   WHERE r.version > c.base AND c.state IN (${USABLE}) AND c.has_key = ($6::bytea IS NOT NULL)
), superseded AS (
  UPDATE kiosk_exchange SET status = 'superseded', finished_at = now()
   WHERE card_id = $1 AND status = 'issued' AND EXISTS (SELECT 1 FROM recs)
  RETURNING id
), issued AS (
  INSERT INTO kiosk_exchange (card_id, kiosk_partner_id, base_version, target_version, records, challenge_digest)
  SELECT c.id, $2, c.base, c.target_version, (SELECT array_agg(record_type || '@' || version ORDER BY record_type) FROM recs), $6::bytea
    FROM c
   WHERE EXISTS (SELECT 1 FROM recs) AND (SELECT count(*) FROM superseded) >= 0
  RETURNING id, base_version, target_version, records
), audited AS (
  INSERT INTO audit_entry (actor_partner_id, actor_kind, request_id, action, entity_type, entity_id, organisme_code, details)
  SELECT $2::uuid, $4, $5, 'card.data_sent', 'card', c.id::text, c.organisme_code,
         jsonb_build_object('serial', lpad(c.serial::text, 12, '0'), 'exchangeId', i.id, 'fromVersion', i.base_version,
                            'targetVersion', i.target_version, 'records', to_jsonb(i.records),
                            'protocol', CASE WHEN $6::bytea IS NULL THEN 'kiosk/1' ELSE 'kiosk/2' END)
    FROM issued i CROSS JOIN c
)
SELECT c.state, c.has_key AS "hasKey", c.data_version AS "dataVersion", c.target_version AS "targetVersion", c.base, (SELECT id FROM issued) AS "exchangeId",
       (SELECT json_agg(json_build_object('recordType', record_type, 'version', version, 'content', content)) FROM recs) AS records
  FROM c`;

/** The kiosk protocol's SQL (docs/formats/kiosk-protocol.md). Checks run as prepared statements: they are the hot path. */
@Injectable()
export class KioskRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The one read of a check (kiosk/1 and kiosk/2): the card's state, confirmed and target versions, and whether it
   * has keys, by serial (three primary-key or unique-index probes in one statement).
   */
  async findForCheck(serial: string): Promise<CheckRow | undefined> {
    const rows = await preparedQuery<CheckRow>(
      this.dataSource,
      'kiosk_check_v4',
      `SELECT c.id, c.state, c.data_version AS "dataVersion", coalesce(u.target_version, 0) AS "targetVersion", k.card_id IS NOT NULL AS "hasKey",
              k.auth_public_key AS "authPublicKey", k.enc_public_key AS "encPublicKey"
         FROM card c LEFT JOIN card_update_state u ON u.card_id = c.id LEFT JOIN card_key k ON k.card_id = c.id
        WHERE c.serial = $1`,
      [serial],
    );
    return rows[0];
  }

  /** A kiosk/2 fetch's read: the card and its public keys, by serial. */
  async findForFetch(serial: string): Promise<FetchCardRow | undefined> {
    const rows = await preparedQuery<FetchCardRow>(
      this.dataSource,
      'kiosk_fetch_card_v2',
      `SELECT c.id, c.state, k.auth_public_key AS "authPublicKey", k.enc_public_key AS "encPublicKey"
         FROM card c LEFT JOIN card_key k ON k.card_id = c.id WHERE c.serial = $1`,
      [serial],
    );
    return rows[0];
  }

  /** Which of these challenge digests opened an exchange (any instance): the kiosk/2 enumeration guard's question. */
  async redeemedChallenges(digests: Buffer[]): Promise<Set<string>> {
    if (digests.length === 0) return new Set();
    const rows: { d: string }[] = await this.dataSource.query(
      `SELECT encode(challenge_digest, 'hex') AS d FROM kiosk_exchange WHERE challenge_digest = ANY ($1::bytea[])`,
      [digests],
    );
    return new Set(rows.map((r) => r.d));
  }

  /**
   * The organismes managing these cards, with how many of them each manages (serials that match no card are left
   * out): who is told when a kiosk key is suspended for scanning cards.
   */
  async organismesOfSerials(
    em: EntityManager,
    serials: string[],
  ): Promise<Array<{ organismeCode: string; cards: number }>> {
    const valid = serials.filter((s) => /^\d{1,12}$/.test(s));
    if (valid.length === 0) return [];
    const rows: { organisme_code: string; cards: string }[] = await em.query(
      `SELECT organisme_code, count(*) AS cards FROM card WHERE serial = ANY ($1::bigint[]) GROUP BY organisme_code ORDER BY organisme_code`,
      [valid],
    );
    return rows.map((r) => ({ organismeCode: r.organisme_code, cards: Number(r.cards) }));
  }

  /**
   * Two checks of one card at once: the second waits for the card's lock, but its statement kept the snapshot it
   * started with, so it does not see the first one's exchange and the unique index refuses its insert. Run again,
   * it sees it and supersedes it. The index is the arbiter; the retry only finishes the work.
   */
  async issueExchange(
    cardId: string,
    actor: { partnerId: string; kind: string; requestId: string | null },
    readVersion: number,
    challengeDigest: Buffer | null = null,
    keys: { auth: Buffer; enc: Buffer } | null = null,
    serial: string | null = null,
  ): Promise<IssueRow | 'challenge_used' | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = await preparedQuery<IssueRow>(this.dataSource, 'kiosk_issue_exchange_v4', ISSUE_SQL, [
          cardId,
          actor.partnerId,
          readVersion,
          actor.kind,
          actor.requestId,
          challengeDigest,
          keys?.auth ?? null,
          keys?.enc ?? null,
          serial,
        ]);
        return rows[0];
      } catch (e) {
        const err = pgError(e);
        // The challenge already opened an exchange (a replay, or two fetches at once): the statement changed nothing.
        if (err?.code === PG_UNIQUE_VIOLATION && err.constraint === 'kiosk_exchange_challenge_once')
          return 'challenge_used';
        if (attempt >= 5 || err?.code !== PG_UNIQUE_VIOLATION || err.constraint !== 'kiosk_exchange_one_open_per_card')
          throw e;
      }
    }
  }

  /**
   * Locks an exchange of this kiosk and its card for a confirm, card first then exchange (the lock order of
   * an issue). Undefined when the exchange is unknown or another kiosk's.
   */
  async lockForConfirm(
    em: EntityManager,
    exchangeId: string,
    kioskPartnerId: string,
  ): Promise<{ card: ConfirmCardRow; exchange: ExchangeRow } | undefined> {
    const {
      rows: [found],
    } = await run<{ card_id: string }>(
      em,
      `SELECT card_id FROM kiosk_exchange WHERE id = $1 AND kiosk_partner_id = $2`,
      [exchangeId, kioskPartnerId],
    );
    if (!found) return undefined;
    const {
      rows: [card],
    } = await run<ConfirmCardRow>(
      em,
      `SELECT c.id, c.serial::text AS serial, c.state, c.organisme_code AS "organismeCode", c.data_version AS "dataVersion", k.auth_public_key AS "authPublicKey"
         FROM card c LEFT JOIN card_key k ON k.card_id = c.id WHERE c.id = $1 FOR UPDATE OF c`,
      [found.card_id],
    );
    const {
      rows: [exchange],
    } = await run<ExchangeRow>(
      em,
      `SELECT id, status, target_version AS "targetVersion", records, challenge_digest IS NOT NULL AS kiosk2 FROM kiosk_exchange WHERE id = $1 FOR UPDATE`,
      [exchangeId],
    );
    // Purged (retention) between the two reads: as unknown.
    return card && exchange ? { card, exchange } : undefined;
  }

  /** A kiosk/2 confirm's first read, no lock (prepared: the exchange path is a kiosk fleet's). */
  async findForConfirm(exchangeId: string, kioskPartnerId: string): Promise<ConfirmReadRow | undefined> {
    const rows = await preparedQuery<ConfirmReadRow>(
      this.dataSource,
      'kiosk2_confirm_read_v2',
      `SELECT x.card_id AS "cardId", c.serial::text AS serial, x.status, x.challenge_digest IS NOT NULL AS kiosk2, x.records, k.auth_public_key AS "authPublicKey"
         FROM kiosk_exchange x JOIN card c ON c.id = x.card_id LEFT JOIN card_key k ON k.card_id = c.id
        WHERE x.id = $1 AND x.kiosk_partner_id = $2`,
      [exchangeId, kioskPartnerId],
    );
    return rows[0];
  }

  async markFailed(em: EntityManager, exchangeId: string, commandMayHaveReachedCard: boolean): Promise<void> {
    await run(
      em,
      `UPDATE kiosk_exchange SET status = 'failed', finished_at = now(), command_may_have_reached_card = $2 WHERE id = $1`,
      [exchangeId, commandMayHaveReachedCard],
    );
  }

  /**
   * The exchange is confirmed (the card's confirmed version was moved by CardsService.confirmKioskUpdateIn in the
   * same transaction): the card's update date is stamped and the exchange closed.
   */
  async markConfirmed(em: EntityManager, exchangeId: string, cardId: string): Promise<void> {
    await run(em, `UPDATE card_update_state SET data_updated_at = now() WHERE card_id = $1`, [cardId]);
    await run(em, `UPDATE kiosk_exchange SET status = 'confirmed', finished_at = now() WHERE id = $1`, [exchangeId]);
  }

  /**
   * Retention: deletes at most `limit` finished exchanges (any status but `issued`) that ended more than
   * `retentionDays` ago, in one statement of its own; returns how many went. An open exchange is never deleted,
   * whatever its age. The card's last update date is on card_update_state, which this does not touch.
   */
  async deleteFinishedExchanges(retentionDays: number, limit: number): Promise<number> {
    const { count } = await run(
      this.dataSource.manager,
      `DELETE FROM kiosk_exchange
        WHERE id IN (SELECT id FROM kiosk_exchange
                      WHERE status <> 'issued' AND finished_at < now() - make_interval(days => $1::int)
                      LIMIT $2::int)`,
      [retentionDays, limit],
    );
    return count;
  }
}
