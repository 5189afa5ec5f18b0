import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Card } from '../cards/card.entity.js';
import { Beneficiary } from '../register/beneficiary.entity.js';
import { RegimeTransfer } from './regime-transfer.entity.js';

export enum CardMutationKind {
  /** The insured changes fund (or returns to a former one): the card moves to the new organisme. */
  FundChange = 'fund_change',
  /** The insured's NIR changes (temporary to definitive, or a correction): the card keeps its serial, identity rewritten. */
  NirChange = 'nir_change',
  /** The insured's whole regime is absorbed by another (a regime transfer): like a fund change, recorded in bulk. */
  RegimeTransfer = 'regime_transfer',
}

/**
 * A mutation that keeps the card (issue #6 §2): one row per card of the insured (card_id null when the insured had
 * no card to keep). A change of fund is applied (card moved, organisme record rewritten) on its effective date; a NIR
 * change (from = to organisme) at once.
 */
@Entity('card_mutation')
@Index('card_mutation_due', ['effectiveDate'], { where: 'applied_at IS NULL' })
@Check('card_mutation_organismes', `kind NOT IN ('fund_change', 'regime_transfer') OR from_organisme <> to_organisme`)
@Index('card_mutation_transfer', ['transferId'], { where: 'transfer_id IS NOT NULL' })
export class CardMutation {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('card_mutation_beneficiary')
  @Column({ type: 'uuid' })
  beneficiaryId: string;

  @ManyToOne(() => Beneficiary, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'beneficiary_id', foreignKeyConstraintName: 'card_mutation_beneficiary_fk' })
  beneficiary?: Beneficiary;

  @Column({ type: 'uuid', nullable: true })
  cardId: string | null;

  @ManyToOne(() => Card, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'card_id', foreignKeyConstraintName: 'card_mutation_card_fk' })
  card?: Card;

  @Column({ type: 'char', length: 9 })
  fromOrganisme: string;

  @Column({ type: 'char', length: 9 })
  toOrganisme: string;

  @Column({ type: 'date' })
  effectiveDate: string;

  /** When the card was moved to the new organisme (null: not yet due). */
  @Column({ type: 'timestamptz', nullable: true })
  appliedAt: Date | null;

  @Column({ type: 'varchar', length: 16, default: CardMutationKind.FundChange })
  kind: string;

  /** The regime transfer that recorded this mutation (null: an individual change). */
  @Column({ type: 'uuid', nullable: true })
  transferId: string | null;

  @ManyToOne(() => RegimeTransfer, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'transfer_id', foreignKeyConstraintName: 'card_mutation_transfer_fk' })
  transfer?: RegimeTransfer;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
