import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { Card } from '../../cards/card.entity.js';
import { Organisme } from '../../regimes/regime.entity.js';
import { Beneficiary } from '../../register/beneficiary.entity.js';
import { Campaign } from '../../campaigns/campaign.entity.js';
import { RequestReason, RequestStatus } from './request-status.enum.js';

/**
 * A card request, from the fund's decision (step 1) to the card in the insured's hands (step 6).
 * At most one open request per beneficiary (partial unique index).
 */
@Entity('card_request')
@Index('card_request_one_open_per_beneficiary', ['beneficiaryId'], {
  unique: true,
  where: `status IN ('form_sent', 'photo_received', 'photo_rejected', 'photo_available', 'ordered', 'in_personalisation')`,
})
// Open requests by status and age (pipeline, re-injector, reminders, expiry); closed ones, nearly all, stay out of it.
@Index('card_request_open_by_status', ['status', 'statusChangedAt'], {
  where: `status IN ('form_sent', 'photo_received', 'photo_rejected', 'photo_available', 'ordered', 'in_personalisation')`,
})
// The batch builder's pick order (src/emission/personalisation/batch.repository.ts): read in order, stopped at the batch size.
@Index('card_request_ordered_in_pick_order', ['statusChangedAt', 'id'], { where: `status = 'ordered'` })
@Check('card_request_form_number', `form_number ~ '^[0-9]{8}$'`)
// A form number designates one request at a time: unique among the requests holding theirs (src/emission/requests/form-number.ts).
@Index('card_request_form_number_held', ['formNumber'], { unique: true, where: 'form_number_released_at IS NULL' })
@Index('card_request_form_number_reusable', ['statusChangedAt'], {
  where: `form_number_released_at IS NULL AND status IN ('completed', 'expired', 'cancelled')`,
})
// The 16th-birthday job opens one request per young person, ever (src/emission/requests/own-cards.service.ts).
@Index('card_request_sixteenth_birthday_once', ['beneficiaryId'], {
  unique: true,
  where: `origin = 'sixteenth_birthday'`,
})
@Check('card_request_origin', `origin IN ('fund', 'sixteenth_birthday', 'campaign')`)
// A renewal campaign's request names its campaign, and a campaign reaches a holder once (src/campaigns).
@Check('card_request_campaign_origin', `(origin = 'campaign') = (campaign_id IS NOT NULL)`)
@Index('card_request_once_per_campaign', ['campaignId', 'beneficiaryId'], {
  unique: true,
  where: 'campaign_id IS NOT NULL',
})
@Check(
  'card_request_form_number_held_while_awaiting_photo',
  `form_number_released_at IS NULL OR status NOT IN ('form_sent', 'photo_received', 'photo_rejected')`,
)
export class CardRequest {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** 8 digits printed on the form (7 from a sequence + a Luhn check digit), keyed in by the digitisation centre. */
  @Column({ type: 'char', length: 8 })
  formNumber: string;

  /** When the form number was given to a newer request, this one having been closed long enough (null: held). */
  @Column({ type: 'timestamptz', nullable: true })
  formNumberReleasedAt: Date | null;

  @Index()
  @Column({ type: 'uuid' })
  beneficiaryId: string;

  @ManyToOne(() => Beneficiary, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'beneficiary_id' })
  beneficiary?: Beneficiary;

  @Index()
  @Column({ type: 'char', length: 9 })
  organismeCode: string;

  @ManyToOne(() => Organisme, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organisme_code' })
  organisme?: Organisme;

  @Column({ type: 'enum', enum: RequestReason, enumName: 'request_reason' })
  reason: RequestReason;

  @Column({ type: 'enum', enum: RequestStatus, enumName: 'request_status' })
  status: RequestStatus;

  /** Who opened it: a fund (`fund`), the 16th-birthday job for a dependant (`sixteenth_birthday`), a renewal campaign's wave (`campaign`). */
  @Column({ type: 'varchar', length: 24, default: 'fund' })
  origin: string;

  /** The renewal campaign whose wave opened it (origin `campaign` only). */
  @Column({ type: 'uuid', nullable: true })
  campaignId: string | null;

  @ManyToOne(() => Campaign, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'campaign_id', foreignKeyConstraintName: 'card_request_campaign_fk' })
  campaign?: Campaign;

  /** Order the card as soon as a photo is accepted, without waiting for the fund. */
  @Column({ type: 'boolean', default: false })
  autoOrder: boolean;

  /** The accepted photo (set when the request becomes photo_available). */
  @Column({ type: 'uuid', nullable: true })
  photoId: string | null;

  /** The card ordered for this request (indexed: files and return ingestion go from cards to requests). */
  @Index()
  @Column({ type: 'uuid', nullable: true })
  cardId: string | null;

  @ManyToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'card_id' })
  card?: Card;

  /** The card this request replaces, if any (invalidated at order or at activation). */
  @Column({ type: 'uuid', nullable: true })
  replacedCardId: string | null;

  @ManyToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'replaced_card_id' })
  replacedCard?: Card;

  @Column({ type: 'timestamptz' })
  reminderDueAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  remindedAt: Date | null;

  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  /** SHA-256 of the one-time photo upload token given to the insured (the token itself is never stored). */
  @Column({ type: 'bytea', nullable: true })
  uploadTokenHash: Buffer | null;

  @Column({ type: 'timestamptz', nullable: true })
  uploadTokenExpiresAt: Date | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  statusChangedAt: Date;

  /** Times the re-injector retried this request at its current step. */
  @Column({ type: 'integer', default: 0 })
  reinjections: number;

  /** Set when the re-injector gave up: an operator must look. */
  @Column({ type: 'boolean', default: false })
  needsReview: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;

  @VersionColumn({ default: 1 })
  version: number;
}

/** Every status a request entered and when: the lead times per step are computed from it. */
@Entity('card_request_step')
export class CardRequestStep {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Index()
  @Column({ type: 'uuid' })
  requestId: string;

  @ManyToOne(() => CardRequest, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id' })
  request?: CardRequest;

  @Column({ type: 'enum', enum: RequestStatus, enumName: 'request_status' })
  status: RequestStatus;

  @Index()
  @Column({ type: 'timestamptz', default: () => 'now()' })
  enteredAt: Date;
}
