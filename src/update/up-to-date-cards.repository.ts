import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { DATABASE_URL } from '../platform/database/database.tokens.js';
import { ownConnection } from '../platform/database/own-connection.js';

/** The channel the triggers of migration KioskUpToDateNotify notify on; the payload is a card's serial. */
export const CARD_CHANGED_CHANNEL = 'kiosk_card_changed';
/** The listening connection's application_name (pg_stat_activity). */
export const UP_TO_DATE_LISTENER = 'vitale-kiosk-up-to-date';

/** A connection listening to the cards' changes; `ping` is one round trip on it (the notifications come first). */
export interface CardChangeListener {
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The SQL of the in-memory index of up-to-date cards (UpToDateCards): the listening connection, and the pages of
 * the cards a kiosk/2 check may answer `nothing_to_do` for without the database.
 */
@Injectable()
export class UpToDateCardsRepository {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(DATABASE_URL) private readonly url: string,
  ) {}

  /**
   * LISTEN on a connection of its own. `onSerial` gets each changed serial, `onLost` is called once when the
   * connection ends or fails (after which nothing more is delivered).
   */
  async listen(onSerial: (serial: string) => void, onLost: (err: Error) => void): Promise<CardChangeListener> {
    const client: pg.Client = await ownConnection(this.url, UP_TO_DATE_LISTENER);
    let lost = false;
    const lose = (err: Error) => {
      if (lost) return;
      lost = true;
      onLost(err);
    };
    client.on('notification', (n) => {
      if (!lost && n.payload) onSerial(n.payload);
    });
    client.on('error', lose);
    client.on('end', () => lose(new Error('the listening connection ended')));
    try {
      await client.query(`LISTEN ${CARD_CHANGED_CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return {
      ping: async () => {
        try {
          await client.query('SELECT 1');
        } catch (e) {
          lose(e as Error);
          throw e;
        }
      },
      close: async () => {
        lost = true;
        await client.end().catch(() => {});
      },
    };
  }

  /**
   * Up to `limit` cards with serials above `after`, in serial order, that a check finds up to date: usable (shipped or
   * active), with keys (kiosk/2), target version ≤ confirmed version. Two arrays, serials and confirmed versions.
   */
  async upToDatePage(after: number, limit: number): Promise<{ serials: number[]; versions: number[] }> {
    const [row] = (await this.dataSource.query(
      `SELECT coalesce(array_agg(serial ORDER BY serial), '{}') AS serials, coalesce(array_agg(data_version ORDER BY serial), '{}') AS versions
         FROM (SELECT c.serial, c.data_version
                 FROM card c JOIN card_key k ON k.card_id = c.id LEFT JOIN card_update_state u ON u.card_id = c.id
                WHERE c.serial > $1 AND c.state IN ('shipped', 'active') AND coalesce(u.target_version, 0) <= c.data_version
                ORDER BY c.serial LIMIT $2) p`,
      [after, limit],
    )) as Array<{ serials: string[]; versions: number[] }>;
    return { serials: row.serials.map(Number), versions: row.versions };
  }
}
