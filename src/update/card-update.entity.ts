import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Card } from '../cards/card.entity.js';

/**
 * The CURRENT content of one whole record of a card's chip (identity, coverage, ...), as the fund last set it,
 * and the card data version at which it last changed. A kiosk rewrites whole records, never parts of them.
 */
@Entity('card_data_record')
export class CardDataRecord {
  @PrimaryColumn({ type: 'uuid' })
  cardId: string;

  @ManyToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'card_id' })
  card?: Card;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  recordType: string;

  @Column({ type: 'jsonb', nullable: true })
  content: unknown;

  /** The card's target version when this record last changed. */
  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

/**
 * The online-update state of a card (a row once the fund has set data): the version its current data has reached
 * (the chip is up to date when card.data_version = target_version) and when a kiosk last confirmed a write.
 */
@Entity('card_update_state')
export class CardUpdateState {
  @PrimaryColumn({ type: 'uuid' })
  cardId: string;

  @ManyToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'card_id' })
  card?: Card;

  @Column({ type: 'integer', default: 0 })
  targetVersion: number;

  /** When a kiosk last confirmed writing the chip (null: never updated online). */
  @Column({ type: 'timestamptz', nullable: true })
  dataUpdatedAt: Date | null;
}

export enum KioskExchangeStatus {
  /** Handed to the kiosk, waiting for its confirm. */
  Issued = 'issued',
  Confirmed = 'confirmed',
  /** The kiosk aborted (card pulled, write error) or confirmed only part of the records. */
  Failed = 'failed',
  /** A newer exchange was issued for the same card before this one was confirmed. */
  Superseded = 'superseded',
}

/**
 * One update exchange between a kiosk and the system: the records sent, the version they lead to. The partial
 * unique index keeps at most one open exchange per card; a confirm moves an exchange out of `issued` once only.
 */
@Entity('kiosk_exchange')
@Index('kiosk_exchange_one_open_per_card', ['cardId'], { unique: true, where: `status = 'issued'` })
@Index('kiosk_exchange_finished', ['finishedAt'], { where: `status <> 'issued'` })
@Check('kiosk_exchange_versions', `target_version > base_version`)
// A kiosk/2 challenge opens one exchange at most (single use, whatever the instance).
@Index('kiosk_exchange_challenge_once', ['challengeDigest'], { unique: true, where: 'challenge_digest IS NOT NULL' })
@Check('kiosk_exchange_challenge_digest', 'challenge_digest IS NULL OR length(challenge_digest) = 32')
export class KioskExchange {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'uuid' })
  cardId: string;

  @ManyToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'card_id' })
  card?: Card;

  /** The kiosk or pharmacy-software partner that asked. */
  @Column({ type: 'uuid' })
  kioskPartnerId: string;

  /** The version the records were chosen from (records changed after it were sent). */
  @Column({ type: 'integer' })
  baseVersion: number;

  @Column({ type: 'integer' })
  targetVersion: number;

  /** `recordType@version`, in write order. */
  @Column({ type: 'text', array: true })
  records: string[];

  @Column({
    type: 'enum',
    enum: KioskExchangeStatus,
    enumName: 'kiosk_exchange_status',
    default: KioskExchangeStatus.Issued,
  })
  status: KioskExchangeStatus;

  /** kiosk/2: the SHA-256 of the challenge whose card proof opened the exchange; null for kiosk/1. */
  @Column({ type: 'bytea', nullable: true })
  challengeDigest: Buffer | null;

  /** Set on an abort: whether a write command may have reached the chip. */
  @Column({ type: 'boolean', nullable: true })
  commandMayHaveReachedCard: boolean | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
