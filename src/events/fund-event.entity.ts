import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Partner } from '../partners/partner.entity.js';

/**
 * An event a fund follows. `txId` is the id of the transaction that wrote it: the feed only serves events
 * whose transaction is older than every transaction still running, ordered by (txId, id), so a reader
 * resuming after a cursor never skips an event committed late and never sees one twice.
 */
@Entity('fund_event')
@Index(['organismeCode', 'txId', 'id'])
// The retention purge walks the events in feed order, oldest first, whatever the organisme.
@Index('fund_event_position', ['txId', 'id'])
export class FundEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'bigint' })
  txId: string;

  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  /** e.g. request.form_sent, request.photo_rejected, card.shipped. */
  @Column({ type: 'varchar', length: 48 })
  type: string;

  @Column({ type: 'varchar', length: 32 })
  subjectType: string;

  @Column({ type: 'varchar', length: 64 })
  subjectId: string;

  /** Ids, codes, states: never a NIR, a name or a photo. */
  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/**
 * Per organisme, the feed position (txId, id) of the newest event the retention purge deleted. Every event still
 * kept sorts after it, so a cursor before it may have missed purged events (410 EVENTS_CURSOR_EXPIRED) and a cursor
 * at or after it has missed nothing. Written by the purge in the same statement as the delete.
 */
@Entity('fund_event_horizon')
export class FundEventHorizon {
  @PrimaryColumn({ type: 'char', length: 9 })
  organismeCode: string;

  @Column({ type: 'bigint' })
  txId: string;

  @Column({ type: 'bigint' })
  id: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  purgedAt: Date;
}

/** A fund's webhook: events are POSTed to `url`, signed with HMAC-SHA256 under a secret derived per subscription. */
@Entity('webhook_subscription')
export class WebhookSubscription {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  @Column({ type: 'uuid' })
  partnerId: string;

  @ManyToOne(() => Partner, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'partner_id' })
  partner?: Partner;

  @Column({ type: 'varchar', length: 500 })
  url: string;

  /** Event types sent; empty = all. */
  @Column({ type: 'varchar', length: 48, array: true, default: () => `'{}'` })
  eventTypes: string[];

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/** One event to one webhook: its delivery state, for the fund and the operators to see. */
@Entity('webhook_delivery')
@Index('webhook_delivery_once', ['subscriptionId', 'eventId'], { unique: true })
// The retention purge walks finished deliveries oldest event first; pending ones are not in the index.
@Index('webhook_delivery_finished', ['eventId'], { where: `status <> 'pending'` })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'uuid' })
  subscriptionId: string;

  @ManyToOne(() => WebhookSubscription, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subscription_id' })
  subscription?: WebhookSubscription;

  @Column({ type: 'bigint' })
  eventId: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: 'pending' | 'delivered' | 'failed';

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'varchar', length: 200, nullable: true })
  lastError: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
