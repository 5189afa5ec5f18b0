import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum RegimeTransferStatus {
  /** Accepted; the recording job is queued. */
  Pending = 'pending',
  /** The recording job is switching the insured's affiliations, chunk by chunk. */
  Recording = 'recording',
  /** Every insured is recorded; the cards move on the effective date. */
  Recorded = 'recorded',
  /** Every mutation of the transfer is in force (cards moved, organisme records rewritten). */
  Applied = 'applied',
  /** The recording job failed (reason kept); a retry carries on where the last committed chunk stopped. */
  Failed = 'failed',
}

export interface RegimeTransferMapping {
  fromOrganismeCode: string;
  toOrganismeCode: string;
}

/**
 * A whole regime absorbed by another (2019–2020: students' and self-employed regimes into the general regime): every
 * insured of the source organismes changes fund on one effective date, keeping their card. The per-insured work is
 * card_mutation rows (kind regime_transfer, transfer_id = this row), recorded by a job in chunks.
 */
@Entity('regime_transfer')
@Check('regime_transfer_status', `status IN ('pending', 'recording', 'recorded', 'applied', 'failed')`)
@Index('regime_transfer_created', ['createdAt'])
export class RegimeTransfer {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'date' })
  effectiveDate: string;

  /** [{ fromOrganismeCode, toOrganismeCode }], 1 to 500, each source once. */
  @Column({ type: 'jsonb' })
  mappings: RegimeTransferMapping[];

  @Column({ type: 'varchar', length: 16, default: RegimeTransferStatus.Pending })
  status: string;

  /** Insured switched to their new fund (one or more mutation rows each). */
  @Column({ type: 'integer', default: 0 })
  insuredCount: number;

  /** Cards that follow their holder (mutation rows with a card). */
  @Column({ type: 'integer', default: 0 })
  cardsCount: number;

  /** Insured of a source organisme left alone: a change already pending, or an affiliation that already ends. */
  @Column({ type: 'integer', default: 0 })
  skippedCount: number;

  /** card_mutation rows recorded (one per card, or one for an insured without a card). */
  @Column({ type: 'integer', default: 0 })
  mutationsCount: number;

  /** Of those, applied (in force). */
  @Column({ type: 'integer', default: 0 })
  appliedCount: number;

  /**
   * Keyset cursor of the recording job, committed with each chunk: the source organisme being worked through (in code
   * order) and the last beneficiary id handled there (moved or skipped). Null before the first chunk.
   */
  @Column({ type: 'char', length: 9, nullable: true })
  cursorOrganisme: string | null;

  @Column({ type: 'uuid', nullable: true })
  cursorBeneficiary: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  failure: string | null;

  @Column({ type: 'uuid', nullable: true })
  requestedBy: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  requestId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  recordedAt: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  appliedAt: Date | null;
}
